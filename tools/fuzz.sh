#!/bin/bash
# Runs the libFuzzer targets built by `make fuzz-build` (tests/fuzz/).
# usage: tools/fuzz.sh replay BUILDDIR TARGET...
#          every committed corpus file through its target once (make test)
#        tools/fuzz.sh run BUILDDIR SECONDS MERGE TARGET...
#          a campaign of SECONDS per target, two at a time; new inputs go to
#          BUILDDIR/fuzz/work/TARGET, and with MERGE=1 the ones that add
#          new edges are merged into tests/fuzz/corpus/TARGET (edges only,
#          not hit counts, so the committed corpus stays small). Crashes are
#          written to BUILDDIR/fuzz/crashes/TARGET/.
set -u
mode=$1 build=$2
shift 2
bin=$build/fuzz

# Longest input per target: an ELF object or blob up to 64 KiB, a frame
# script a few frames long, a line or a few path operations.
max_len() {
	case $1 in
	elf | sig) echo 65536 ;;
	frame) echo 16384 ;;
	shell | pfs_path) echo 4096 ;;
	ed25519_diff) echo 1200 ;;
	*) echo 4096 ;;
	esac
}

if [ "$mode" = replay ]; then
	fail=0 pass=0
	for t in "$@"; do
		out=$("$bin/$t" -runs=0 tests/fuzz/corpus/"$t" 2>&1)
		rc=$?
		n=$(ls tests/fuzz/corpus/"$t" | wc -l)
		if [ $rc -eq 0 ]; then
			echo "ok - $t: $n corpus files"
			pass=$((pass + 1))
		else
			echo "$out" | tail -40
			echo "not ok - $t: exit status $rc over $n corpus files"
			fail=$((fail + 1))
		fi
	done
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
fi

[ "$mode" = run ] || { echo "usage: see $0" >&2; exit 2; }
secs=$1 merge=$2
shift 2
jobs=$(nproc)
[ "$jobs" -gt 2 ] && jobs=2

campaign() {
	t=$1
	work=$bin/work/$t crashes=$bin/crashes/$t log=$bin/logs/$t.log
	mkdir -p "$work" "$crashes" "$(dirname "$log")"
	"$bin/$t" -max_len="$(max_len "$t")" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$work" tests/fuzz/corpus/"$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ "$merge" = 1 ] && [ $rc -eq 0 ]; then
		"$bin/$t" -merge=1 -use_counters=0 -max_len="$(max_len "$t")" tests/fuzz/corpus/"$t" "$work" \
			>>"$log" 2>&1
	fi
	status=ok
	[ $rc -eq 0 ] || status="CRASH (exit $rc, see $log and $crashes/)"
	printf '%-13s %10s execs %7s exec/s  corpus %3s files  %s\n' "$t" "${execs:-?}" \
		"${rate:-?}" "$(ls tests/fuzz/corpus/"$t" | wc -l)" "$status"
	[ $rc -eq 0 ]
}
export -f campaign max_len
export bin secs merge
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'campaign {}'
