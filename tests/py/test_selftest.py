"""The kernel's own self-tests, one pytest item per KTEST() case.

Items are generated from build/kernel.elf (tests/py/ktest_list.py); all of them
share one `selftest` boot (the `ktap_run` fixture) and assert their own KTAP
line, so a failing case shows up by name here.
"""
import os
import subprocess

import pytest

import ktap
import ktest_list
from kelp import EXIT_FAIL, EXIT_PASS, KERNEL, ROOT


def _context(run):
    tail = "\n".join(run.log.strip().split("\n")[-30:])
    return "\n--- selftest console (last lines) ---\n" + tail + (run.error or "")


def test_ktest(ktest_case, ktap_run):
    res = ktap_run.ktap.cases.get(ktest_case.id)
    if res is None:
        pytest.fail("%s printed no KTAP result (kernel crashed or hung?)%s"
                    % (ktest_case.id, _context(ktap_run)))
    if res.status == ktap.SKIP:
        pytest.skip("kernel skipped %s: %s" % (ktest_case.id, res.reason))
    assert res.status == ktap.PASS, "%s: not ok\n%s" % (ktest_case.id,
                                                      "\n".join(res.diagnostics))


def test_selftest_exit_status(ktap_run):
    assert ktap_run.status == EXIT_PASS, \
        "QEMU exit status %s (33 = pass, 35 = fail)%s" % (ktap_run.status, _context(ktap_run))


def test_selftest_ktap_complete(ktap_run):
    """The KTAP is whole and names exactly the cases compiled into the ELF."""
    run = ktap_run.ktap
    assert run.version_seen, "no 'KTAP version 1' line" + _context(ktap_run)
    assert run.complete, "KTAP output is truncated" + _context(ktap_run)
    elf = set(c.id for c in ktest_list.list_cases(KERNEL))
    assert set(run.cases) == elf


def test_selftest_unknown_suite_fails(kelp_factory):
    k = kelp_factory("selftest=no_such_suite", expect_panic=True)
    assert k.wait_exit(timeout=60) == EXIT_FAIL
    assert "no_such_suite" in k.log


def test_selftest_one_suite(kelp_factory):
    cases = ktest_list.list_cases(KERNEL)
    if not cases:
        pytest.skip("no self-test cases are compiled in")
    suite = cases[-1].suite
    k = kelp_factory("selftest=" + suite, expect_panic=True)
    status = k.wait_exit(timeout=120)
    run = ktap.parse(k.log)
    assert list(run.suites) == [suite]
    assert set(run.cases) == set(c.id for c in cases if c.suite == suite)
    assert status == (EXIT_FAIL if run.failed else EXIT_PASS)


def test_make_selftest():
    """`make selftest` succeeds exactly when QEMU exits 33."""
    r = subprocess.run(["make", "-s", "--no-print-directory", "selftest"], cwd=ROOT,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = r.stdout.decode(errors="replace")
    assert "qemu exit status 33" in out, out[-3000:]
    assert r.returncode == 0, out[-3000:]


@pytest.mark.parametrize("suite", ["sched", "time"])
def test_selftest_exact_under_icount(kelp_factory, suite):
    """Under -icount shift=0,sleep=off the TSC counts guest instructions and
    virtual time only moves with them, so the checks that are bounds under
    plain TCG become exact (msleep's wake-up time, O(1) pick-next); the
    `icount` word on the command line tells the tests they may assert that."""
    k = kelp_factory("selftest=%s icount" % suite, ["-icount", "shift=0,sleep=off"],
                     expect_panic=True)
    status = k.wait_exit(timeout=240)
    run = ktap.parse(k.log)
    assert not run.failed, k.log[-3000:]
    assert status == EXIT_PASS
