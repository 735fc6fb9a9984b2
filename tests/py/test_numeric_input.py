"""Numbers read from the console, COM2 and a blob's parameters go through
the overflow-checked kstrto*() parsers (include/kelp/kstrtox.h) and are
range-checked without a sum that can wrap. The example of the hostile
review: `start 2147483647 2` passed a signed `nk + nu <= 64` (the sum
wraps negative) and wrote past the 64-entry task array."""
import re

import pytest

from kelp import Kelp, blob_file

STATS = "/sys/kernel/kelp/stress_stats"
INT = "/sys/kernel/kelp/test_int"
EINVAL = "Invalid argument"
ERANGE = "Numerical result out of range"


@pytest.fixture(scope="module")
def k():
    k = Kelp("loglevel=3", name="numeric_input")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def tasks(k):
    m = re.search(r"(?m)^tasks (\d+) (\d+)$", k.run("cat " + STATS))
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("args,err", [
    ("2147483647 2", EINVAL),      # the review's example: the sum wraps
    ("2 2147483647", EINVAL),
    ("4294967295 1", EINVAL),      # would wrap an unsigned sum to 0
    ("4294967296 0", ERANGE),      # does not fit the parser's type
    ("99999999999999999999 0", ERANGE),
    ("-1 2", EINVAL),
    ("65 0", EINVAL),
    ("0 65", EINVAL),
    ("33 32", EINVAL),
    ("1x 0", EINVAL),
])
def test_stress_start_out_of_range(k, args, err):
    out = k.run("echo start %s > %s" % (args, STATS))
    assert "echo: %s: %s" % (STATS, err) in out, out
    assert tasks(k) == (0, 0)
    assert k.run("echo still here") == "still here"


def test_stress_start_at_the_bound(k):
    assert k.run("echo start 32 32 > " + STATS, timeout=30) == ""
    assert tasks(k) == (32, 32)
    assert k.run("echo stop > " + STATS, timeout=30) == ""
    assert tasks(k) == (0, 0)


@pytest.mark.parametrize("val,err", [
    ("2147483648", ERANGE), ("-2147483649", ERANGE), ("0x80000000", ERANGE),
    ("4294967298", ERANGE), ("12a", EINVAL), ("--1", EINVAL),
])
def test_int_attribute_out_of_range(k, val, err):
    assert k.run("echo 5 > " + INT) == ""
    out = k.run("echo %s > %s" % (val, INT))
    assert "echo: %s: %s" % (INT, err) in out, out
    assert k.run("cat " + INT) == "5"


@pytest.mark.parametrize("val,want", [
    ("2147483647", "2147483647"), ("-2147483648", "-2147483648"), ("0x7fffffff", "2147483647")])
def test_int_attribute_bounds(k, val, want):
    assert k.run("echo %s > %s" % (val, INT)) == ""
    assert k.run("cat " + INT) == want


def test_fail_nth_out_of_range(k):
    out = k.run("echo 4294967296 > /sys/kernel/kelp/fail_nth")
    assert ERANGE in out, out


def test_module_param_out_of_range_over_com2(k):
    r = k.klpctl("load", blob_file("fault_mod"), "armed=0", "target=4294967296")
    assert r.returncode == 1
    assert "value '4294967296' for parameter 'target' out of range" in r.stderr, r.stderr
    assert "fault_mod" not in k.run("lsmod")
    r = k.klpctl("load", blob_file("fault_mod"), "armed=0", "target=2147483647")
    assert r.returncode == 0, r.stderr
    assert k.run("cat /sys/module/fault_mod/parameters/target") == "2147483647"
    out = k.run("echo 2147483648 > /sys/module/fault_mod/parameters/target")
    assert ERANGE in out, out
    assert k.run("cat /sys/module/fault_mod/parameters/target") == "2147483647"
    assert k.klpctl("unload", "fault_mod").returncode == 0
