#!/bin/sh
# Builds the host tests' ELF and blob fixtures into OUTDIR: the fixture
# objects compiled with the kernel's flags (env KCFLAGS), the same object
# linked by ld at fixed addresses (the reference for relocation), and signed
# blobs under two throw-away keys (A is "trusted" by the tests, B is not).
# usage: tests/host/mkfixtures.sh OUTDIR
set -eu
out=$1
src=tests/host/fixtures
mkdir -p "$out"
# One .text, .data and .rela.* each, whatever the kernel is built with
# (-ffunction-sections): the mutations in elf_test.c name those sections.
gcc $KCFLAGS -fno-function-sections -fno-data-sections -c $src/simple.c -o "$out/simple.o"
ld -T $src/simple.ld --defsym ext_func=0xffffffff81234560 --defsym ext_var=0xffffffff81300010 \
   --defsym __fentry__=0xffffffff81000040 \
   --defsym klp_placeholder_symbol_with_a_long_name=0xffffffff81000080 \
   -o "$out/simple.elf" "$out/simple.o"
printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020\021\022\023\024' \
	> "$out/build_id.bin"
objcopy --add-section .kelp.build_id="$out/build_id.bin" \
	--set-section-flags .kelp.build_id=readonly,contents "$out/simple.o" "$out/simple_bid.o"
for k in a b; do
	[ -f "$out/key_$k.pem" ] || openssl genpkey -algorithm ed25519 -out "$out/key_$k.pem" 2>/dev/null
	openssl pkey -in "$out/key_$k.pem" -pubout -outform DER 2>/dev/null | tail -c 32 > "$out/key_$k.pub"
	tools/klp-sign --key "$out/key_$k.pem" "$out/simple_bid.o" "$out/simple_$k.klp"
done
# A 64 KiB blob for the klpctl <-> fake peer transfer.
head -c 65536 /dev/urandom > "$out/big.bin"
tools/klp-sign --key "$out/key_a.pem" "$out/big.bin" "$out/big.klp"
