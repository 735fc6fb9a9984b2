"""Live patches end to end over the real serial path (issue 6, "Tests"):
signed blobs built by `make testblobs` from samples/livepatch-sample.c and
the blob ports of Linux's selftest modules (tests/modules/test_klp_*.c),
sent with build/klpctl through QEMU's COM2 socket; the effect is read back
from the console (/proc, /sys/kernel/livepatch, lsmod, rmmod) as Linux's
tools/testing/selftests/livepatch scripts do."""
import os
import re
import time

import pytest

from kelp import BUILD, Kelp

TB = os.path.join(BUILD, "testblobs")
LP = "/sys/kernel/livepatch"
CMDLINE = "kelp.e2e=1"


def blob(name):
    path = os.path.join(TB, name + ".klp")
    if not os.path.exists(path):
        pytest.skip("%s missing: run `make testblobs`" % path)
    return path


@pytest.fixture(scope="module")
def k():
    kk = Kelp(CMDLINE, name="patch_e2e")
    kk.boot()
    kk.wait_prompt()
    yield kk
    kk.close()


def heap_objects(k):
    out = k.run("cat /proc/meminfo")
    m = re.search(r"(?m)^KmallocObjects:\s*(\d+)", out)
    assert m, out
    return int(m.group(1))


def listed(k, name):
    return re.search(r"(?m)^%s\s" % name, k.run("lsmod")) is not None


def klp_ok(k, *args):
    r = k.klpctl(*args)
    assert r.returncode == 0, "klpctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr)
    return r.stdout


def wait_complete(k, name):
    out = klp_ok(k, "wait", name)
    assert "transition complete" in out, out


def pos(k):
    """Where the console log is now (kernel messages reach it as printed)."""
    k.drain()
    return len(k.log)


def saw(k, since, pattern, timeout=10):
    """The first match of regex `pattern` in the console log after `since`,
    waiting for it (reading the console keeps the log growing)."""
    end = time.time() + timeout
    while True:
        m = re.search(pattern, k.log[since:])
        if m:
            return m
        assert time.time() < end, "no %r in:\n%s" % (pattern, k.log[since:][-3000:])
        k.drain(quiet=0.1)


def saw_exact(k, since, text, timeout=10):
    return saw(k, since, re.escape(text), timeout)


def test_sample_cmdline_patch_disable_unload(k):
    """Linux's samples/livepatch/livepatch-sample.c, unchanged but for its
    includes: load -> patched /proc/cmdline -> wait -> enabled=1 -> rmmod
    refused -> disable -> cmdline back -> rmmod works -> heap back."""
    before = k.run("cat /proc/cmdline")
    assert CMDLINE in before
    klp_ok(k, "list")  # the channel's own lazy allocations, before the baseline
    heap0 = heap_objects(k)

    p0 = pos(k)
    out = klp_ok(k, "load", blob("livepatch-sample"))
    assert "loaded livepatch_sample" in out, out
    saw_exact(k, p0, "livepatch: enabling patch 'livepatch_sample'")
    assert k.run("cat /proc/cmdline") == "this has been live patched"
    wait_complete(k, "livepatch_sample")
    saw_exact(k, p0, "livepatch: 'livepatch_sample': patching complete")
    assert k.run("cat %s/livepatch_sample/enabled" % LP) == "1"
    assert k.run("cat %s/livepatch_sample/transition" % LP) == "0"
    assert re.search(r"(?m)^livepatch_sample\s+\d+\s+1\s+live\s+livepatch", k.run("lsmod"))

    # unloading an enabled patch is refused, from the shell and over COM2
    out = k.run("rmmod livepatch_sample")
    assert "livepatch livepatch_sample is enabled or in transition" in out, out
    r = k.klpctl("unload", "livepatch_sample")
    assert r.returncode == 1 and "enabled or in transition" in r.stderr, r.stderr

    out = klp_ok(k, "disable", "livepatch_sample")
    assert "disabling" in out, out
    wait_complete(k, "livepatch_sample")
    saw_exact(k, p0, "livepatch: 'livepatch_sample': unpatching complete")
    assert k.run("cat /proc/cmdline") == before
    # the patch is gone from sysfs and has dropped its module reference
    assert "livepatch_sample" not in k.run("ls %s" % LP).split()
    assert re.search(r"(?m)^livepatch_sample\s+\d+\s+0\s+live", k.run("lsmod"))

    klp_ok(k, "unload", "livepatch_sample")
    assert not listed(k, "livepatch_sample")
    # What stays is the transition worker, created with the first
    # transition (pid 1 stays the shell's); the next test checks that a
    # whole load..unload cycle then leaves the heap exactly as it was.
    assert re.search(r"(?m)^\s*\d+\s+\w\s+\d+\s+\d+\s+klp_transition$", k.run("ps"))
    assert heap_objects(k) >= heap0


def test_enable_after_disable_is_refused_like_linux(k):
    """A disabled patch is freed (Linux: it cannot be re-enabled, only
    reloaded): enable says there is no such livepatch; reload works. Both
    cycles leave the heap as they found it."""
    heap0 = heap_objects(k)
    klp_ok(k, "load", blob("livepatch-sample"))
    wait_complete(k, "livepatch_sample")
    klp_ok(k, "disable", "livepatch_sample")
    wait_complete(k, "livepatch_sample")
    r = k.klpctl("enable", "livepatch_sample")
    assert r.returncode == 1 and "no livepatch livepatch_sample" in r.stderr, r.stderr
    klp_ok(k, "unload", "livepatch_sample")
    klp_ok(k, "load", blob("livepatch-sample"))
    wait_complete(k, "livepatch_sample")
    assert k.run("cat /proc/cmdline") == "this has been live patched"
    klp_ok(k, "disable", "livepatch_sample")
    wait_complete(k, "livepatch_sample")
    klp_ok(k, "unload", "livepatch_sample")
    assert CMDLINE in k.run("cat /proc/cmdline")
    assert heap_objects(k) == heap0


def test_multiple_livepatches(k):
    """test-livepatch.sh "multiple livepatches": two patches on different
    functions stack; each is disabled and unloaded on its own."""
    klp_ok(k, "load", blob("test_klp_livepatch"))
    wait_complete(k, "test_klp_livepatch")
    klp_ok(k, "load", blob("test_klp_atomic_replace"), "replace=0")
    wait_complete(k, "test_klp_atomic_replace")
    assert k.run("cat /proc/cmdline") == "test_klp_livepatch: this has been live patched"
    assert "test_klp_atomic_replace: this has been live patched" in k.run("cat /proc/meminfo")
    klp_ok(k, "disable", "test_klp_atomic_replace")
    wait_complete(k, "test_klp_atomic_replace")
    klp_ok(k, "unload", "test_klp_atomic_replace")
    assert "KmallocObjects" in k.run("cat /proc/meminfo")
    assert k.run("cat /proc/cmdline") == "test_klp_livepatch: this has been live patched"
    klp_ok(k, "disable", "test_klp_livepatch")
    wait_complete(k, "test_klp_livepatch")
    klp_ok(k, "unload", "test_klp_livepatch")
    assert CMDLINE in k.run("cat /proc/cmdline")


def test_atomic_replace_of_three_loaded_blobs(k):
    """test-livepatch.sh "atomic replace livepatch" and test-callbacks.sh
    "atomic replace" together: three patches loaded, the third with
    replace=1 takes over; the replaced ones leave sysfs, their code is no
    longer called, and unloading them prints no unpatch callbacks."""
    heap0 = heap_objects(k)
    klp_ok(k, "load", blob("test_klp_livepatch"))
    wait_complete(k, "test_klp_livepatch")
    p0 = pos(k)
    klp_ok(k, "load", blob("test_klp_callbacks_demo"))
    wait_complete(k, "test_klp_callbacks_demo")
    saw_exact(k, p0, "test_klp_callbacks_demo: post_patch_callback: vmlinux")
    klp_ok(k, "load", blob("test_klp_atomic_replace"), "replace=0")
    wait_complete(k, "test_klp_atomic_replace")
    assert k.run("cat /proc/cmdline") == "test_klp_livepatch: this has been live patched"

    p1 = pos(k)
    klp_ok(k, "load", blob("test_klp_callbacks_demo2"), "replace=1")
    wait_complete(k, "test_klp_callbacks_demo2")
    saw_exact(k, p1, "livepatch: 'test_klp_callbacks_demo2': patching complete")
    assert k.run("ls %s" % LP).split() == ["test_klp_callbacks_demo2/"]
    assert CMDLINE in k.run("cat /proc/cmdline")
    assert "this has been live patched" not in k.run("cat /proc/meminfo")

    # the replaced patches' modules unload at once, and quietly
    for gone in ("test_klp_livepatch", "test_klp_callbacks_demo", "test_klp_atomic_replace"):
        klp_ok(k, "unload", gone)
    saw_exact(k, p1, "module: unloaded test_klp_atomic_replace")
    tail = k.log[p1:]
    assert "test_klp_callbacks_demo2: pre_patch_callback: vmlinux" in tail
    assert "test_klp_callbacks_demo2: post_patch_callback: vmlinux" in tail
    assert "test_klp_callbacks_demo: pre_unpatch_callback" not in tail, tail
    assert "test_klp_callbacks_demo: post_unpatch_callback" not in tail, tail

    # the replacement itself disables with its own callbacks
    klp_ok(k, "disable", "test_klp_callbacks_demo2")
    wait_complete(k, "test_klp_callbacks_demo2")
    saw_exact(k, p1, "test_klp_callbacks_demo2: post_unpatch_callback: vmlinux")
    klp_ok(k, "unload", "test_klp_callbacks_demo2")
    assert k.run("ls %s" % LP).split() == []
    assert heap_objects(k) == heap0


def test_syscall_patch_with_user_loopers(k):
    """The syscall patch: sys_getpid replaced while four user tasks call
    getpid() in a loop; every task switches (the transition completes, no
    task left with a patch state) and the loopers keep getting their own
    pid."""
    pids = []
    for _ in range(4):
        out = k.run("spawn getpid_loop 6")
        m = re.search(r"spawned getpid_loop pid (\d+)", out)
        assert m, out
        pids.append(int(m.group(1)))
    time.sleep(0.5)
    for pid in pids:
        assert k.run("cat /proc/%d/patch_state" % pid) == "-1"
    p0 = pos(k)
    klp_ok(k, "load", blob("test_klp_syscall"))
    wait_complete(k, "test_klp_syscall")
    saw_exact(k, p0, "livepatch: 'test_klp_syscall': patching complete")
    # all switched, then the transition's end put every task back to idle
    for pid in pids:
        st = k.run("cat /proc/%d/patch_state" % pid)
        assert st == "-1", (pid, st)
    rows = k.run("ps")
    for pid in pids:
        assert re.search(r"(?m)^\s*%d\s+\w\s+\d+\s+\d+\s+getpid_loop$" % pid, rows), rows
    klp_ok(k, "disable", "test_klp_syscall")
    wait_complete(k, "test_klp_syscall")
    klp_ok(k, "unload", "test_klp_syscall")
    m = saw(k, p0, r"test_klp_syscall: patched getpid ran (\d+) times")
    assert int(m.group(1)) > 1000, m.group(0)
    end = time.time() + 30
    while len(re.findall(r"getpid_loop: \d+ calls in 6000 ms", k.log[p0:])) < 4:
        assert time.time() < end, k.log[p0:][-3000:]
        k.drain(quiet=0.2)
