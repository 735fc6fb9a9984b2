"""The benches (tests/bench, `make bench`) under -icount: each figure is
printed only when its precondition holds (the site really is the NOP, or a
jmp to the new function; the transition really is held open), else
`bench: NAME skipped: WHY`. On a healthy kernel nothing is skipped, every
figure is there and the run ends cleanly (no thread left behind to hang
it). The helpers themselves are checked by ftrace.bench_site_preconditions.

The report explains itself: a header line per benchmark, the table grouped
the same way, a legend giving every unit used a meaning, `done` once; and
tools/bench-filter (what `make bench` writes build/bench/bench.txt through)
leaves no screen codes or CRs and none of GRUB's menu."""
import os
import re
import subprocess

import pytest

from kelp import Kelp, ROOT

FIGURES = ["call_nop", "call_jmp_redirect", "call_ops_empty", "lp_call_unpatched",
           "lp_call_transition", "lp_call_steady", "lp_call_after_replace_nop",
           "lp_transition_10_kthreads", "lp_enable_to_complete_1func",
           "lp_enable_to_complete_stacked_100", "lp_straggler_exit_to_complete",
           "lp_unpatch_10_kthreads_4_user_getpid", "lp_transition_2000_kthreads",
           "ed25519_verify_1k", "ed25519_verify_4k", "sha512_4k"]
FIGURE = re.compile(r"(?m)^bench: (\w+) (\d+) (\S+)$")


def run_bench(cmdline, name, timeout, icount=False):
    """Boots the kernel with cmdline (a bench= selection), waits up to
    timeout s for the run to power off and returns its log; the run must
    end with status 33 (kelp.py's EXIT_PASS)."""
    k = Kelp(cmdline + " loglevel=4", name=name, icount=icount, expect_panic=True, com2=False)
    try:
        k.boot()
        status = k.wait_exit(timeout=timeout)
        log = k.log
    finally:
        k.close()
    assert status == 33, log[-2000:]
    return log


@pytest.fixture(scope="module")
def log():
    # make bench's 10,000 threads would double the boot's time: 2,000
    return run_bench("bench bench_threads=2000", "bench", 600, icount=True)


@pytest.fixture(scope="module")
def report(log):
    r = subprocess.run([os.path.join(ROOT, "tools", "bench-filter")], input=log,
                       capture_output=True, text=True, check=True)
    return r.stdout


def test_bench_preconditions_hold(log):
    assert "skipped:" not in log, re.findall(r"bench: \S+ skipped: .*", log)
    for name in FIGURES:
        assert re.search(r"(?m)^bench: %s \d+ " % name, log), name
    assert re.search(r"bench: done \(\d+ benchmarks, \d+ figures\)", log)


def test_report_is_clean(log, report):
    assert "\x1b" in log or "\r" in log  # the raw console has them: the filter has work
    assert "\x1b" not in report and "\r" not in report
    assert "Booting" not in report and "getpid_loop:" not in report
    assert report.startswith("bench: ")
    assert len(re.findall(r"(?m)^bench: done", report)) == 1
    assert report.rstrip().splitlines()[-1].startswith("bench: done")


def test_every_figure_under_a_header_and_in_the_table(report):
    figures = FIGURE.findall(report)
    assert figures
    lines = report.splitlines()
    heads = [i for i, l in enumerate(lines) if l.startswith("bench: == ")]
    first = min(i for i, l in enumerate(lines) if FIGURE.match(l))
    assert heads and heads[0] < first  # no figure before the first header
    table = lines[lines.index(next(l for l in lines if l.startswith("figure "))):]
    assert "unit" in table[0] and "value" in table[0]
    # the table groups figures under the same headers, with the same units
    assert [l[len("bench: "):] for l in lines if l.startswith("bench: == ")] == \
        [l for l in table if l.startswith("== ")]
    rows = [l.split() for l in table if l.startswith("  ") and len(l.split()) == 3]
    assert len(rows) == len(figures)
    for f in figures:
        assert list(f) in rows, f


def test_every_unit_is_explained(report):
    units = {u.split("/")[0] for _, _, u in FIGURE.findall(report)}
    legend = report[report.index("\nunits:\n"):]
    for u in units:
        m = re.search(r"(?m)^  %s +(.+)$" % re.escape(u), legend)
        assert m, u
        assert "not described" not in m.group(1), u
    # a time is never passed off as an instruction count
    assert re.search(r"(?m)^bench: lp_transition_10_kthreads \d+ us$", report)
    assert re.search(r"(?m)^  us +guest microseconds", legend)


def test_bench_threads_bad_value_is_refused():
    """bench_threads= that is not a count of 1 to 100,000 skips the bench
    with the reason, starts no thread, and the run still ends cleanly."""
    log = run_bench("bench=lp_transition_many bench_threads=12x", "bench_threads", 300)
    assert "bench: lp_transition_many skipped: bench_threads= is not a count of 1 to 100000" in log
    assert not re.search(r"(?m)^bench: lp_transition_\d+_kthreads ", log)
    assert re.search(r"bench: done \(1 benchmarks, 0 figures\)", log), log[-2000:]
