#!/bin/bash
# Runs Linux's livepatch selftest scripts, unchanged, against a running Kelp,
# inside a private mount namespace: the bridge (klpctl mount) is mounted
# there and bind-mounted over /sys, /dev/kmsg, the /proc files the guest has
# (cmdline, ...) and /proc/sys when the guest has it, and PATH puts the shims
# (modprobe, rmmod, dmesg, sysctl, modinfo, ...) first. The host's own /sys
# and /proc are untouched: nothing leaves the namespace.
#
# usage: run.sh SELFTEST_DIR TEST.sh...   (env: KELP_SOCK KLPCTL KELP_MODULES)
# Prints each script's output; the exit status is the number of failed scripts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "${KELP_IN_NS:-}" != 1 ]; then
	KELP_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
: "${KELP_SOCK:?}" "${KLPCTL:?}" "${KELP_MODULES:?}"
dir=$1
shift
KELP_MNT=$(mktemp -d /tmp/klpfs-XXXXXX)
export KELP_MNT KELP_SOCK KLPCTL KELP_MODULES
"$KLPCTL" -s "$KELP_SOCK" mount "$KELP_MNT" || exit 100
cleanup() {
	cd /
	umount -l /sys /dev/kmsg 2>/dev/null
	for f in "$KELP_MNT"/proc/*; do
		[ -f "$f" ] && umount -l "/proc/${f##*/}" 2>/dev/null
	done
	umount -l /proc/sys 2>/dev/null
	umount "$KELP_MNT" && rmdir "$KELP_MNT"
}
trap cleanup EXIT
mount --bind "$KELP_MNT/sys" /sys
mount --bind "$KELP_MNT/dev/kmsg" /dev/kmsg
for f in "$KELP_MNT"/proc/*; do
	[ -f "$f" ] && [ -f "/proc/${f##*/}" ] && mount --bind "$f" "/proc/${f##*/}"
done
[ -d "$KELP_MNT/proc/sys" ] && mount --bind "$KELP_MNT/proc/sys" /proc/sys
export PATH="$here/bin:$PATH"
failed=0
cd "$dir" || exit 100
for t in "$@"; do
	echo "# $t"
	timeout "${KELP_TEST_TIMEOUT:-900}" bash "./$t" 2>&1
	rc=$?
	echo "# $t: exit $rc"
	[ $rc -eq 0 ] || failed=$((failed + 1))
done
exit $failed
