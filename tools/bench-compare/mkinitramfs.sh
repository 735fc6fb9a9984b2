#!/bin/sh
# Builds the Linux guest of `make bench-compare`: our measurement modules
# (linux/, with the installed kernel's kbuild), the getpid looper, and an
# initramfs of a static busybox, both and init.sh.
# usage: mkinitramfs.sh OUTDIR   (prints the kernel release it built for)
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
hdr=$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)
rel=${hdr#/usr/src/linux-headers-}
[ -f "/boot/vmlinuz-$rel" ] || { echo "bench-compare: no /boot/vmlinuz-$rel for $hdr" >&2; exit 1; }
mkdir -p "$out/mod" "$out/root/bin" "$out/root/kbench" "$out/root/proc" "$out/root/sys" "$out/root/dev"
cp "$here"/linux/Kbuild "$here"/linux/*.c "$out/mod/"
make -s -C "$hdr" M="$(cd "$out/mod" && pwd)" modules >"$out/kbuild.log" 2>&1 ||
	{ cat "$out/kbuild.log" >&2; exit 1; }
cp "$out"/mod/*.ko "$out/root/kbench/"
gcc -O2 -static -nostdlib -fno-pie -no-pie -o "$out/root/bin/getpid_loop" "$here/getpid_loop.c"
# busybox-static's: the initramfs has no shared libraries
readelf -l /bin/busybox | grep -q 'interpreter' &&
	{ echo "bench-compare: /bin/busybox is not static (install busybox-static)" >&2; exit 1; }
cp /bin/busybox "$out/root/bin/busybox"
cp "$here/init.sh" "$out/root/init"
(cd "$out/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$out/initramfs.gz"
echo "$rel"
