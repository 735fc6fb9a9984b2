"""Livepatch from the shell, as a Linux user drives it: load a built-in
patch module, watch /proc/cmdline and /sys/kernel/livepatch, disable it,
read the log lines in dmesg. Every test leaves no patch loaded."""

import pytest

from kelp import unload_builtin

LP = "/sys/kernel/livepatch"


@pytest.fixture
def lp(kelp):
    yield kelp
    for name in kelp.run("ls %s" % LP).split():
        name = name.rstrip("/")
        kelp.run("echo 0 > %s/%s/enabled" % (LP, name))
    for mod in ("test_klp_livepatch", "test_klp_atomic_replace"):
        kelp.run("klp unload %s" % mod)


def test_basic_patch_unpatch(lp):
    assert "this has been live patched" not in lp.run("cat /proc/cmdline")
    assert lp.run("klp load test_klp_livepatch", timeout=20).count(
        "livepatch: 'test_klp_livepatch': patching complete") == 1
    assert lp.run("cat /proc/cmdline") == "test_klp_livepatch: this has been live patched"
    d = LP + "/test_klp_livepatch"
    assert lp.run("cat %s/enabled" % d) == "1"
    assert lp.run("cat %s/transition" % d) == "0"
    assert lp.run("cat %s/replace" % d) == "0"
    assert lp.run("cat %s/stack_order" % d) == "1"
    assert lp.run("cat %s/vmlinux/patched" % d) == "1"
    # Kelp's extension: the transition's duration (Linux logs no such line)
    assert int(lp.run("cat %s/transition_us" % d)) > 0
    assert "cmdline_proc_show,1/" in lp.run("ls %s/vmlinux" % d).split()
    assert "cmdline_proc_show (1) I ->livepatch_cmdline_show" in \
        lp.run("cat /sys/kernel/tracing/enabled_functions")
    assert "Invalid argument" in lp.run("echo 1 > %s/enabled" % d)
    assert "Device or resource busy" in lp.run("klp unload test_klp_livepatch")
    lp.run("echo 0 > %s/enabled" % d, timeout=20)
    assert "this has been live patched" not in lp.run("cat /proc/cmdline")
    assert lp.run("ls %s" % LP) == ""
    assert unload_builtin(lp, "test_klp_livepatch")
    assert "cmdline_proc_show" not in lp.run("cat /sys/kernel/tracing/enabled_functions")
    log = lp.run("dmesg")
    for line in ("livepatch: enabling patch 'test_klp_livepatch'",
                 "livepatch: 'test_klp_livepatch': starting patching transition",
                 "livepatch: 'test_klp_livepatch': patching complete",
                 "livepatch: 'test_klp_livepatch': starting unpatching transition",
                 "livepatch: 'test_klp_livepatch': unpatching complete"):
        assert line in log, line
    # Kelp's own lines are debug sites, off by default as Linux's pr_debug
    assert "transition took" not in log and "initializing patching" not in log, log


def test_patch_state_in_proc(lp):
    assert lp.run("cat /proc/1/patch_state") == "-1"


def test_atomic_replace_from_shell(lp):
    lp.run("klp load test_klp_livepatch", timeout=20)
    lp.run("klp load test_klp_atomic_replace", timeout=20)
    assert sorted(lp.run("ls %s" % LP).split()) == ["test_klp_atomic_replace/",
                                                    "test_klp_livepatch/"]
    assert lp.run("cat %s/test_klp_atomic_replace/stack_order" % LP) == "2"
    lp.run("echo 0 > %s/test_klp_atomic_replace/enabled" % LP, timeout=20)
    assert unload_builtin(lp, "test_klp_atomic_replace")
    assert lp.run("cat /proc/cmdline") == "test_klp_livepatch: this has been live patched"
