"""The torture suite (tests/ktest/torture_test.c) in a boot of its own:
tracing every site on and off, livepatch transitions enabling, stacking,
replacing and disabling, a module loading and unloading, and 16 kthreads of
mixed priorities checking every call of the traced and patched pair sees one
version. A bounded wait turns a hang short of the watchdog into a failure
by name; the case checks its own invariants (validator reports, heap and
module area at baseline, progress of every thread).

KELP_TORTURE_SECONDS: guest seconds of the run (3 here; `make stress` runs
TORTURE_SECONDS, default 60)."""
import os
import re

import ktap
from kelp import EXIT_PASS, KelpError

FIGURES = re.compile(r"# torture: (\d+) ms, (\d+) calls by 16 threads \(fewest (\d+);.*?\) "
                     r"and \d+ from the tick, "
                     r"(\d+) transitions, (\d+) module loads, (\d+) tracer rounds")


def test_torture(kelp_factory, capsys):
    seconds = int(os.environ.get("KELP_TORTURE_SECONDS", "3"))
    timeout = 90 + 2 * seconds
    k = kelp_factory("selftest=torture torture_seconds=%d" % seconds, expect_panic=True)
    try:
        status = k.wait_exit(timeout=timeout)
    except KelpError as e:
        raise AssertionError("the torture run did not finish in %ds (hang?): %s\n%s"
                             % (timeout, e, k.log[-3000:]))
    run = ktap.parse(k.log)
    assert run.complete and run.cases, k.log[-3000:]
    assert not run.failed, k.log[-3000:]
    assert status == EXIT_PASS
    m = FIGURES.search(k.log)
    assert m, k.log[-3000:]
    ms, calls, fewest, transitions, loads, rounds = map(int, m.groups())
    assert ms >= seconds * 1000
    assert fewest > 0 and transitions > 0 and loads > 0 and rounds > 0
    with capsys.disabled():
        print("\n" + m.group(0).lstrip("# "))
