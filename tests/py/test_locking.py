"""The concurrency contract: the `locking` self-test suite in a boot of its
own with a bounded wait, so a lock hang fails here by name instead of
stalling the whole selftest boot."""
import ktap
from kelp import EXIT_PASS, KelpError


def _run_suite(kelp_factory, timeout):
    k = kelp_factory("selftest=locking", expect_panic=True)
    try:
        status = k.wait_exit(timeout=timeout)
    except KelpError as e:
        raise AssertionError("the locking suite did not finish in %ds (hang?): %s\n%s"
                             % (timeout, e, k.log[-3000:]))
    return status, ktap.parse(k.log), k.log


def test_locking_suite_finishes(kelp_factory):
    status, run, log = _run_suite(kelp_factory, 120)
    assert run.complete and run.cases, log[-3000:]
    assert not run.failed, log[-3000:]
    assert status == EXIT_PASS
