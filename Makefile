# Kelp's top Makefile. Each source directory lists its objects in a small
# Kbuild fragment (obj-y, obj-$(CONFIG_...)); this file gathers them, links
# the kernel, makes the ISO, the host tools and the blobs, and runs the tests.
#
# One tree, three kernels (VARIANT):
#   run   build/kernel.elf       what `make run` boots and `make patch` targets:
#                                no self-test, bench or stress code
#   test  build/test/kernel.elf  CONFIG_KTEST, CONFIG_BENCH, CONFIG_STRESS and
#                                CONFIG_FAILSLAB on: `make test`, `selftest`,
#                                `stress` and `storm` boot this one
#   bench build/bench/kernel.elf the run kernel plus CONFIG_BENCH only (no lock
#                                validator, no self-test hooks): `make bench`
#                                boots it, so the figures are the run kernel's
# V=1 prints whole command lines instead of Kbuild's short form.

SHELL    := /bin/bash
CC       := gcc
LD       := ld
NASM     := nasm
OBJCOPY  := objcopy
OBJDUMP  := objdump
PY       := /usr/bin/python3
QEMU     := qemu-system-x86_64
HOSTCC   := cc
CMDLINE  ?=

VARIANT ?= run
TEST_BUILD := build/test
BENCH_BUILD := build/bench
ifeq ($(VARIANT),run)
BUILD := build
else ifeq ($(VARIANT),test)
BUILD := $(TEST_BUILD)
CONFIG_KTEST    := y
CONFIG_BENCH    := y
CONFIG_STRESS   := y
CONFIG_FAILSLAB := y
else ifeq ($(VARIANT),bench)
BUILD := $(BENCH_BUILD)
CONFIG_BENCH    := y
else
$(error VARIANT is run, test or bench, not '$(VARIANT)')
endif
CONFIGS := KTEST BENCH STRESS FAILSLAB
CONFIG_DEFS := $(foreach c,$(CONFIGS),$(if $(filter y,$(CONFIG_$(c))),-DCONFIG_$(c)=1))
# A sub-make for the test kernel, from any target.
TEST_MAKE := $(MAKE) --no-print-directory VARIANT=test

# Kbuild's short output: "  CC      kernel/sched/core.o"; V=1 for the commands.
ifeq ($(V),1)
Q :=
say := @:
else
Q := @
say = @printf '  %-7s %s\n' '$(1)' '$(patsubst build/%,%,$(2))'
endif

# Reproducible: the same tree gives the same kernel.elf bytes and build ID
# wherever it is checked out (no absolute paths in DWARF, __FILE__ or the
# symbol table; nothing reads the clock), so tools/klp-build can rebuild the
# running kernel's objects in a copy and a patch matches the image it targets.
REPRO_FLAGS := -ffile-prefix-map=$(CURDIR)=.
# One section per function and per data object (.text.NAME, .data.NAME):
# tools/klp-build compares objects section by section. linker.ld gathers
# .text.* etc. in input order, so the layout stays that of one section per file.
SECTION_FLAGS := -ffunction-sections -fdata-sections
# Kernel C: freestanding, no red zone, no SSE, frame pointers, kernel code model,
# and every function carries a 5-byte fentry site recorded in __mcount_loc.
# include/ holds the public headers (<kelp/...>, <arch/...>); tests/include the
# test kernel's own (<kelp/ktest.h>, <kelp/bench.h>).
KCFLAGS  := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
            -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
            -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-toplevel-reorder -fno-asynchronous-unwind-tables \
            -Wall -Wextra -Werror -Iinclude -Iarch/x86_64/include $(if $(CONFIG_KTEST)$(CONFIG_BENCH),-Itests/include) \
            $(CONFIG_DEFS) $(REPRO_FLAGS) $(SECTION_FLAGS) -MMD -MP
FTRACE_FLAGS := -pg -mfentry -mrecord-mcount
LDFLAGS  := -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=sha1 -T linker.ld

# The kernel's directories, in link order (initcalls of one level, self-test
# suites and benches run in this order). Each has a Kbuild fragment.
KDIRS := boot arch/x86_64 kernel kernel/locking kernel/sched kernel/user kernel/trace kernel/module kernel/shell \
         mm fs lib lib/crypto drivers/patchchan livepatch \
         tests/ktest tests/builtin tests/bench tests/stress tests/klp-build
KOBJS :=
define kbuild_dir
obj-y :=
include $(1)/Kbuild
KOBJS += $$(addprefix $(BUILD)/$(1)/,$$(obj-y))
endef
$(foreach d,$(KDIRS),$(eval $(call kbuild_dir,$(d))))
KASMOBJS := $(foreach o,$(KOBJS),$(if $(wildcard $(patsubst $(BUILD)/%.o,%.asm,$(o))),$(o)))
KLINK    := $(KOBJS) $(BUILD)/gen/module_sig_keys.o $(BUILD)/gen/user_programs.o

.PHONY: all iso run debug selftest test clean deps format bench patch module
all: $(BUILD)/kernel.elf $(BUILD)/os.iso $(BUILD)/klpctl

deps:
	@tools/deps.sh build

# The compiler flags are a prerequisite of every object: changing them in this
# file rebuilds the kernel (the file is rewritten only when they change).
FLAGS_FILE := $(BUILD)/kcflags
$(FLAGS_FILE): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(KCFLAGS) $(FTRACE_FLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(KCFLAGS) $(FTRACE_FLAGS)' > $@
.PHONY: FORCE
FORCE:

$(BUILD)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) $(FTRACE_FLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm $(FLAGS_FILE) tools/asm-repro.py
	@mkdir -p $(dir $@)
	$(call say,AS,$@)
	$(Q)$(NASM) -f elf64 -g -F dwarf -Iinclude/ $(NASMFLAGS) $< -o $@
	$(Q)$(PY) tools/asm-repro.py $(CURDIR) $@
# nasm 2.16 does not list %include files in its dependency output: every
# asm object depends on every shared .inc instead.
$(KASMOBJS): $(wildcard arch/x86_64/*.inc)

# User programs (user/*.c, one program each, plus the runtime in user/lib;
# user/Kbuild lists them): static ELF executables built with the host
# compiler, linked at 4 MiB by user/user.ld, embedded in the kernel by a
# generated incbin table. No SSE: the kernel does not save FPU state.
UCFLAGS  := -std=gnu11 -O2 -Wl,-s -ffreestanding -fno-builtin -nostdlib -static -fno-pie -no-pie \
            -fno-pic -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
            -fno-omit-frame-pointer -Wall -Wextra -Werror -Iuser/include -idirafter include \
            -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--build-id=none
prog-y :=
include user/Kbuild
USER_LIB   := $(wildcard user/lib/*.c user/lib/*.S)
USER_PROGS := $(addprefix $(BUILD)/user/,$(prog-y))

$(BUILD)/user/%: user/%.c $(USER_LIB) user/user.ld user/include/kelp.h include/uapi/syscall.h
	@mkdir -p $(dir $@)
	$(call say,USER,$@)
	$(Q)$(CC) $(UCFLAGS) -T user/user.ld -o $@ user/lib/crt0.S $< $(filter %.c,$(USER_LIB))

$(BUILD)/gen/user_programs.asm: $(USER_PROGS) tools/gen_user_programs.sh user/Kbuild
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)tools/gen_user_programs.sh $@ $(USER_PROGS)

$(BUILD)/gen/user_programs.o: $(BUILD)/gen/user_programs.asm
	$(call say,AS,$@)
	$(Q)$(NASM) -f elf64 $< -o $@

# Blob signing key: made once with OpenSSL on first use, never committed
# (keys/ is in .gitignore) and never regenerated while it exists. The
# public half is embedded in the kernel through a generated C file.
SIGN_KEY := keys/signing_key.pem
$(SIGN_KEY):
	@mkdir -p $(dir $@)
	$(call say,KEYGEN,$@)
	$(Q)umask 077 && openssl genpkey -algorithm ed25519 -out $@

$(BUILD)/gen/module_sig_keys.c: $(SIGN_KEY) tools/klp-sign
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q)tools/klp-sign --key $(SIGN_KEY) --pubkey-c > $@.tmp && mv $@.tmp $@

# -iquote .: the generated file includes the loader's private header by path.
$(BUILD)/gen/module_sig_keys.o: $(BUILD)/gen/module_sig_keys.c $(FLAGS_FILE)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) $(FTRACE_FLAGS) -iquote . -c $< -o $@

# The host side of the serial patch channel (docs/PROTOCOL.md): the frame
# codec is the kernel's own source, built for the host. -idirafter: libc's
# headers win, Kelp's fill in the rest.
KLPCTL_SRCS := tools/klpctl.c drivers/patchchan/frame.c lib/crypto/crc32.c lib/crypto/sha512.c \
               lib/kstrtox.c
$(BUILD)/klpctl: $(KLPCTL_SRCS) drivers/patchchan/proto.h include/kelp/crypto/crc32.h \
                 include/kelp/crypto/sha512.h
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -idirafter include -o $@ $(KLPCTL_SRCS)

# Patches and modules (docs/BLOB-FORMAT.md): `make patch P=path/to/foo.c`
# builds any source, inside the repository or not, into build/patches/foo.klp
# against this kernel's build ID and signs it; `make module P=...` the same
# for a plain module; VERSION=N stamps klp_version=N (anti-rollback,
# docs/SECURITY.md). The author's headers are include/linux/ (Linux's
# names); -nostdinc keeps the host's /usr/include out (tools/mkpatch.sh).
# `make patch` first checks the patch against that kernel (tools/klp-check.py:
# each klp_func's old_name is in the kernel or its module, unique or given
# an old_sympos, a function with an fentry site; MODULE_INFO(livepatch, "Y")
# is there), so what the kernel would refuse is a build error.
# Linux builds module sources without -Wunused-parameter (seq_file show
# callbacks ignore v): samples port by changing includes only.
PATCH_CFLAGS := $(filter-out -MMD -MP -I% $(CONFIG_DEFS),$(KCFLAGS)) $(FTRACE_FLAGS) -Wno-unused-parameter
MKPATCH      := KCFLAGS="$(PATCH_CFLAGS)" tools/mkpatch.sh
patch module: $(BUILD)/kernel.elf $(SIGN_KEY)
	@test -n "$(P)" || { echo "usage: make $@ P=path/to/foo.c" >&2; exit 2; }
	@test -f "$(P)" || { echo "make $@: no such file: $(P)" >&2; exit 2; }
	$(Q)$(MKPATCH) "$(P)" $(BUILD)/patches --kernel $(BUILD)/kernel.elf \
	  $(if $(VERSION),--version "$(VERSION)") $(if $(filter patch,$@),--check)

# A live patch from a source patch (tools/klp-build):
# `make livepatch PATCH=fix.patch [NAME=name]` -> build/patches/NAME.klp for
# the kernel in $(BUILD) (the one `make run` boots). No dependency on
# kernel.elf: the tree may already carry the fix, and rebuilding would make
# the fixed kernel; klp-build checks that the objects it touches match it.
# KLPB_ARGS='--debug --show-first-changed' explains its choices; CALLBACKS=cb.c
# adds hand-written callbacks (#define KLPB_PRE_PATCH fn, ...).
.PHONY: livepatch
livepatch: $(SIGN_KEY)
	@test -n "$(PATCH)" || { echo "usage: make livepatch PATCH=fix.patch [NAME=name]" >&2; exit 2; }
	$(Q)tools/klp-build "$(PATCH)" --build-dir $(BUILD) $(if $(NAME),--name "$(NAME)") \
	  $(if $(CALLBACKS),--callbacks "$(CALLBACKS)") $(KLPB_ARGS)

# Kelp's own fixes replayed as live patches (tools/klp-history; not part of
# `make test`): prints the table commit / outcome and the fraction.
.PHONY: klp-history
klp-history: $(SIGN_KEY)
	$(Q)$(PY) tools/klp-history $(KLP_HISTORY_ARGS)

# Linux 6.1's livepatch samples and selftest modules, unchanged, from Debian's
# linux-source-6.1 (tools/deps.sh linux): extracted into build/, never into
# the tree. `make linux-modules` builds every one of them as a blob for this
# kernel (build/linux-modules/*.klp, or build/test/...); the test blobs take
# the ones Kelp's tests load from there too (samples/Kbuild, tests/modules/Kbuild).
LINUX_TAR   := /usr/src/linux-source-6.1.tar.xz
LINUX_DIR   := build/linux-source-6.1
LINUX_STAMP := $(LINUX_DIR)/.extracted
LINUX_PATHS := samples/livepatch lib/livepatch tools/testing/selftests/livepatch
$(LINUX_STAMP):
	@tools/deps.sh linux
	@mkdir -p build
	$(call say,UNTAR,$(LINUX_DIR))
	$(Q)tar -xmJf $(LINUX_TAR) -C build --wildcards $(foreach d,$(LINUX_PATHS),'linux-source-6.1/$(d)/*')
	$(Q)touch $@
# The sources appear with the stamp (tar -m: dated now, so the blobs that
# were built from other sources before are rebuilt).
$(LINUX_DIR)/%.c: $(LINUX_STAMP)
	@test -f $@
LINUX_SAMPLES := livepatch-sample livepatch-shadow-mod livepatch-shadow-fix1 livepatch-shadow-fix2 \
                 livepatch-callbacks-demo livepatch-callbacks-mod livepatch-callbacks-busymod
LINUX_TESTMODS := test_klp_atomic_replace test_klp_callbacks_busy test_klp_callbacks_demo \
                  test_klp_callbacks_demo2 test_klp_callbacks_mod test_klp_livepatch \
                  test_klp_shadow_vars test_klp_state test_klp_state2 test_klp_state3
$(foreach b,$(LINUX_SAMPLES),$(eval lx_$(b)-src := $(LINUX_DIR)/samples/livepatch/$(b).c))
$(foreach b,$(LINUX_TESTMODS),$(eval lx_$(b)-src := $(LINUX_DIR)/lib/livepatch/$(b).c))
# test_klp_state3.c includes test_klp_state2.c
lx_test_klp_state3-deps := $(LINUX_DIR)/lib/livepatch/test_klp_state2.c
# LXB=DIR builds them elsewhere (tests/py/test_linux_modules.py rebuilds its
# own copy from scratch while other tests load these).
LXB ?= $(BUILD)/linux-modules
LINUX_BLOBS := $(addprefix $(LXB)/,$(addsuffix .klp,$(LINUX_SAMPLES) $(LINUX_TESTMODS)))
.PHONY: linux-modules
linux-modules: $(LINUX_BLOBS)

# Test blobs (tests/modules/Kbuild, samples/Kbuild): one rule for all of
# them. ktest-y are embedded in the test kernel (suite "module") with a fixed
# build ID, since a blob inside the kernel cannot carry the ID of the image
# that contains it; blob-y are built against the test kernel's real build ID
# for the end-to-end tests over COM2 (build/test/testblobs/*.klp).
KTB := $(BUILD)/ktest
TB  := $(BUILD)/testblobs
ktest-y :=
blob-y :=
include tests/modules/Kbuild samples/Kbuild
BLOB_DEPS := $(SIGN_KEY) tools/mkpatch.sh tools/klp-fixup.py tools/klp-sign \
             $(wildcard include/linux/*.h) include/kelp/module.h include/kelp/livepatch.h
$(KTB)/build_id.bin:
	@mkdir -p $(dir $@)
	$(Q)printf 'kelp-ktest-build-id!' > $@
$(KTB)/other_key.pem:
	@mkdir -p $(dir $@)
	$(call say,KEYGEN,$@)
	$(Q)umask 077 && openssl genpkey -algorithm ed25519 -out $@
# $(1): output dir, $(2): blob name, $(3): build-ID option, $(4): its prerequisite
define blob_rule
$(1)/$(2).klp: $$($(2)-src) $$($(2)-deps) $(4) $$(BLOB_DEPS) $$(if $$(findstring @KTB@,$$($(2)-opts)),$(KTB)/other_key.pem)
	$$(call say,KLP,$$@)
	$$(Q)KCFLAGS="$$(PATCH_CFLAGS) $$($(2)-cflags)" tools/mkpatch.sh $$< $(1) $(3) \
	  --name $(2) $$(subst @KTB@,$(KTB),$$($(2)-opts)) >/dev/null
endef
$(foreach b,$(ktest-y),$(eval $(call blob_rule,$(KTB),$(b),--build-id-file $(KTB)/build_id.bin,$(KTB)/build_id.bin)))
$(foreach b,$(blob-y),$(eval $(call blob_rule,$(TB),$(b),--kernel $(BUILD)/kernel.elf,$(BUILD)/kernel.elf)))
define linux_module_rule
$(LXB)/$(1).klp: $$(lx_$(1)-src) $$(lx_$(1)-deps) $(BUILD)/kernel.elf $$(BLOB_DEPS)
	$$(call say,KLP,$$@)
	$$(Q)KCFLAGS="$$(PATCH_CFLAGS)" tools/mkpatch.sh $$< $(LXB) --kernel $(BUILD)/kernel.elf >/dev/null
endef
$(foreach b,$(LINUX_SAMPLES) $(LINUX_TESTMODS),$(eval $(call linux_module_rule,$(b))))
KTEST_BLOBS := $(addprefix $(KTB)/,$(addsuffix .klp,$(ktest-y)))
TEST_BLOBS  := $(addprefix $(TB)/,$(addsuffix .klp,$(blob-y)))
# tests/ktest/ktest_blobs.asm embeds them: incbin finds them on nasm's include path.
$(BUILD)/tests/ktest/ktest_blobs.o: $(KTEST_BLOBS)
$(BUILD)/tests/ktest/ktest_blobs.o: NASMFLAGS += -I$(KTB)/
.PHONY: testblobs
testblobs: $(TEST_BLOBS)

# The embedded symbol table (tools/gensyms.py) fills .ksyms, the last
# section, so filling it moves nothing. Link 1 has an empty table; link 2
# carries the table of link 1; link 3 carries the table of link 2, whose
# only differences (the table's own symbols) have the same layout, so link
# 3's table describes link 3 exactly. Both facts are checked, not assumed.
GENSYMS  := $(PY) tools/gensyms.py
KSYMTMP  := $(BUILD)/ksyms

$(BUILD)/kernel.elf: $(KLINK) linker.ld tools/gensyms.py
	@mkdir -p $(KSYMTMP)
	$(call say,LD,$@)
	$(Q)$(GENSYMS) gen -o $(KSYMTMP)/table0.S
	$(Q)$(CC) -c $(KSYMTMP)/table0.S -o $(KSYMTMP)/table0.o
	$(Q)$(LD) $(LDFLAGS) -o $(KSYMTMP)/kernel1.elf $(KLINK) $(KSYMTMP)/table0.o
	$(call say,KSYMS,$@)
	$(Q)$(GENSYMS) gen $(KSYMTMP)/kernel1.elf $(KASMOBJS) -o $(KSYMTMP)/table1.S
	$(Q)$(CC) -c $(KSYMTMP)/table1.S -o $(KSYMTMP)/table1.o
	$(Q)$(LD) $(LDFLAGS) -o $(KSYMTMP)/kernel2.elf $(KLINK) $(KSYMTMP)/table1.o
	$(Q)$(GENSYMS) gen $(KSYMTMP)/kernel2.elf $(KASMOBJS) -o $(KSYMTMP)/table2.S
	$(Q)$(CC) -c $(KSYMTMP)/table2.S -o $(KSYMTMP)/table2.o
	$(Q)$(LD) $(LDFLAGS) -Map=$(KSYMTMP)/kernel3.map -o $(KSYMTMP)/kernel3.elf $(KLINK) $(KSYMTMP)/table2.o
	$(Q)$(GENSYMS) verify $(KSYMTMP)/kernel1.elf $(KSYMTMP)/kernel3.elf
	$(Q)$(GENSYMS) gen $(KSYMTMP)/kernel3.elf $(KASMOBJS) -o $(KSYMTMP)/table3.S
	$(Q)cmp -s $(KSYMTMP)/table2.S $(KSYMTMP)/table3.S || \
	  { echo "gensyms: the embedded table does not match the final link" >&2; exit 1; }
	$(Q)mv $(KSYMTMP)/kernel3.map $(BUILD)/kernel.map
	$(Q)mv $(KSYMTMP)/kernel3.elf $@
	$(Q)nm -n $@ > $(BUILD)/kernel.sym
	$(Q)$(OBJDUMP) -d -S $@ > $(BUILD)/kernel.asm 2>/dev/null

# An ISO for any command line: tools/mkiso.sh caches one per distinct CMDLINE.
$(BUILD)/os.iso: $(BUILD)/kernel.elf tools/mkiso.sh
	$(call say,ISO,$@)
	$(Q)tools/mkiso.sh $(BUILD)/kernel.elf "$(CMDLINE)" $@

QEMUFLAGS := -machine pc -m 256M -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
             -display none -monitor none
# CPUs `make run`/`make debug` give QEMU (the MADT lists them; the others
# are started and parked, only CPU 0 runs tasks so far).
SMP ?= 1

# -serial mon:stdio: Ctrl-A X quits QEMU (Ctrl-A C toggles the QEMU monitor).
run: deps
	@$(MAKE) --no-print-directory all
	$(Q)tools/mkiso.sh $(BUILD)/kernel.elf "$(CMDLINE)" $(BUILD)/run.iso
	@echo "run: Ctrl-A X (or the 'poweroff' command) quits QEMU"
	@echo "run: the patch channel (COM2) is $(BUILD)/klp.sock: $(BUILD)/klpctl list"
	@rm -f $(BUILD)/klp.sock
	$(QEMU) $(QEMUFLAGS) -smp $(SMP) -cdrom $(BUILD)/run.iso -serial mon:stdio \
	  -serial unix:$(BUILD)/klp.sock,server=on,wait=off

# QEMU stops before the first instruction and waits for gdb on :1234; the
# patch channel is there as in `make run`, so a patch loads under gdb.
debug: deps
	@$(MAKE) --no-print-directory all
	$(Q)tools/mkiso.sh $(BUILD)/kernel.elf "$(CMDLINE)" $(BUILD)/debug.iso
	@echo "debug: QEMU is waiting for gdb on :1234; in another terminal run: gdb -x tools/kelp.gdb"
	@echo "debug: the patch channel (COM2) is $(BUILD)/klp.sock: $(BUILD)/klpctl load ..."
	@echo "debug: Ctrl-A X quits QEMU"
	@rm -f $(BUILD)/klp.sock
	$(QEMU) $(QEMUFLAGS) -smp $(SMP) -cdrom $(BUILD)/debug.iso -serial mon:stdio \
	  -serial unix:$(BUILD)/klp.sock,server=on,wait=off -s -S

# The self-tests (KTAP on the console) in the test kernel; QEMU exits 33 on success.
selftest: deps
	@$(TEST_MAKE) all
	$(Q)tools/mkiso.sh $(TEST_BUILD)/kernel.elf "selftest $(CMDLINE)" $(TEST_BUILD)/selftest.iso
	$(QEMU) $(QEMUFLAGS) -cdrom $(TEST_BUILD)/selftest.iso -serial stdio </dev/null; s=$$?; \
	  echo "qemu exit status $$s"; test $$s -eq 33

# In-kernel micro-benchmarks under -icount shift=0,sleep=off: the TSC counts
# guest instructions, so the instruction counts are exact. BENCH='glob' filters.
# The bench kernel has no lock validator (its hooks are a test each even when
# off at run time), so the figures are those of the run kernel's paths.
# tools/bench-filter cuts the console to the runner's report (build/bench/bench.txt).
# BENCH_QEMUFLAGS are also Linux's in `make bench-compare`; the 10,000
# sleeping threads of lp_transition_10000 need the 1 GiB.
BENCH_QEMUFLAGS := -m 1024M -icount shift=0,sleep=off
bench: deps
	@$(MAKE) --no-print-directory VARIANT=bench all
	$(Q)tools/mkiso.sh $(BENCH_BUILD)/kernel.elf "bench$(if $(BENCH),=$(BENCH)) loglevel=4 $(CMDLINE)" \
	  $(BENCH_BUILD)/bench.iso
	$(QEMU) $(QEMUFLAGS) $(BENCH_QEMUFLAGS) -cdrom $(BENCH_BUILD)/bench.iso -serial stdio </dev/null \
	  | tools/bench-filter | tee $(BENCH_BUILD)/bench.txt; s=$${PIPESTATUS[0]}; test $$s -eq 33

# Kelp against Linux in one run (tools/bench-compare/, outside make test: it
# takes minutes): Debian's kernel (tools/deps.sh bench-compare installs it,
# its kbuild headers and busybox-static) boots an initramfs with our kbench
# modules, Kelp its bench kernel, under the same QEMU flags (Linux with
# mitigations=off); one table goes to the terminal, docs/bench-vs-linux.md
# and README.md (between its bench-compare markers).
BENCH_COMPARE := build/bench-compare
.PHONY: bench-compare
bench-compare:
	@tools/deps.sh bench-compare
	@mkdir -p $(BENCH_COMPARE)
	@$(MAKE) --no-print-directory VARIANT=bench all
	$(Q)tools/mkiso.sh $(BENCH_BUILD)/kernel.elf "bench loglevel=4" $(BENCH_COMPARE)/kelp.iso
	$(call say,GEN,$(BENCH_COMPARE)/linux/initramfs.gz)
	$(Q)tools/bench-compare/mkinitramfs.sh $(BENCH_COMPARE)/linux > $(BENCH_COMPARE)/release
	$(PY) tools/bench-compare/compare.py --qemu '$(QEMU) $(QEMUFLAGS) $(BENCH_QEMUFLAGS)' \
	  --kelp-iso $(BENCH_COMPARE)/kelp.iso --linux-kernel /boot/vmlinuz-$$(cat $(BENCH_COMPARE)/release) \
	  --initrd $(BENCH_COMPARE)/linux/initramfs.gz --logs $(BENCH_COMPARE) \
	  --out docs/bench-vs-linux.md --readme README.md

# The host test suite (tests/py/, pytest driving QEMU with the test kernel);
# PYTEST_ARGS='-k shell -x' etc. Test paths in PYTEST_ARGS (tests/py/test_x.py)
# run instead of the whole suite. The run kernel is built too: a test checks
# that it carries no test code. The slowest tests are listed at the end:
# make test has to stay under 10 minutes on a 2-core machine.
# Most of the suite waits on guest time (one QEMU uses about one core at
# a fraction of its time), so two pytest-xdist workers share the 2 cores,
# each taking whole files (a file's kernel fixtures stay in one worker).
# PYTEST_JOBS=1 runs it serially.
PYTEST_ARGS ?=
PYTEST_JOBS ?= 2
PYTEST_PAR = $(if $(filter-out 1,$(PYTEST_JOBS)),-n $(PYTEST_JOBS) --dist loadfile)
test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory VARIANT=run all
	@$(TEST_MAKE) all testblobs
	$(PY) -m pytest -q --durations=25 $(PYTEST_PAR) $(PYTEST_ARGS) $(if $(filter tests/%,$(PYTEST_ARGS)),,tests/py/)

# Linux 6.1's own livepatch selftests, unchanged, against the test kernel
# (tools/linux-selftests/: the scripts come from LINUX_DIR, the modules are
# `linux-modules` for the test kernel, the scripts run on the host through
# the FUSE bridge and shims in a private mount namespace). `make test` runs
# them too (tests/py/test_linux_selftests.py); LINUX_SELFTESTS=test-state.sh
# runs one script.
.PHONY: linux-selftests
linux-selftests:
	@tools/deps.sh test
	@$(TEST_MAKE) all
	$(PY) tools/linux-selftests/selftests.py $(LINUX_SELFTESTS)

# docs/timeline.svg, the README's picture: a real transition of the test
# kernel (the callbacks demo held up by the busy module's sleeping work),
# drawn from the kernel's record by klpctl timeline --svg.
.PHONY: timeline-svg
timeline-svg:
	@$(TEST_MAKE) all testblobs
	$(PY) tools/timeline-demo.py docs/timeline.svg $(BUILD)/timeline.json

# The bad-blob storm (tests/py/test_blob_storm.py) at full length: STORM_COUNT
# mutated blobs (500 inside `make test`), STORM_SEED to replay a run.
STORM_COUNT ?= 5000
.PHONY: storm stress
storm:
	@tools/deps.sh test
	@$(TEST_MAKE) all testblobs
	KELP_STORM_COUNT=$(STORM_COUNT) $(if $(STORM_SEED),KELP_STORM_SEED=$(STORM_SEED)) \
	  $(PY) -m pytest -q -s $(PYTEST_ARGS) tests/py/test_blob_storm.py

# Livepatch stress (tests/py/test_stress.py) at full length: STRESS_CYCLES
# load/enable/replace/disable/unload cycles over COM2 (50 inside `make
# test`) under 16 kernel threads + 16 user tasks checking kelp_pair.
# Then the torture suite (tests/py/test_torture.py, 3 s inside `make test`)
# for TORTURE_SECONDS of guest time; `make torture` runs it alone.
STRESS_CYCLES ?= 1000
TORTURE_SECONDS ?= 60
TORTURE_RUN = KELP_TORTURE_SECONDS=$(TORTURE_SECONDS) $(PY) -m pytest -q -s $(PYTEST_ARGS) \
  tests/py/test_torture.py
.PHONY: torture
stress:
	@tools/deps.sh test
	@$(TEST_MAKE) all testblobs
	KELP_STRESS_CYCLES=$(STRESS_CYCLES) $(PY) -m pytest -q -s $(PYTEST_ARGS) tests/py/test_stress.py -k consistency
	$(TORTURE_RUN)
torture:
	@tools/deps.sh test
	@$(TEST_MAKE) all testblobs
	$(TORTURE_RUN)

# The whole-system fuzzer (tools/fuzz-system.py): random programs of
# operations against a running test kernel, checked after every step; a
# finding is shrunk and saved to tests/fuzz-system/repro/ (replayed by
# tests/py/test_fuzz_system.py inside `make test`). SEED replays a campaign.
FUZZ_SECONDS ?= 600
.PHONY: fuzz-system
fuzz-system:
	@tools/deps.sh test
	@$(TEST_MAKE) all testblobs
	nice $(PY) tools/fuzz-system.py --seconds $(FUZZ_SECONDS) $(if $(SEED),--seed $(SEED))

FORMAT_SRCS = $(shell find $(KDIRS) include tools -name '*.[ch]' 2>/dev/null)
format:
	@tools/deps.sh format
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf build

-include $(shell find $(BUILD) $(if $(filter run,$(VARIANT)),-path $(TEST_BUILD) -prune -o -path $(BENCH_BUILD) -prune -o) -name '*.d' -print 2>/dev/null)

# Host unit tests (tests/host/) for kernel code that is plain portable C, such
# as the crypto: built with the host compiler and sanitizers, then run by
# tests/host/run.sh, which prints "N passed, M failed".
HOSTCFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
              -fno-sanitize-recover=all -Iinclude
HOST_TESTS := $(BUILD)/host/sha512_test $(BUILD)/host/ed25519_test $(BUILD)/host/elf_test \
              $(BUILD)/host/module_sig_test $(BUILD)/host/patchchan_test $(BUILD)/host/kstrtox_test \
              $(BUILD)/host/shell_line_test $(BUILD)/klpctl
define host_cc
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(1) -o $@ $(2)
endef

$(BUILD)/host/sha512_test: tests/host/sha512_test.c tests/host/testutil.h lib/crypto/sha512.c \
                           include/kelp/crypto/sha512.h
	$(call host_cc,$(HOSTCFLAGS),tests/host/sha512_test.c lib/crypto/sha512.c)

# ed25519_test.c includes lib/crypto/ed25519.c itself to reach its internals.
$(BUILD)/host/ed25519_test: tests/host/ed25519_test.c tests/host/testutil.h lib/crypto/ed25519.c \
                            lib/crypto/ed25519_base.h include/kelp/crypto/ed25519.h lib/crypto/sha512.c \
                            include/kelp/crypto/sha512.h
	$(call host_cc,$(HOSTCFLAGS),tests/host/ed25519_test.c lib/crypto/sha512.c)

$(BUILD)/host/elf_test: tests/host/elf_test.c tests/host/testutil.h kernel/module/elf_check.c \
                        kernel/module/reloc.c include/kelp/elf.h kernel/module/elf_check.h kernel/module/reloc.h \
                        lib/reason.c include/kelp/reason.h lib/kstrtox.c include/kelp/kstrtox.h
	$(call host_cc,$(HOSTCFLAGS),tests/host/elf_test.c kernel/module/elf_check.c kernel/module/reloc.c \
	  lib/reason.c lib/kstrtox.c)

$(BUILD)/host/kstrtox_test: tests/host/kstrtox_test.c tests/host/testutil.h lib/kstrtox.c \
                            include/kelp/kstrtox.h
	$(call host_cc,$(HOSTCFLAGS),tests/host/kstrtox_test.c lib/kstrtox.c)

# The console's line editor and tokeniser (kernel/shell/line.c).
# tests/fuzz/shim/string.c: the strlcpy line.c calls, which glibc lacks.
$(BUILD)/host/shell_line_test: tests/host/shell_line_test.c tests/host/testutil.h kernel/shell/line.c \
                               include/kelp/shell.h tests/fuzz/shim/string.c
	$(call host_cc,$(HOSTCFLAGS),tests/host/shell_line_test.c kernel/shell/line.c \
	  tests/fuzz/shim/string.c)

$(BUILD)/host/module_sig_test: tests/host/module_sig_test.c tests/host/testutil.h kernel/module/signature.c \
                               kernel/module/signature.h lib/crypto/ed25519.c lib/crypto/ed25519_base.h \
                               lib/crypto/sha512.c lib/reason.c include/kelp/reason.h
	$(call host_cc,$(HOSTCFLAGS),tests/host/module_sig_test.c kernel/module/signature.c \
	  lib/crypto/ed25519.c lib/crypto/sha512.c lib/reason.c)

# The protocol test runs a fake kernel peer in a thread against build/klpctl,
# so it sees libc's headers first, like klpctl.
PATCHCHAN_SRCS := drivers/patchchan/frame.c drivers/patchchan/xfer.c lib/crypto/crc32.c lib/reason.c
$(BUILD)/host/patchchan_test: tests/host/patchchan_test.c tests/host/testutil.h $(PATCHCHAN_SRCS) \
                              drivers/patchchan/proto.h include/kelp/crypto/crc32.h include/kelp/reason.h
	$(call host_cc,$(subst -Iinclude,-idirafter include -include stdio.h,$(HOSTCFLAGS)) -pthread,\
	  tests/host/patchchan_test.c $(PATCHCHAN_SRCS))

.PHONY: host-tests
# The key too: klpctl signs state-changing requests with it when it exists,
# and patchchan_test's "klpctl signed" case expects it to.
host-tests: $(HOST_TESTS) $(SIGN_KEY)
	$(Q)KCFLAGS="$(filter-out -MMD -MP,$(KCFLAGS)) $(FTRACE_FLAGS)" tests/host/mkfixtures.sh $(BUILD)/host/fixtures
	$(Q)tests/host/run.sh $(BUILD)/host

# libFuzzer targets (tests/fuzz/) over the kernel's own parsers, built from
# the same source files with clang and ASan + UBSan. tests/fuzz/shim stands
# in for the few kernel services they touch (heap, console, interrupt flag).
# `make fuzz FUZZ_SECONDS=N` runs campaigns (FUZZ_MERGE=1 merges new inputs
# into tests/fuzz/corpus/); `make fuzz-replay` runs every corpus file once.
FUZZ_CC      := clang
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -Wall -Wextra -Werror -Wno-incompatible-library-redeclaration -Wno-macro-redefined
FUZZ_INC     := -Itests/fuzz/shim/include -Iinclude -Iarch/x86_64/include
FUZZ_TARGETS := elf sig frame shell pfs_path ed25519_diff modparams
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60
FUZZ_MERGE   ?= 0
FUZZ_SHIM_SRCS := tests/fuzz/shim/shim.c tests/fuzz/shim/string.c
FUZZ_SHIM    := $(FUZZ_SHIM_SRCS) tests/fuzz/shim/include/arch/cpu.h

fuzz_srcs_elf          := kernel/module/elf_check.c kernel/module/reloc.c lib/reason.c lib/kstrtox.c
fuzz_srcs_sig          := kernel/module/signature.c lib/crypto/ed25519.c lib/crypto/sha512.c lib/reason.c
fuzz_srcs_frame        := drivers/patchchan/frame.c drivers/patchchan/xfer.c lib/crypto/crc32.c lib/reason.c
fuzz_srcs_shell        := kernel/shell/line.c $(FUZZ_SHIM_SRCS)
fuzz_srcs_pfs_path     := fs/pseudofs.c fs/seq_file.c $(FUZZ_SHIM_SRCS)
fuzz_srcs_ed25519_diff := lib/crypto/ed25519.c lib/crypto/sha512.c
fuzz_srcs_modparams    := kernel/module/params.c lib/kstrtox.c fs/pseudofs.c fs/seq_file.c $(FUZZ_SHIM_SRCS)

$(BUILD)/fuzz/sig: tests/fuzz/corpus_key.inc
# OpenSSL's headers want libc's string.h and errno.h: Kelp's come after.
$(BUILD)/fuzz/ed25519_diff: FUZZ_INC := -idirafter include
$(BUILD)/fuzz/ed25519_diff: FUZZ_LIBS := -lcrypto

.SECONDEXPANSION:
$(FUZZ_BINS): $(BUILD)/fuzz/%: tests/fuzz/%.c $$(fuzz_srcs_$$*) $(FUZZ_SHIM) $(wildcard include/*/*.h) \
              $(wildcard arch/x86_64/include/asm/*.h) $(wildcard lib/crypto/*.h)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INC) -o $@ $< $(fuzz_srcs_$*) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-seeds
fuzz-build:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz-replay: fuzz-build
	$(Q)tools/fuzz.sh replay $(BUILD) $(FUZZ_TARGETS)

fuzz: fuzz-build
	tools/fuzz.sh run $(BUILD) $(FUZZ_SECONDS) $(FUZZ_MERGE) $(FUZZ_TARGETS)

# Clang source-based coverage of each target over its corpus
# (tools/fuzz-coverage.sh; COV_WORK=1 adds the last campaign's inputs):
# reports under $(BUILD)/fuzz-coverage/, summarised in docs/fuzz-coverage.md.
# The parser files measured are each target's sources minus the shared
# helpers (shim, crc32, reason strings) and fuzz_cov_skip_TARGET.
FUZZ_COV_CFLAGS := -g -O1 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
                   -Wall -Wextra -Werror -Wno-incompatible-library-redeclaration -Wno-macro-redefined
FUZZ_COV_BINS   := $(addprefix $(BUILD)/fuzz-cov/,$(FUZZ_TARGETS))
FUZZ_COV_SKIP   := $(FUZZ_SHIM_SRCS) lib/crypto/crc32.c lib/reason.c
# linked for a few calls, measured with the target that parses through them
fuzz_cov_skip_elf       := lib/kstrtox.c
fuzz_cov_skip_modparams := fs/pseudofs.c fs/seq_file.c
fuzz_empty :=
fuzz_comma := ,
fuzz_space := $(fuzz_empty) $(fuzz_empty)
$(BUILD)/fuzz-cov/sig: tests/fuzz/corpus_key.inc
$(BUILD)/fuzz-cov/ed25519_diff: FUZZ_INC := -idirafter include
$(BUILD)/fuzz-cov/ed25519_diff: FUZZ_LIBS := -lcrypto
$(FUZZ_COV_BINS): $(BUILD)/fuzz-cov/%: tests/fuzz/%.c $$(fuzz_srcs_$$*) $(FUZZ_SHIM) \
                  $(wildcard include/*/*.h) $(wildcard arch/x86_64/include/asm/*.h) $(wildcard lib/crypto/*.h)
	@mkdir -p $(dir $@)
	$(call say,FUZZCOV,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_COV_CFLAGS) $(FUZZ_INC) -o $@ $< $(fuzz_srcs_$*) $(FUZZ_LIBS)

.PHONY: fuzz-coverage
fuzz-coverage:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_COV_BINS)
	$(Q)tools/fuzz-coverage.sh $(BUILD) $(foreach t,$(FUZZ_TARGETS),$(t):$(subst $(fuzz_space),$(fuzz_comma),$(strip \
	  $(filter-out $(FUZZ_COV_SKIP) $(fuzz_cov_skip_$(t)),$(fuzz_srcs_$(t))))))

# Regenerates the seed corpora (committed; see tests/fuzz/mkseeds.py).
fuzz-seeds:
	KCFLAGS="$(filter-out -MMD -MP,$(KCFLAGS)) $(FTRACE_FLAGS)" tests/fuzz/mkseeds.py
