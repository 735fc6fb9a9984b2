#!/bin/bash
# Source-based coverage of the libFuzzer targets over their corpora
# (`make fuzz-coverage`): runs each coverage build (clang
# -fprofile-instr-generate -fcoverage-mapping, no sanitizers) once over
# tests/fuzz/corpus/TARGET and, with COV_WORK=1, the campaign's inputs in
# BUILDDIR/fuzz/work/TARGET too, then writes per target under
# BUILDDIR/fuzz-coverage/TARGET/:
#   report.txt    llvm-cov's per-file table (regions, functions, lines, branches)
#   show.txt      every line of the parser files with its count and, under each
#                 condition, how often each way was taken (the unreached
#                 branches are the "0" ones)
#   html/         the same as pages
#   unreached.txt each condition one of whose ways no input takes
# and a summary of the line and branch figures to BUILDDIR/fuzz-coverage/summary.txt.
# usage: tools/fuzz-coverage.sh BUILDDIR TARGET:FILE,FILE... ...
set -eu
build=$1
shift
out=$build/fuzz-coverage
profdata=${LLVM_PROFDATA:-llvm-profdata-14}
cov=${LLVM_COV:-llvm-cov-14}
mkdir -p "$out"
summary=$out/summary.txt
printf '%-13s %6s %-34s %16s %18s\n' target inputs file lines branches >"$summary"

for spec in "$@"; do
	t=${spec%%:*}
	files=$(echo "${spec#*:}" | tr ',' ' ')
	bin=$build/fuzz-cov/$t
	dir=$out/$t
	rm -rf "$dir"
	mkdir -p "$dir/raw"
	dirs="tests/fuzz/corpus/$t"
	if [ "${COV_WORK:-0}" = 1 ] && [ -d "$build/fuzz/work/$t" ]; then
		dirs="$dirs $build/fuzz/work/$t"
	fi
	n=0
	for d in $dirs; do
		n=$((n + $(ls "$d" | wc -l)))
	done
	# -runs=0: every input once, no mutation. One process, one profile.
	LLVM_PROFILE_FILE="$dir/raw/%p.profraw" "$bin" -runs=0 $dirs >"$dir/run.log" 2>&1 || {
		tail -20 "$dir/run.log"
		echo "fuzz-coverage: $t failed on its corpus" >&2
		exit 1
	}
	"$profdata" merge -sparse "$dir"/raw/*.profraw -o "$dir/$t.profdata"
	rm -rf "$dir/raw"
	"$cov" report "$bin" -instr-profile="$dir/$t.profdata" $files >"$dir/report.txt"
	"$cov" show "$bin" -instr-profile="$dir/$t.profdata" -show-branches=count \
		-show-line-counts-or-regions $files >"$dir/show.txt"
	"$cov" show "$bin" -instr-profile="$dir/$t.profdata" -show-branches=count \
		-format=html -output-dir="$dir/html" $files
	# unreached.txt: each condition one of whose ways the corpus never
	# takes, as file:line: way never taken: the source line.
	awk -v root="$PWD/" -v file="${files%% *}" '
	     /^\/.*:$/ { file = substr($0, 1, length($0) - 1); sub(root, "", file); next }
	     /^ *[0-9]+\|/ { n = $0 + 0; s = $0; sub(/^[^|]*\|[^|]*\|/, "", s); src[n] = s; next }
	     /Branch \(/ { match($0, /\([0-9]+:/); l = substr($0, RSTART + 1, RLENGTH - 2) + 0
	                   t0 = $0 ~ /True: 0,/; f0 = $0 ~ /False: 0\]/
	                   way = t0 && f0 ? "never reached" : t0 ? "never true" : f0 ? "never false" : ""
	                   if (way != "") { s = src[l]; gsub(/^[ \t]+/, "", s)
	                                    printf "%s:%d: %s: %s\n", file, l, way, s } }' \
		"$dir/show.txt" >"$dir/unreached.txt"
	# Columns of llvm-cov 14's report: Filename, Regions, Missed, Cover,
	# Functions, Missed, Executed, Lines, Missed, Cover, Branches, Missed, Cover.
	for f in $files; do
		# llvm-cov drops the files' common directory prefix.
		awk -v f="$f" -v t="$t" -v n="$n" '$1 == f || substr(f, length(f) - length($1)) == "/" $1 ||
		                                   substr($1, length($1) - length(f)) == "/" f {
			printf "%-13s %6s %-34s %5s/%-5s %5s %5s/%-5s %5s\n", t, n, f,
			       $8 - $9, $8, $10, $11 - $12, $11, $13 }' "$dir/report.txt" >>"$summary"
	done
	echo "fuzz-coverage: $t: $n inputs -> $dir/report.txt, show.txt, html/"
done
cat "$summary"
