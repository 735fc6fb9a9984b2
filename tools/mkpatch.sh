#!/bin/bash
# Builds one patch or module source into a signed blob (docs/BLOB-FORMAT.md):
#   compile with the kernel's flags, ld -r, .klp.sym fix-ups, the target
#   kernel's build ID in .kelp.build_id, debug info stripped, signed.
# The module name is the file name, as with Kbuild.
# usage: KCFLAGS=... tools/mkpatch.sh SRC.c OUTDIR [options]
#   --kernel ELF        the kernel the blob is for (default build/kernel.elf)
#   --build-id-file F   use F's bytes instead of that kernel's build ID
#   --key PEM           sign with another key        --unsigned   do not sign
#   --mutate KIND       a deliberately bad object (tools/klp-fixup.py)
#   --name NAME         output name (default: the file name)
#   --extra-obj OBJ     link OBJ in too (tools/klp-build: the patch's code)
#   --version N         klp_version=N in .modinfo: the kernel refuses a lower
#                       version of the same name after it loaded N (docs/SECURITY.md)
#   --check             before signing, check the live patch against the kernel
#                       (tools/klp-check.py: unknown, ambiguous or untraceable
#                       targets, no MODULE_INFO(livepatch, "Y")); make patch does
set -euo pipefail
src=$1 out=$2
shift 2
name=$(basename "$src" .c)
bidfile= key= unsigned= mutate= kernel= extra= version= check=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--build-id-file) bidfile=$2; shift ;;
	--key) key=$2; shift ;;
	--unsigned) unsigned=1 ;;
	--mutate) mutate=$2; shift ;;
	--name) name=$2; shift ;;
	--extra-obj) extra=$2; shift ;;
	--version) version=$2; shift ;;
	--check) check=1 ;;
	*) echo "mkpatch: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
root=$(cd "$(dirname "$0")/.." && pwd)
kernel=${kernel:-$root/build/kernel.elf}
modname=$(basename "$src" .c | tr -c 'A-Za-z0-9_\n' '_')
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kcc() {
	gcc $KCFLAGS -nostdinc -isystem "$(gcc -print-file-name=include)" -I"$root/include" \
		-I"$root/arch/x86_64/include" -DKBUILD_MODNAME="\"$modname\"" "$@"
}
kcc -c "$src" -o "$tmp/$name.o"
verobj=
if [ -n "$version" ]; then
	case $version in
	*[!0-9]*|'') echo "mkpatch: --version $version: not a decimal number" >&2; exit 2 ;;
	esac
	# one more .modinfo string, covered by the signature like the rest
	printf 'static const char klp_version[] __attribute__((section(".modinfo"), used, aligned(1))) = "klp_version=%s";\n' \
		"$version" > "$tmp/klp_version.c"
	gcc $KCFLAGS -nostdinc -c "$tmp/klp_version.c" -o "$tmp/klp_version.o"
	verobj=$tmp/klp_version.o
fi
ld -r -o "$tmp/$name.lo" "$tmp/$name.o" ${extra:+"$extra"} ${verobj:+"$verobj"}
if [ -n "$check" ]; then
	# The structures' layout as this compiler and these headers make it,
	# in tools/klp-check.py's LAYOUT_FIELDS order.
	cat > "$tmp/layout.c" <<'EOF'
#include <linux/livepatch.h>
const unsigned long klp_check_layout[] = {
	sizeof(struct klp_func), __builtin_offsetof(struct klp_func, old_name),
	__builtin_offsetof(struct klp_func, new_func), __builtin_offsetof(struct klp_func, old_sympos),
	sizeof(struct klp_object), __builtin_offsetof(struct klp_object, name),
	__builtin_offsetof(struct klp_object, funcs),
	__builtin_offsetof(struct klp_patch, mod), __builtin_offsetof(struct klp_patch, objs),
};
EOF
	kcc -c "$tmp/layout.c" -o "$tmp/layout.o"
	kdir=$(dirname "$kernel")
	"$root/tools/klp-check.py" --kernel "$kernel" --map "$kdir/kernel.map" --layout "$tmp/layout.o" \
		--src "$src" --module-dir "$out" --module-dir "$kdir/patches" \
		--module-dir "$kdir/linux-modules" --module-dir "$kdir/testblobs" "$tmp/$name.lo"
fi
if [ -z "$bidfile" ]; then
	# The descriptor of the kernel's NT_GNU_BUILD_ID note: skip the
	# 16-byte header (namesz, descsz, type, "GNU\0").
	objcopy -O binary --only-section=.note.gnu.build-id "$kernel" "$tmp/note"
	tail -c +17 "$tmp/note" > "$tmp/build_id"
	bidfile=$tmp/build_id
fi
objcopy --strip-debug --add-section .kelp.build_id="$bidfile" \
	--set-section-flags .kelp.build_id=readonly,contents "$tmp/$name.lo" "$out/$name.o"
# After objcopy, which does not keep references to SHN_LIVEPATCH symbols
# (and would refuse a deliberately broken object).
"$root/tools/klp-fixup.py" ${mutate:+--mutate "$mutate"} "$out/$name.o"
if [ -n "$unsigned" ]; then
	cp "$out/$name.o" "$out/$name.klp"
else
	"$root/tools/klp-sign" ${key:+--key "$key"} "$out/$name.o" "$out/$name.klp"
fi
echo "  KLP     $out/$name.klp ($(stat -c %s "$out/$name.klp") bytes)"
