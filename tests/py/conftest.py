"""pytest fixtures for booting Kelp under QEMU (see tests/py/kelp.py).

- `kelp`: a kernel at the prompt, shared by every test that doesn't care about
  kernel state (one boot per session; rebooted if a test left it dead).
- `kelp_factory(cmdline, qemu_args)`: a fresh kernel of one's own.
- `ktap_run`: one boot with `selftest` for the whole session; the kernel's
  self-test cases become pytest items `test_ktest[suite.case]`, listed at
  collection time from the .ktest_cases section of build/kernel.elf.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ktap  # noqa: E402
import ktest_list  # noqa: E402
from kelp import KERNEL, Kelp, KelpError  # noqa: E402

# The shared kernel boots with a distinctive command line so the cmdline
# tests can use it without a boot of their own.
SHARED_CMDLINE = "kelp.test=hello answer=42"
SELFTEST_TIMEOUT = float(os.environ.get("KELP_SELFTEST_TIMEOUT", "300"))


def pytest_generate_tests(metafunc):
    if "ktest_case" in metafunc.fixturenames:
        cases = ktest_list.list_cases(KERNEL) if os.path.exists(KERNEL) else []
        metafunc.parametrize("ktest_case", cases, ids=[c.id for c in cases])


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


class _Shared(object):
    kernel = None


@pytest.fixture(scope="session")
def _shared_kelp():
    holder = _Shared()
    yield holder
    if holder.kernel is not None:
        holder.kernel.close()


@pytest.fixture
def kelp(_shared_kelp, request):
    """The shared kernel, at the prompt. Its console output during this test
    goes to build/test-logs/<test>.log."""
    k = _shared_kelp.kernel
    if k is not None:
        try:
            k.sync()
        except (KelpError, OSError, ValueError):
            k.close()
            k = None
    if k is None:
        k = Kelp(SHARED_CMDLINE, name="shared-kelp").boot()
        _shared_kelp.kernel = k
        k.wait_prompt()
    start = len(k.log)
    yield k
    k.save_log(request.node.name, since=start)
    k.save_log()


@pytest.fixture
def kelp_factory(request):
    """kelp_factory(cmdline="", qemu_args=(), **kw) -> a booted Kelp (not yet
    waited on). Closed, and its log saved, when the test ends."""
    made = []

    def make(cmdline="", qemu_args=(), **kw):
        name = request.node.name + ("-%d" % len(made) if made else "")
        k = Kelp(cmdline, qemu_args, name=name, **kw)
        made.append(k)
        return k.boot()

    yield make
    for k in made:
        k.close()


class SelftestRun(object):
    def __init__(self, status, log, run, error=None):
        self.status = status
        self.log = log
        self.ktap = run
        self.error = error


@pytest.fixture(scope="session")
def ktap_run():
    """Boots once with `selftest` and returns the exit status and parsed KTAP."""
    k = Kelp("selftest", name="selftest", expect_panic=True).boot()
    status, error = None, None
    try:
        status = k.wait_exit(timeout=SELFTEST_TIMEOUT)
    except KelpError as e:
        error = str(e)
    finally:
        k.close()
    return SelftestRun(status, k.log, ktap.parse(k.log), error)
