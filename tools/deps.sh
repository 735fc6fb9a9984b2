#!/bin/sh
# Installs the Debian packages Kelp needs when any is missing: as root it runs
# apt-get itself, otherwise it prints the exact command and fails.
# usage: tools/deps.sh [build|test|linux|format|fuzz|bench-compare]
#   build: compile the kernel, make ISOs, boot QEMU (make, make run/selftest/debug)
#   test:  build + the pytest harness (make test), which replays the fuzz corpora
#          and builds Linux's livepatch samples and selftest modules
#   linux: build + Linux 6.1's sources, from which `make linux-modules` and the
#          test blobs take Linux's samples and selftest modules unchanged
#   fuzz:  clang, libFuzzer and OpenSSL's headers for tests/fuzz/ (make fuzz)
#   format: clang-format (make format)
#   bench-compare: build + Debian's kernel, its kbuild headers and a static
#          busybox, to build our Linux measurement modules and boot Linux
#          side by side with Kelp (make bench-compare)
set -eu
mode=${1:-build}
need=""
chk() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
pymod() { /usr/bin/python3 -c "import $1" 2>/dev/null || need="$need $2"; }
check() {
  need=""
  if [ "$mode" = format ]; then
    chk clang-format clang-format
    return
  fi
  if [ "$mode" = fuzz ] || [ "$mode" = test ]; then
    chk clang clang
    # libFuzzer and the sanitizer runtimes for clang 14.
    ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
      need="$need libclang-rt-14-dev"
    [ -f /usr/include/openssl/evp.h ] || need="$need libssl-dev"
    # make fuzz-coverage's profile merge and reports
    chk llvm-profdata-14 llvm-14
    chk llvm-cov-14 llvm-14
    [ "$mode" = fuzz ] && return
  fi
  chk gcc gcc
  chk ld binutils
  chk make make
  chk nasm nasm
  chk grub-mkrescue grub-common
  # grub-mkrescue only builds a BIOS-bootable ISO with the i386-pc modules.
  [ -d /usr/lib/grub/i386-pc ] || need="$need grub-pc-bin"
  chk xorriso xorriso
  chk mformat mtools
  chk qemu-system-x86_64 qemu-system-x86
  # blob keys and signatures (tools/klp-sign), and the channel's signed
  # requests (klpctl, tools/klpwire.py, tests/py/klpproto.py)
  chk openssl openssl
  chk /usr/bin/python3 python3
  # tools/klp-build (make livepatch) applies source patches.
  chk patch patch
  if [ "$mode" = test ] || [ "$mode" = linux ]; then
    [ -f /usr/src/linux-source-6.1.tar.xz ] || need="$need linux-source-6.1"
  fi
  if [ "$mode" = bench-compare ]; then
    ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || need="$need linux-image-amd64"
    ls -d /usr/src/linux-headers-*-amd64 >/dev/null 2>&1 || need="$need linux-headers-amd64"
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
      need="$need busybox-static"
    chk cpio cpio
  fi
  if [ "$mode" = test ]; then
    pymod pytest python3-pytest
    pymod pexpect python3-pexpect
    pymod xdist python3-pytest-xdist   # make test's two workers
    # the host bridge (klpctl mount, tools/klpfs.py) and make linux-selftests
    pymod fusepy python3-fusepy
    chk fusermount3 fuse3
    # tests/py/test_readme.py copies the tree (git ls-files) and runs the
    # README's git diff / git checkout in the copy
    chk git git
  fi
}
check
[ -z "$need" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages:$need" >&2
  echo "deps: install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends$need" >&2
  exit 1
fi
echo "deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || echo "deps: apt-get update failed; trying the cached lists" >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $need
check
if [ -n "$need" ]; then
  echo "deps: still missing after install:$need" >&2
  exit 1
fi
