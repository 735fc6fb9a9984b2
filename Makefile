# Kelp: one Makefile for the kernel, the ISO, the host tools and the tests.
# `make` builds build/kernel.elf (+ kernel.sym, kernel.asm) and build/os.iso.

SHELL    := /bin/bash
BUILD    := build
CC       := gcc
LD       := ld
NASM     := nasm
OBJCOPY  := objcopy
OBJDUMP  := objdump
PY       := /usr/bin/python3
QEMU     := qemu-system-x86_64
CMDLINE  ?=

# Kernel C: freestanding, no red zone, no SSE, frame pointers, kernel code model,
# and every function carries a 5-byte fentry site recorded in __mcount_loc.
KCFLAGS  := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
            -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
            -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-toplevel-reorder -fno-asynchronous-unwind-tables \
            -Wall -Wextra -Werror -Iinclude -Itests/include -MMD -MP
FTRACE_FLAGS := -pg -mfentry -mrecord-mcount
LDFLAGS  := -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=sha1 -T linker.ld

KSRCS    := $(wildcard kernel/*.c kernel/*/*.c arch/x86_64/*.c mm/*.c livepatch/*.c fs/*.c lib/*.c lib/crypto/*.c \
              drivers/patchchan/*.c tests/ktest/*.c tests/builtin/*.c tests/bench/*.c tests/stress/*.c)
KASM     := $(wildcard boot/*.asm arch/x86_64/*.asm)
KOBJS    := $(patsubst %.c,$(BUILD)/%.o,$(KSRCS)) $(patsubst %.asm,$(BUILD)/%.o,$(KASM)) \
            $(BUILD)/gen/module_sig_keys.o $(BUILD)/gen/user_programs.o

.PHONY: all iso run debug selftest test clean deps format bench patch module
all: $(BUILD)/kernel.elf $(BUILD)/os.iso $(BUILD)/klpctl

deps:
	@tools/deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) $(FTRACE_FLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -F dwarf -Iinclude/ $< -o $@
# nasm 2.16 does not list %include files in its dependency output: every
# asm object depends on every shared .inc instead.
$(patsubst %.asm,$(BUILD)/%.o,$(KASM)): $(wildcard arch/x86_64/*.inc)

# User programs (user/*.c, one program each, plus the runtime in user/lib):
# static ELF executables built with the host compiler, linked at 4 MiB by
# user/user.ld, embedded in the kernel by a generated incbin table. No SSE:
# the kernel does not save FPU state.
UCFLAGS  := -std=gnu11 -O2 -Wl,-s -ffreestanding -fno-builtin -nostdlib -static -fno-pie -no-pie \
            -fno-pic -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
            -fno-omit-frame-pointer -Wall -Wextra -Werror -Iuser/include -idirafter include \
            -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--build-id=none
USER_LIB   := $(wildcard user/lib/*.c user/lib/*.S)
USER_PROGS := $(patsubst user/%.c,$(BUILD)/user/%,$(wildcard user/*.c))

$(BUILD)/user/%: user/%.c $(USER_LIB) user/user.ld user/include/kelp.h include/uapi/syscall.h
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -T user/user.ld -o $@ user/lib/crt0.S $< $(filter %.c,$(USER_LIB))

$(BUILD)/gen/user_programs.asm: $(USER_PROGS) tools/gen_user_programs.sh
	@mkdir -p $(dir $@)
	tools/gen_user_programs.sh $@ $(USER_PROGS)

$(BUILD)/gen/user_programs.o: $(BUILD)/gen/user_programs.asm
	$(NASM) -f elf64 $< -o $@

# Blob signing key: made once with OpenSSL on first use, never committed
# (keys/ is in .gitignore) and never regenerated while it exists. The
# public half is embedded in the kernel through a generated C file.
SIGN_KEY := keys/signing_key.pem
$(SIGN_KEY):
	@mkdir -p $(dir $@)
	umask 077 && openssl genpkey -algorithm ed25519 -out $@

$(BUILD)/gen/module_sig_keys.c: $(SIGN_KEY) tools/klp-sign
	@mkdir -p $(dir $@)
	tools/klp-sign --key $(SIGN_KEY) --pubkey-c > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/module_sig_keys.o: $(BUILD)/gen/module_sig_keys.c
	$(CC) $(KCFLAGS) $(FTRACE_FLAGS) -iquote . -c $< -o $@

# The host side of the serial patch channel (docs/PROTOCOL.md): the frame
# codec is the kernel's own source, built for the host. -idirafter: libc's
# headers win, Kelp's fill in the rest (klp_proto.h, crc32.h, types.h).
KLPCTL_SRCS := tools/klpctl.c drivers/patchchan/frame.c lib/crypto/crc32.c
$(BUILD)/klpctl: $(KLPCTL_SRCS) drivers/patchchan/proto.h include/kelp/crypto/crc32.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -idirafter include -o $@ $(KLPCTL_SRCS)

# Patches and modules (docs/BLOB-FORMAT.md): `make patch P=path/to/foo.c`
# builds any source, inside the repository or not, into build/patches/foo.klp
# against this kernel's build ID and signs it; `make module P=...` the same
# for a plain module. The author's headers are include/linux-compat first.
# Linux builds module sources without -Wunused-parameter (seq_file show
# callbacks ignore v): samples port by changing includes only.
PATCH_CFLAGS := $(filter-out -MMD -MP -Iinclude -Itests/include,$(KCFLAGS)) $(FTRACE_FLAGS) -Wno-unused-parameter
MKPATCH      := KCFLAGS="$(PATCH_CFLAGS)" tools/mkpatch.sh
patch module: $(BUILD)/kernel.elf $(SIGN_KEY)
	@test -n "$(P)" || { echo "usage: make $@ P=path/to/foo.c" >&2; exit 2; }
	@test -f "$(P)" || { echo "make $@: no such file: $(P)" >&2; exit 2; }
	@if [ $@ = patch ] && ! grep -q 'MODULE_INFO(livepatch' "$(P)"; then \
	  echo "make patch: $(P) has no MODULE_INFO(livepatch, \"Y\") (use make module?)" >&2; fi
	$(MKPATCH) "$(P)" $(BUILD)/patches

# The loader self-tests' blobs, embedded into the kernel (suite "module").
# They carry a fixed build ID: a blob inside the kernel cannot carry the ID
# of the image that contains it, so the tests pass that ID to the loader.
KTB := $(BUILD)/ktest
KTEST_BLOBS := $(addprefix $(KTB)/,ktest_mod.klp ktest_mod_unsigned.klp ktest_mod_otherkey.klp \
               ktest_oob.klp ktest_reloc.klp ktest_unknown.klp ktest_ambig.klp ktest_far.klp storm_mod.klp)
KTEST_MKPATCH = KCFLAGS="$(PATCH_CFLAGS) $(2)" tools/mkpatch.sh $(1) $(KTB) \
                --build-id-file $(KTB)/build_id.bin $(3)
$(KTB)/build_id.bin:
	@mkdir -p $(dir $@)
	printf 'kelp-ktest-build-id!' > $@
$(KTB)/other_key.pem:
	@mkdir -p $(dir $@)
	umask 077 && openssl genpkey -algorithm ed25519 -out $@
KTEST_DEPS := $(KTB)/build_id.bin $(SIGN_KEY) tools/mkpatch.sh tools/klp-fixup.py tools/klp-sign \
              include/linux-compat/module.h include/kelp/module.h
$(KTB)/ktest_mod.klp: tests/modules/ktest_mod.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,,)
$(KTB)/ktest_mod_unsigned.klp: tests/modules/ktest_mod.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,,--unsigned --name ktest_mod_unsigned)
$(KTB)/ktest_mod_otherkey.klp: tests/modules/ktest_mod.c $(KTEST_DEPS) $(KTB)/other_key.pem
	$(call KTEST_MKPATCH,$<,,--key $(KTB)/other_key.pem --name ktest_mod_otherkey)
$(KTB)/ktest_oob.klp: tests/modules/ktest_bad.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,,--mutate shdr-oob --name ktest_oob)
$(KTB)/ktest_reloc.klp: tests/modules/ktest_bad.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,,--mutate reloc-type --name ktest_reloc)
$(KTB)/ktest_unknown.klp: tests/modules/ktest_bad.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,-DKTEST_UNKNOWN,--name ktest_unknown)
$(KTB)/ktest_ambig.klp: tests/modules/ktest_bad.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,-DKTEST_AMBIG,--name ktest_ambig)
$(KTB)/ktest_far.klp: tests/modules/ktest_bad.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,-DKTEST_FAR,--mutate abs=kelp_far_function:0x100000000000 --name ktest_far)
$(KTB)/storm_mod.klp: tests/modules/storm_mod.c $(KTEST_DEPS)
	$(call KTEST_MKPATCH,$<,,)
$(BUILD)/tests/ktest/module_test.o $(BUILD)/tests/ktest/failslab_test.o: $(KTEST_BLOBS)

# The same material against the real build ID, for the end-to-end tests
# over COM2 (tests/py/test_blobs.py): build/testblobs/*.klp.
TB := $(BUILD)/testblobs
# Livepatch ports for tests/py/test_patch_e2e.py: the cmdline sample and
# Linux's selftest modules as blobs (tests/modules/test_klp_*.c).
# The stress blobs (tests/py/test_stress.py): stress_pair_v1..v4 from one
# source, each through a generated wrapper that sets PAIR_VERSION (the
# module name is the file name).
STRESS_VERSIONS := 1 2 3 4
STRESS_BLOBS := $(foreach v,$(STRESS_VERSIONS),stress_pair_v$(v).klp)
LP_TEST_BLOBS := test_klp_livepatch.klp test_klp_atomic_replace.klp test_klp_callbacks_demo.klp \
                 test_klp_callbacks_demo2.klp test_klp_syscall.klp test_klp_state.klp \
                 test_klp_state2.klp test_klp_state3.klp
# Ports of Linux's samples/livepatch (samples/livepatch-*.c): the shadow
# variable trio and the callbacks demo with its two target modules.
LP_SAMPLE_BLOBS := livepatch-shadow-mod.klp livepatch-shadow-fix1.klp livepatch-shadow-fix2.klp \
                   livepatch-callbacks-demo.klp livepatch-callbacks-mod.klp livepatch-callbacks-busymod.klp
TEST_BLOBS := $(addprefix $(TB)/,hello_module.klp ktest_mod.klp ktest_mod_otherkey.klp storm_mod.klp \
              fault_mod.klp ktest_oob.klp ktest_reloc.klp ktest_unknown.klp ktest_ambig.klp ktest_far.klp \
              livepatch-sample.klp $(LP_TEST_BLOBS) $(LP_SAMPLE_BLOBS) $(STRESS_BLOBS) fault_patch.klp)
TB_MKPATCH = KCFLAGS="$(PATCH_CFLAGS) $(2)" tools/mkpatch.sh $(1) $(TB) $(3) >/dev/null
TB_DEPS := $(BUILD)/kernel.elf $(KTEST_DEPS)
$(TB)/livepatch-%.klp: samples/livepatch-%.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/test_klp_%.klp: tests/modules/test_klp_%.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
.PRECIOUS: $(BUILD)/stressgen/stress_pair_v%.c
$(BUILD)/stressgen/stress_pair_v%.c:
	@mkdir -p $(dir $@)
	printf '#define PAIR_VERSION %s\n#include "%s"\n' $* $(CURDIR)/tests/modules/stress_pair.c > $@
$(TB)/stress_pair_v%.klp: $(BUILD)/stressgen/stress_pair_v%.c tests/modules/stress_pair.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/fault_patch.klp: tests/modules/fault_patch.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/test_klp_state2.klp $(TB)/test_klp_state3.klp: tests/modules/test_klp_state.c
$(TB)/test_klp_state3.klp: tests/modules/test_klp_state2.c
$(TB)/hello_module.klp: samples/hello_module.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/ktest_mod.klp: tests/modules/ktest_mod.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/storm_mod.klp: tests/modules/storm_mod.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/fault_mod.klp: tests/modules/fault_mod.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,)
$(TB)/ktest_mod_otherkey.klp: tests/modules/ktest_mod.c $(TB_DEPS) $(KTB)/other_key.pem
	$(call TB_MKPATCH,$<,,--key $(KTB)/other_key.pem --name ktest_mod_otherkey)
$(TB)/ktest_oob.klp: tests/modules/ktest_bad.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,--mutate shdr-oob --name ktest_oob)
$(TB)/ktest_reloc.klp: tests/modules/ktest_bad.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,,--mutate reloc-type --name ktest_reloc)
$(TB)/ktest_unknown.klp: tests/modules/ktest_bad.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,-DKTEST_UNKNOWN,--name ktest_unknown)
$(TB)/ktest_ambig.klp: tests/modules/ktest_bad.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,-DKTEST_AMBIG,--name ktest_ambig)
$(TB)/ktest_far.klp: tests/modules/ktest_bad.c $(TB_DEPS)
	$(call TB_MKPATCH,$<,-DKTEST_FAR,--mutate abs=kelp_far_function:0x100000000000 --name ktest_far)
.PHONY: testblobs
testblobs: $(TEST_BLOBS)

# The embedded symbol table (tools/gensyms.py) fills .ksyms, the last
# section, so filling it moves nothing. Link 1 has an empty table; link 2
# carries the table of link 1; link 3 carries the table of link 2, whose
# only differences (the table's own symbols) have the same layout, so link
# 3's table describes link 3 exactly. Both facts are checked, not assumed.
KASMOBJS := $(patsubst %.asm,$(BUILD)/%.o,$(KASM))
GENSYMS  := $(PY) tools/gensyms.py
KSYMTMP  := $(BUILD)/ksyms

$(BUILD)/kernel.elf: $(KOBJS) linker.ld tools/gensyms.py
	@mkdir -p $(KSYMTMP)
	$(GENSYMS) gen -o $(KSYMTMP)/table0.S
	$(CC) -c $(KSYMTMP)/table0.S -o $(KSYMTMP)/table0.o
	$(LD) $(LDFLAGS) -o $(KSYMTMP)/kernel1.elf $(KOBJS) $(KSYMTMP)/table0.o
	$(GENSYMS) gen $(KSYMTMP)/kernel1.elf $(KASMOBJS) -o $(KSYMTMP)/table1.S
	$(CC) -c $(KSYMTMP)/table1.S -o $(KSYMTMP)/table1.o
	$(LD) $(LDFLAGS) -o $(KSYMTMP)/kernel2.elf $(KOBJS) $(KSYMTMP)/table1.o
	$(GENSYMS) gen $(KSYMTMP)/kernel2.elf $(KASMOBJS) -o $(KSYMTMP)/table2.S
	$(CC) -c $(KSYMTMP)/table2.S -o $(KSYMTMP)/table2.o
	$(LD) $(LDFLAGS) -o $(KSYMTMP)/kernel3.elf $(KOBJS) $(KSYMTMP)/table2.o
	$(GENSYMS) verify $(KSYMTMP)/kernel1.elf $(KSYMTMP)/kernel3.elf
	$(GENSYMS) gen $(KSYMTMP)/kernel3.elf $(KASMOBJS) -o $(KSYMTMP)/table3.S
	cmp -s $(KSYMTMP)/table2.S $(KSYMTMP)/table3.S || \
	  { echo "gensyms: the embedded table does not match the final link" >&2; exit 1; }
	mv $(KSYMTMP)/kernel3.elf $@
	nm -n $@ > $(BUILD)/kernel.sym
	$(OBJDUMP) -d -S $@ > $(BUILD)/kernel.asm 2>/dev/null

# An ISO for any command line: tools/mkiso.sh caches one per distinct CMDLINE.
$(BUILD)/os.iso: $(BUILD)/kernel.elf tools/mkiso.sh
	tools/mkiso.sh $(BUILD)/kernel.elf "$(CMDLINE)" $@

QEMUFLAGS := -machine pc -m 256M -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
             -display none -monitor none

# -serial mon:stdio: Ctrl-A X quits QEMU (Ctrl-A C toggles the QEMU monitor).
run: deps
	@$(MAKE) --no-print-directory all
	tools/mkiso.sh $(BUILD)/kernel.elf "$(CMDLINE)" $(BUILD)/run.iso
	@echo "run: Ctrl-A X (or the 'poweroff' command) quits QEMU"
	@echo "run: the patch channel (COM2) is $(BUILD)/klp.sock: $(BUILD)/klpctl list"
	@rm -f $(BUILD)/klp.sock
	$(QEMU) $(QEMUFLAGS) -cdrom $(BUILD)/run.iso -serial mon:stdio \
	  -serial unix:$(BUILD)/klp.sock,server=on,wait=off

# QEMU stops before the first instruction and waits for gdb on :1234.
debug: deps
	@$(MAKE) --no-print-directory all
	tools/mkiso.sh $(BUILD)/kernel.elf "$(CMDLINE)" $(BUILD)/debug.iso
	@echo "debug: QEMU is waiting for gdb on :1234; in another terminal run: gdb -x tools/kelp.gdb"
	@echo "debug: Ctrl-A X quits QEMU"
	$(QEMU) $(QEMUFLAGS) -cdrom $(BUILD)/debug.iso -serial mon:stdio -s -S

selftest: deps
	@$(MAKE) --no-print-directory all
	tools/mkiso.sh $(BUILD)/kernel.elf "selftest $(CMDLINE)" $(BUILD)/selftest.iso
	$(QEMU) $(QEMUFLAGS) -cdrom $(BUILD)/selftest.iso -serial stdio </dev/null; s=$$?; \
	  echo "qemu exit status $$s"; test $$s -eq 33

# In-kernel micro-benchmarks under -icount shift=0,sleep=off: the TSC counts
# guest instructions, so every figure is deterministic. BENCH='glob' filters.
bench: deps
	@$(MAKE) --no-print-directory all
	tools/mkiso.sh $(BUILD)/kernel.elf "bench$(if $(BENCH),=$(BENCH)) loglevel=4 $(CMDLINE)" $(BUILD)/bench.iso
	$(QEMU) $(QEMUFLAGS) -icount shift=0,sleep=off -cdrom $(BUILD)/bench.iso -serial stdio </dev/null \
	  | tee $(BUILD)/bench.txt; s=$${PIPESTATUS[0]}; test $$s -eq 33

# The host test suite (tests/, pytest driving QEMU); PYTEST_ARGS='-k shell -x' etc.
# Test paths in PYTEST_ARGS (tests/test_x.py) run instead of the whole of tests/.
PYTEST_ARGS ?=
test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all testblobs
	$(PY) -m pytest -q $(PYTEST_ARGS) $(if $(filter tests/%,$(PYTEST_ARGS)),,tests/py/)

# The bad-blob storm (tests/py/test_blob_storm.py) at full length: STORM_COUNT
# mutated blobs (500 inside `make test`), STORM_SEED to replay a run.
STORM_COUNT ?= 5000
.PHONY: storm stress
storm:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all testblobs
	KELP_STORM_COUNT=$(STORM_COUNT) $(if $(STORM_SEED),KELP_STORM_SEED=$(STORM_SEED)) \
	  $(PY) -m pytest -q -s $(PYTEST_ARGS) tests/py/test_blob_storm.py

# Livepatch stress (tests/py/test_stress.py) at full length: STRESS_CYCLES
# load/enable/replace/disable/unload cycles over COM2 (50 inside `make
# test`) under 16 kernel threads + 16 user tasks checking kelp_pair.
STRESS_CYCLES ?= 1000
stress:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all testblobs
	KELP_STRESS_CYCLES=$(STRESS_CYCLES) $(PY) -m pytest -q -s $(PYTEST_ARGS) tests/py/test_stress.py -k consistency

FORMAT_SRCS = $(shell find kernel arch mm livepatch fs lib drivers include tests/ktest tests/builtin tests/bench tests/stress tests/include tools \
                -name '*.[ch]' 2>/dev/null)
format:
	@tools/deps.sh format
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Host unit tests (tests/host/) for kernel code that is plain portable C, such
# as the crypto: built with the host compiler and sanitizers, then run by
# tests/host/run.sh, which prints "N passed, M failed".
HOSTCC     := cc
HOSTCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
              -fno-sanitize-recover=all -Iinclude
HOST_TESTS := $(BUILD)/host/sha512_test $(BUILD)/host/ed25519_test $(BUILD)/host/elf_test \
              $(BUILD)/host/module_sig_test $(BUILD)/host/klp_proto_test $(BUILD)/klpctl

$(BUILD)/host/sha512_test: tests/host/sha512_test.c tests/host/testutil.h lib/crypto/sha512.c include/kelp/crypto/sha512.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ tests/host/sha512_test.c lib/crypto/sha512.c

# ed25519_test.c includes lib/crypto/ed25519.c itself to reach its internals.
$(BUILD)/host/ed25519_test: tests/host/ed25519_test.c tests/host/testutil.h lib/crypto/ed25519.c \
                            include/kelp/crypto/ed25519.h lib/crypto/sha512.c include/kelp/crypto/sha512.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ tests/host/ed25519_test.c lib/crypto/sha512.c

$(BUILD)/host/elf_test: tests/host/elf_test.c tests/host/testutil.h kernel/module/elf_check.c \
                        kernel/module/reloc.c include/kelp/elf.h kernel/module/elf_check.h kernel/module/reloc.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ tests/host/elf_test.c kernel/module/elf_check.c kernel/module/reloc.c

$(BUILD)/host/module_sig_test: tests/host/module_sig_test.c tests/host/testutil.h kernel/module/signature.c \
                               kernel/module/signature.h lib/crypto/ed25519.c lib/crypto/sha512.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTCFLAGS) -o $@ tests/host/module_sig_test.c kernel/module/signature.c \
	  lib/crypto/ed25519.c lib/crypto/sha512.c

# The protocol test runs a fake kernel peer in a thread against build/klpctl,
# so it sees libc's headers first, like klpctl.
KLP_PROTO_SRCS := drivers/patchchan/frame.c drivers/patchchan/xfer.c lib/crypto/crc32.c
$(BUILD)/host/klp_proto_test: tests/host/klp_proto_test.c tests/host/testutil.h $(KLP_PROTO_SRCS) \
                              drivers/patchchan/proto.h include/kelp/crypto/crc32.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(subst -Iinclude,-idirafter include -include stdio.h,$(HOSTCFLAGS)) -pthread -o $@ \
	  tests/host/klp_proto_test.c $(KLP_PROTO_SRCS)

.PHONY: host-tests
host-tests: $(HOST_TESTS)
	KCFLAGS="$(filter-out -MMD -MP,$(KCFLAGS)) $(FTRACE_FLAGS)" tests/host/mkfixtures.sh $(BUILD)/host/fixtures
	tests/host/run.sh $(BUILD)/host

# libFuzzer targets (tests/fuzz/) over the kernel's own parsers, built from
# the same source files with clang and ASan + UBSan. tests/fuzz/shim stands
# in for the few kernel services they touch (heap, console, interrupt flag).
# `make fuzz FUZZ_SECONDS=N` runs campaigns (FUZZ_MERGE=1 merges new inputs
# into tests/fuzz/corpus/); `make fuzz-replay` runs every corpus file once.
FUZZ_CC      := clang
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -Wall -Wextra -Werror -Wno-incompatible-library-redeclaration -Wno-macro-redefined
FUZZ_INC     := -Itests/fuzz/shim/include -Iinclude
# To do when the loader lands: a target for the module parameter parser.
FUZZ_TARGETS := elf sig frame shell pfs_path ed25519_diff modparams
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60
FUZZ_MERGE   ?= 0
FUZZ_SHIM    := tests/fuzz/shim/shim.c tests/fuzz/shim/include/arch/cpu.h

fuzz_srcs_elf          := kernel/module/elf_check.c kernel/module/reloc.c
fuzz_srcs_sig          := kernel/module/signature.c lib/crypto/ed25519.c lib/crypto/sha512.c
fuzz_srcs_frame        := drivers/patchchan/frame.c drivers/patchchan/xfer.c lib/crypto/crc32.c
fuzz_srcs_shell        := kernel/shell/line.c tests/fuzz/shim/shim.c
fuzz_srcs_pfs_path     := fs/pseudofs.c fs/seq_file.c tests/fuzz/shim/shim.c
fuzz_srcs_ed25519_diff := lib/crypto/ed25519.c lib/crypto/sha512.c
fuzz_srcs_modparams    := kernel/module/params.c fs/pseudofs.c fs/seq_file.c tests/fuzz/shim/shim.c

$(BUILD)/fuzz/sig: tests/fuzz/corpus_key.inc
# OpenSSL's headers want libc's string.h and errno.h: Kelp's come after.
$(BUILD)/fuzz/ed25519_diff: FUZZ_INC := -idirafter include
$(BUILD)/fuzz/ed25519_diff: FUZZ_LIBS := -lcrypto

.SECONDEXPANSION:
$(FUZZ_BINS): $(BUILD)/fuzz/%: tests/fuzz/%.c $$(fuzz_srcs_$$*) $(FUZZ_SHIM) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -o $@ $< $(fuzz_srcs_$*) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-seeds
fuzz-build:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz-replay: fuzz-build
	tools/fuzz.sh replay $(BUILD) $(FUZZ_TARGETS)

fuzz: fuzz-build
	tools/fuzz.sh run $(BUILD) $(FUZZ_SECONDS) $(FUZZ_MERGE) $(FUZZ_TARGETS)

# Regenerates the seed corpora (committed; see tests/fuzz/mkseeds.py).
fuzz-seeds:
	KCFLAGS="$(filter-out -MMD -MP,$(KCFLAGS)) $(FTRACE_FLAGS)" tests/fuzz/mkseeds.py
