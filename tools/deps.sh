#!/bin/sh
# Installs the Debian packages Kelp needs when any is missing.
# usage: tools/deps.sh [build|test]   (test adds the pytest/pexpect packages)
set -eu
need=""
chk() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
chk gcc gcc
chk ld binutils
chk make make
chk nasm nasm
chk grub-mkrescue grub-common
[ -d /usr/lib/grub/i386-pc ] || need="$need grub-pc-bin"
chk xorriso xorriso
chk mformat mtools
chk qemu-system-x86_64 qemu-system-x86
chk openssl openssl
chk /usr/bin/python3 python3
if [ "${1:-build}" = test ]; then
  /usr/bin/python3 -c 'import pytest' 2>/dev/null || need="$need python3-pytest"
  /usr/bin/python3 -c 'import pexpect' 2>/dev/null || need="$need python3-pexpect"
  chk clang clang
fi
[ -z "$need" ] && exit 0
cmd="apt-get install -y$need"
if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || true
  apt-get install -y -q $need >/dev/null
else
  echo "deps: missing packages:$need"
  echo "deps: run as root:  sudo apt-get update && sudo $cmd"
  exit 1
fi
