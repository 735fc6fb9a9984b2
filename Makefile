# Kelp: one Makefile for the kernel, the ISO, the host tools and the tests.
# `make` builds build/kernel.elf (+ kernel.sym, kernel.asm) and build/os.iso.

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
            -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables \
            -Wall -Wextra -Werror -Iinclude -MMD -MP
FTRACE_FLAGS := -pg -mfentry -mrecord-mcount
LDFLAGS  := -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=sha1 -T linker.ld

KSRCS    := $(wildcard kernel/*.c arch/x86_64/*.c mm/*.c livepatch/*.c tests/kernel/*.c)
KASM     := $(wildcard boot/*.asm arch/x86_64/*.asm)
KOBJS    := $(patsubst %.c,$(BUILD)/%.o,$(KSRCS)) $(patsubst %.asm,$(BUILD)/%.o,$(KASM))

.PHONY: all iso run debug selftest test clean deps format
all: $(BUILD)/kernel.elf $(BUILD)/os.iso

deps:
	@tools/deps.sh build

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) $(FTRACE_FLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -F dwarf -Iinclude/ $< -o $@

$(BUILD)/kernel.elf: $(KOBJS) linker.ld
	$(LD) $(LDFLAGS) -o $@ $(KOBJS)
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
	$(QEMU) $(QEMUFLAGS) -cdrom $(BUILD)/run.iso -serial mon:stdio

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

# The host test suite (tests/, pytest driving QEMU); PYTEST_ARGS='-k shell -x' etc.
PYTEST_ARGS ?=
test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all
	$(PY) -m pytest -q $(PYTEST_ARGS) tests/

FORMAT_SRCS = $(shell find kernel arch mm livepatch include tests/kernel tools \
                -name '*.[ch]' 2>/dev/null)
format:
	@tools/deps.sh format
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
