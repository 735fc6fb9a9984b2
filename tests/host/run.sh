#!/bin/sh
# Runs the host unit tests and totals their TAP lines into "N passed, M failed";
# a program that exits non-zero (a sanitizer report, a crash) counts as a failure.
# usage: tests/host/run.sh BUILDDIR   (env OPENSSL_VECTORS=N, default 32)
# BUILDDIR/fixtures is made by tests/host/mkfixtures.sh (make host-tests runs it).
set -u
dir=$1
log=$dir/host-tests.log

run() {
	echo "# $*"
	"$@"
	rc=$?
	[ "$rc" -eq 0 ] || echo "not ok - $* exited with status $rc"
}

{
	run "$dir/sha512_test"
	run "$dir/kstrtox_test"
	run "$dir/shell_line_test"
	run tests/host/gen_openssl_vectors.sh check tests/host/rfc8032_vectors.txt
	run tests/host/gen_openssl_vectors.sh gen "$dir/openssl_vectors.txt" "${OPENSSL_VECTORS:-32}"
	run "$dir/ed25519_test" tests/host/rfc8032_vectors.txt -s 7 "$dir/openssl_vectors.txt"
	run "$dir/elf_test" "$dir/fixtures"
	run "$dir/module_sig_test" "$dir/fixtures"
	run "$dir/patchchan_test" "$dir/../klpctl" "$dir/fixtures"
} > "$log" 2>&1
cat "$log"
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok' "$log")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
