"""The pseudo-fs and seq_file say what went wrong: a name collision is
-EEXIST with a log line naming the path (it read "Cannot allocate memory"),
and a seq_file buffer that cannot grow is -ENOMEM (it read "Value too large
for defined data type"). Nothing is left behind by the failed load."""

import pytest

from kelp import Kelp, blob_file

LP = "/sys/kernel/livepatch"
DUP = "pseudofs: cannot create duplicate filename '%s'"


@pytest.fixture(scope="module")
def k():
    k = Kelp("", name="pfs_errors")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def logged(k, text):
    k.drain()
    return text in k.log


def test_same_function_twice_in_one_patch(k):
    r = k.klpctl("load", blob_file("test_klp_dup_func"))
    assert r.returncode == 1
    assert "test_klp_dup_func: init failed: File exists (-17)" in r.stderr, r.stderr
    assert logged(k, DUP % ("%s/test_klp_dup_func/vmlinux/cmdline_proc_show,1" % LP))
    assert "test_klp_dup_func" not in k.run("lsmod")
    assert k.run("ls %s" % LP) == ""
    assert "patched twice" not in k.run("cat /proc/cmdline")


def test_replace_beside_a_module_called_vmlinux(k):
    r = k.klpctl("load", blob_file("test_klp_vmlinux_mod"))
    assert r.returncode == 0, r.stderr
    r = k.klpctl("load", blob_file("test_klp_atomic_replace"), "replace=1")
    assert r.returncode == 1
    assert "test_klp_atomic_replace: init failed: File exists (-17)" in r.stderr, r.stderr
    assert logged(k, DUP % ("%s/test_klp_atomic_replace/vmlinux" % LP))
    # the installed patch is untouched
    assert k.run("ls %s" % LP) == "test_klp_vmlinux_mod/"
    assert k.run("cat %s/test_klp_vmlinux_mod/enabled" % LP) == "1"
    assert "test_klp_atomic_replace" not in k.run("lsmod")
    assert k.klpctl("disable", "test_klp_vmlinux_mod").returncode == 0
    assert "complete" in k.klpctl("wait", "test_klp_vmlinux_mod").stdout
    assert k.klpctl("unload", "test_klp_vmlinux_mod").returncode == 0


@pytest.mark.parametrize("nth", [1, 2])
def test_seq_file_that_cannot_grow(k, nth):
    """fail_nth 1 fails the first buffer, 2 its first growth (the file is
    far longer than the first 512 bytes)."""
    assert k.run("echo %d > /sys/kernel/kelp/fail_nth" % nth) == ""
    out = k.run("cat /sys/kernel/tracing/available_filter_functions", timeout=20)
    assert out.rstrip().endswith(
        "cat: /sys/kernel/tracing/available_filter_functions: Cannot allocate memory"), out[-300:]
    assert "Value too large" not in out
    assert k.run("echo still here") == "still here"
