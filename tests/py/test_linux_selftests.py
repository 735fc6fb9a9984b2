"""Linux 6.1's own livepatch selftest scripts (tools/testing/selftests/
livepatch/*.sh), unchanged, against the test kernel, as `make
linux-selftests` runs them (tools/linux-selftests/selftests.py): each script
on a fresh kernel through the host bridge and the shims, judged by Linux's
own check_result. Every case the script names must report "ok"; a failure
shows Linux's diff of the expected and the actual log."""
import os
import sys

import pytest

from kelp import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools", "linux-selftests"))
import selftests  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/src/linux-source-6.1.tar.xz"),
                                reason="linux-source-6.1 is not installed (tools/deps.sh test)")
needs_fuse = pytest.mark.skipif(not os.path.exists("/dev/fuse") or os.geteuid() != 0,
                                reason="needs /dev/fuse and root (FUSE mount, unshare -m)")

# Linux 6.1's count of test cases per script: a script whose cases are not
# all found (a changed tarball, a broken parse) fails instead of passing on
# fewer cases.
CASES = {"test-livepatch.sh": 3, "test-callbacks.sh": 11, "test-shadow-vars.sh": 1,
         "test-state.sh": 4, "test-ftrace.sh": 1, "test-sysfs.sh": 2}


def test_verdicts_read_linuxs_output(modules):
    """The runner's reading of a script's output: Linux's "ok", "not ok"
    with check_result's diff, a die() before the verdict, and the cases
    after the one where the script stopped."""
    script = "test-callbacks.sh"
    names = selftests.case_names(script)
    out = "\n".join([
        "# " + script,
        "TEST: %s ... ok" % names[0],
        "TEST: %s ... not ok" % names[1],
        "",
        "--- expected", "+++ result", "@@ -1,2 +1,2 @@", "-livepatch: a", "+livepatch: b",
        "",
        "ERROR: livepatch kselftest(s) failed",
        "# %s: exit 1" % script])
    got = selftests.verdicts(script, out)
    assert [(n, v) for n, v, _ in got[:2]] == [(names[0], "ok"), (names[1], "not ok")]
    assert got[1][2].splitlines()[-2:] == ["-livepatch: a", "+livepatch: b"]
    assert [v for _, v, _ in got[2:]] == ["not run"] * (len(names) - 2)
    assert "ERROR: livepatch kselftest(s) failed" in got[2][2]
    died = selftests.verdicts(script, "TEST: %s ... ERROR: failed to load module x\n" % names[0])
    assert died[0][1:] == ("error", "ERROR: failed to load module x")
    assert len(died) == len(names)


class _Env(dict):
    """run.sh's environment; a failure's report does not print all of it."""

    def __repr__(self):
        return "<KELP_MODULES=%s>" % self.get("KELP_MODULES")


@pytest.fixture(scope="module")
def modules():
    rc, out = selftests.build_modules()
    assert rc == 0, "Linux's modules do not all build unchanged:\n" + out[-3000:]
    return _Env(selftests.modules_env())


@needs_fuse
@pytest.mark.parametrize("script", selftests.TESTS)
def test_linux_selftest(modules, script):
    assert len(selftests.case_names(script)) == CASES[script]
    output, rc, secs = selftests.run_script(script, modules)
    results = selftests.verdicts(script, output)
    assert len(results) == CASES[script], output
    bad = ["%s: %s\n%s" % (name, verdict, detail) for name, verdict, detail in results
           if verdict != "ok"]
    assert not bad, "\n\n".join(bad) + "\n\n--- output ---\n" + output
    # run.sh's status is the count of scripts that exited non-zero
    assert rc == 0, output
    print("%s: %d cases ok in %.1f s" % (script, len(results), secs))
