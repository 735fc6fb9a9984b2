"""The soft-lockup watchdog: preemption kept off past watchdog_thresh is a
panic with a backtrace into the stuck code; shorter is not."""
import re

from kelp import EXIT_FAIL


def test_soft_lockup_panics_with_backtrace(kelp_factory):
    k = kelp_factory("panic_exit watchdog_thresh=2", expect_panic=True)
    k.wait_prompt()
    k.run("lockup", wait=False)
    k.expect_exact("Kernel panic - not syncing: soft lockup - CPU#0 stuck for", timeout=30)
    k.expect_exact("Call Trace:")
    k.expect_exact("---[ end Kernel panic")
    assert k.wait_exit(timeout=20) == EXIT_FAIL
    log = k.log
    panic = log[log.index("soft lockup - CPU#0"):]
    m = re.search(r"stuck for (\d+)s", panic)
    assert m and 2 <= int(m.group(1)) <= 4, panic[:200]
    trace = panic[panic.index("Call Trace:"):panic.index("---[ end Kernel panic")]
    assert "watchdog_tick+" in trace, trace
    assert "lockup_spin+" in trace, trace  # across the interrupt, into the stuck code


def test_short_preempt_off_section_does_not_trip(kelp_factory):
    k = kelp_factory("watchdog_thresh=3")
    k.wait_prompt()
    out = k.run("lockup 1", timeout=30)
    assert "preemption was off for 1s" in out
    assert "soft lockup - CPU" not in k.log and "Kernel panic" not in k.log
    assert "watchdog: soft lockup after 3s" in k.log
