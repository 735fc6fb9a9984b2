# gdb setup for `make debug` (QEMU waits on :1234 with -s -S).
# usage, from the top of the tree:  gdb -x tools/kelp.gdb
# then `continue`: execution stops at kmain (hardware breakpoint: it works
# before paging is set up and needs no write to kernel text).
set pagination off
set confirm off
set architecture i386:x86-64
# `file`, not just symbol-file: gdb then knows the executable and does not
# warn that none was specified
file build/kernel.elf
target remote :1234
set disassemble-next-line auto
hbreak kmain
echo kelp.gdb: stopped at reset; `continue` runs to kmain\n
