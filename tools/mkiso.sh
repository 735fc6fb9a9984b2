#!/bin/sh
# Builds a GRUB rescue ISO that boots KERNEL through multiboot2 with CMDLINE.
# usage: tools/mkiso.sh KERNEL.elf "CMDLINE" OUT.iso
set -eu
kernel=$1 cmdline=$2 out=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/kelp-iso.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/kernel.elf"
cat > "$dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry "Kelp" {
  multiboot2 /boot/kernel.elf $cmdline
  boot
}
CFG
grub-mkrescue -o "$out.tmp" "$dir" >/dev/null 2>&1 || { echo "mkiso: grub-mkrescue failed" >&2; grub-mkrescue -o "$out.tmp" "$dir"; exit 1; }
mv "$out.tmp" "$out"
