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
           "lp_unpatch_10_kthreads_4_user_getpid", "lp_transition_10000_kthreads"]


def test_bench_preconditions_hold():
    # 1 GiB as in make bench: lp_transition_10000's threads need it
    k = Kelp("bench loglevel=4", name="bench", qemu_args=["-m", "1024M"], icount=True,
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
