"""The benches (tests/bench, `make bench`) under -icount: each figure is
printed only when its precondition holds (the site really is the NOP, or a
jmp to the new function; the transition really is held open), else
`bench: NAME skipped: WHY`. On a healthy kernel nothing is skipped, every
figure is there and the run ends cleanly (no thread left behind to hang
it). The helpers themselves are checked by ftrace.bench_site_preconditions."""
import re

from kelp import Kelp

FIGURES = ["call_nop", "call_jmp_redirect", "call_ops_empty", "lp_call_unpatched",
           "lp_call_transition", "lp_call_steady", "lp_call_after_replace_nop",
           "lp_transition_10_kthreads", "lp_enable_to_complete_1func",
           "lp_enable_to_complete_stacked_100", "lp_straggler_exit_to_complete",
           "lp_unpatch_10_kthreads_4_user_getpid", "lp_transition_2000_kthreads"]


def test_bench_preconditions_hold():
    # make bench's 10,000 threads would double the boot's time: 2,000
    k = Kelp("bench bench_threads=2000 loglevel=4", name="bench", icount=True,
             expect_panic=True, com2=False)
    try:
        k.boot()
        status = k.wait_exit(timeout=600)
        log = k.log
    finally:
        k.close()
    assert status == 33, log[-2000:]
    assert "skipped:" not in log, re.findall(r"bench: \S+ skipped: .*", log)
    for name in FIGURES:
        assert re.search(r"(?m)^bench: %s \d+ " % name, log), name
    assert re.search(r"bench: done \(\d+ benchmarks, \d+ figures\)", log)


def test_bench_threads_bad_value_is_refused():
    """bench_threads= that is not a count of 1 to 100,000 skips the bench
    with the reason, starts no thread, and the run still ends cleanly."""
    k = Kelp("bench=lp_transition_many bench_threads=12x loglevel=4", name="bench_threads",
             expect_panic=True, com2=False)
    try:
        k.boot()
        status = k.wait_exit(timeout=300)
        log = k.log
    finally:
        k.close()
    assert status == 33, log[-2000:]
    assert "bench: lp_transition_many skipped: bench_threads= is not a count of 1 to 100000" in log
    assert not re.search(r"(?m)^bench: lp_transition_\d+_kthreads ", log)
    assert re.search(r"bench: done \(1 benchmarks, 0 figures\)", log), log[-2000:]
