"""Live patches end to end over the real serial path (issue 6, "Tests"):
signed blobs built by `make VARIANT=test testblobs` from Linux 6.1's own
samples/livepatch/*.c and lib/livepatch/test_klp_*.c, unchanged (extracted
into build/linux-source-6.1/), and Kelp's tests/modules/test_klp_syscall.c,
sent with build/klpctl through QEMU's COM2 socket; the effect is read back
from the console (/proc, /sys/kernel/livepatch, lsmod, rmmod) as Linux's
tools/testing/selftests/livepatch scripts do."""
import os
import re
import subprocess
import time

import pytest

from kelp import KLPCTL, Kelp, ROOT, blob_file, klp_ok

LP = "/sys/kernel/livepatch"
CMDLINE = "kelp.e2e=1"


blob = blob_file


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
        assert not listed(k, gone)
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


# ---- Linux's samples/livepatch and test-callbacks/-shadow-vars/-state ----
#
# Log checks follow Linux's check_result: the kernel lines mentioning
# livepatch or test_klp after a point, timestamps stripped, compared as an
# exact ordered list with Linux's expected output. Linux's pr_debug lines
# ("initializing", "completing", "canceling", "reversing") are debug sites,
# off by default in both kernels, and below console_loglevel when on, so
# they are not in the expected lists (the state test raises the loglevel).
# Kelp's own lines (the loader's, the channel's) are debug sites too, and
# the transition time is in sysfs: nothing is filtered out any more.

DEMO = "livepatch_callbacks_demo"
MOD = "livepatch_callbacks_mod"
BUSY = "livepatch_callbacks_busymod"
LIVE = "[MODULE_STATE_LIVE] Normal state"
COMING = "[MODULE_STATE_COMING] Full formed, running module_init"
GOING = "[MODULE_STATE_GOING] Going away"
KELP_ONLY = re.compile(r"^(workqueue): ")
STAMP = re.compile(r"\[\s*\d+\.\d+\] (.*)$")


def klp_lines(k, since):
    out = []
    for line in k.log[since:].split("\n"):
        m = STAMP.search(line)
        if not m:
            continue
        text = m.group(1).rstrip()
        if KELP_ONLY.search(text):
            continue
        if "livepatch" in text or "test_klp" in text:
            out.append(text)
    return out


def expect_lines(k, since, expected, timeout=15):
    """Waits until as many lines as expected have arrived, then compares
    them, in order, exactly."""
    end = time.time() + timeout
    while len(klp_lines(k, since)) < len(expected) and time.time() < end:
        k.drain(quiet=0.1)
    k.drain(quiet=0.2)
    assert klp_lines(k, since) == expected


def cb(name, obj, state=None):
    if obj is None:
        return "%s: %s_callback: vmlinux" % (DEMO, name)
    return "%s: %s_callback: %s -> %s" % (DEMO, name, obj, state)


def enable_lines(patch, pre, post):
    return (["livepatch: enabling patch '%s'" % patch] + pre +
            ["livepatch: '%s': starting patching transition" % patch] + post +
            ["livepatch: '%s': patching complete" % patch])


def disable_lines(patch, pre, post):
    return (pre + ["livepatch: '%s': starting unpatching transition" % patch] + post +
            ["livepatch: '%s': unpatching complete" % patch])


def disable_unload(k, name):
    klp_ok(k, "disable", name)
    wait_complete(k, name)
    klp_ok(k, "unload", name)


def test_callbacks_target_module_before_livepatch(k):
    """test-callbacks.sh 1: the target module is loaded first; its
    callbacks run with the kernel's, in the LIVE state."""
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-callbacks-mod"))
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    wait_complete(k, DEMO)
    disable_unload(k, DEMO)
    klp_ok(k, "unload", MOD)
    expect_lines(k, p0, ["%s: livepatch_callbacks_mod_init" % MOD] +
                 enable_lines(DEMO, [cb("pre_patch", None), cb("pre_patch", MOD, LIVE)],
                              [cb("post_patch", None), cb("post_patch", MOD, LIVE)]) +
                 disable_lines(DEMO, [cb("pre_unpatch", None), cb("pre_unpatch", MOD, LIVE)],
                               [cb("post_unpatch", None), cb("post_unpatch", MOD, LIVE)]) +
                 ["%s: livepatch_callbacks_mod_exit" % MOD])


def test_callbacks_module_coming_and_going(k):
    """test-callbacks.sh 2-4 (late binding): the patch first; the target
    module is patched as it loads ("applying patch ... to loading module",
    callbacks in the COMING state, before its init) and reverted as it
    unloads (after its exit, GOING); a later disable touches the kernel
    only."""
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    wait_complete(k, DEMO)
    klp_ok(k, "load", blob("livepatch-callbacks-mod"))
    assert k.run("cat %s/%s/%s/patched" % (LP, DEMO, MOD)) == "1"
    klp_ok(k, "unload", MOD)
    assert k.run("ls %s/%s" % (LP, DEMO)).split().count(MOD + "/") == 1
    disable_unload(k, DEMO)
    expect_lines(k, p0,
                 enable_lines(DEMO, [cb("pre_patch", None)], [cb("post_patch", None)]) +
                 ["livepatch: applying patch '%s' to loading module '%s'" % (DEMO, MOD),
                  cb("pre_patch", MOD, COMING), cb("post_patch", MOD, COMING),
                  "%s: livepatch_callbacks_mod_init" % MOD,
                  "%s: livepatch_callbacks_mod_exit" % MOD,
                  cb("pre_unpatch", MOD, GOING),
                  "livepatch: reverting patch '%s' on unloading module '%s'" % (DEMO, MOD),
                  cb("post_unpatch", MOD, GOING)] +
                 disable_lines(DEMO, [cb("pre_unpatch", None)], [cb("post_unpatch", None)]))


def test_callbacks_pre_patch_enodev_kernel_keeps_patches(k):
    """test-callbacks.sh 6: pre_patch_ret=-19 refuses the patch module
    ("No such device") with Linux's lines, and the patch already
    installed stays."""
    klp_ok(k, "load", blob("livepatch-sample"))
    wait_complete(k, "livepatch_sample")
    p0 = pos(k)
    r = k.klpctl("load", blob("livepatch-callbacks-demo"), "pre_patch_ret=-19")
    assert r.returncode == 1 and "No such device" in r.stderr, r.stderr
    expect_lines(k, p0, ["livepatch: enabling patch '%s'" % DEMO, cb("pre_patch", None),
                         "livepatch: pre-patch callback failed for object 'vmlinux'",
                         "livepatch: failed to enable patch '%s'" % DEMO,
                         "livepatch: '%s': unpatching complete" % DEMO])
    # (that the cancelled transition's time counts from its start is checked
    # by the self-test livepatch.callbacks_pre_patch_fails: the patch and
    # its transition_us are gone)
    assert not listed(k, DEMO)
    assert k.run("ls %s" % LP).split() == ["livepatch_sample/"]
    assert k.run("cat /proc/cmdline") == "this has been live patched"
    disable_unload(k, "livepatch_sample")


def test_callbacks_module_coming_pre_patch_enodev(k):
    """test-callbacks.sh 7: with the patch installed, its pre_patch_ret
    set to -19 through /sys/module/.../parameters, a target module loading
    later is refused (No such device) with Linux's lines; the patch stays
    and disables normally."""
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    wait_complete(k, DEMO)
    param = "/sys/module/%s/parameters/pre_patch_ret" % DEMO
    assert k.run("cat %s" % param) == "0"
    k.run("echo -19 > %s" % param)
    assert k.run("cat %s" % param) == "-19"
    r = k.klpctl("load", blob("livepatch-callbacks-mod"))
    assert r.returncode == 1 and "No such device" in r.stderr, r.stderr
    assert not listed(k, MOD)
    assert k.run("cat %s/%s/enabled" % (LP, DEMO)) == "1"
    disable_unload(k, DEMO)
    expect_lines(k, p0,
                 enable_lines(DEMO, [cb("pre_patch", None)], [cb("post_patch", None)]) +
                 ["livepatch: applying patch '%s' to loading module '%s'" % (DEMO, MOD),
                  cb("pre_patch", MOD, COMING),
                  "livepatch: pre-patch callback failed for object '%s'" % MOD,
                  "livepatch: patch '%s' failed for module '%s', refusing to load module '%s'"
                  % (DEMO, MOD, MOD)] +
                 disable_lines(DEMO, [cb("pre_unpatch", None)], [cb("post_unpatch", None)]))


def test_callbacks_multiple_target_modules(k):
    """test-callbacks.sh 8: the busy module whose work has already
    finished, then the patch, then a second target coming and going: every
    callback runs normally."""
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=0")
    saw_exact(k, p0, "%s: busymod_work_func exit" % BUSY)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    wait_complete(k, DEMO)
    klp_ok(k, "load", blob("livepatch-callbacks-mod"))
    klp_ok(k, "unload", MOD)
    disable_unload(k, DEMO)
    klp_ok(k, "unload", BUSY)
    expect_lines(k, p0,
                 ["%s: livepatch_callbacks_mod_init" % BUSY,
                  "%s: busymod_work_func, sleeping 0 seconds ..." % BUSY,
                  "%s: busymod_work_func exit" % BUSY] +
                 enable_lines(DEMO, [cb("pre_patch", None), cb("pre_patch", BUSY, LIVE)],
                              [cb("post_patch", None), cb("post_patch", BUSY, LIVE)]) +
                 ["livepatch: applying patch '%s' to loading module '%s'" % (DEMO, MOD),
                  cb("pre_patch", MOD, COMING), cb("post_patch", MOD, COMING),
                  "%s: livepatch_callbacks_mod_init" % MOD,
                  "%s: livepatch_callbacks_mod_exit" % MOD,
                  cb("pre_unpatch", MOD, GOING),
                  "livepatch: reverting patch '%s' on unloading module '%s'" % (DEMO, MOD),
                  cb("post_unpatch", MOD, GOING)] +
                 disable_lines(DEMO, [cb("pre_unpatch", None), cb("pre_unpatch", BUSY, LIVE)],
                               [cb("post_unpatch", None), cb("post_unpatch", BUSY, LIVE)]) +
                 ["%s: livepatch_callbacks_mod_exit" % BUSY])


def test_callbacks_busy_target_module(k):
    """test-callbacks.sh 9: the busy module's work sleeps inside
    busymod_work_func, which the patch replaces, so the transition stalls
    at "starting" (transition stays 1). A target loading meanwhile gets
    pre_patch but no post_patch; unloading it, post_unpatch but no
    pre_unpatch. Writing 0 to enabled reverses the transition, which
    completes at once. (Regression: the patch used to resolve
    busymod_work_func in the kernel's built-in copy of the test target,
    not in the module the object names, and the transition never
    stalled.)"""
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=8")
    saw_exact(k, p0, "%s: busymod_work_func, sleeping 8 seconds ..." % BUSY)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    saw_exact(k, p0, "livepatch: '%s': starting patching transition" % DEMO)
    time.sleep(1)
    assert k.run("cat %s/%s/transition" % (LP, DEMO)) == "1"
    assert k.run("cat %s/%s/enabled" % (LP, DEMO)) == "1"
    klp_ok(k, "load", blob("livepatch-callbacks-mod"))
    klp_ok(k, "unload", MOD)
    assert k.run("cat %s/%s/transition" % (LP, DEMO)) == "1"
    k.run("echo 0 > %s/%s/enabled" % (LP, DEMO))
    wait_complete(k, DEMO)
    klp_ok(k, "unload", DEMO)
    # the work is still asleep in the original function: wait it out, as
    # rmmod would (klpctl would wait too, as long as the ACK allows)
    saw_exact(k, p0, "%s: busymod_work_func exit" % BUSY, timeout=20)
    klp_ok(k, "unload", BUSY)
    expect_lines(k, p0,
                 ["%s: livepatch_callbacks_mod_init" % BUSY,
                  "%s: busymod_work_func, sleeping 8 seconds ..." % BUSY,
                  "livepatch: enabling patch '%s'" % DEMO,
                  cb("pre_patch", None), cb("pre_patch", BUSY, LIVE),
                  "livepatch: '%s': starting patching transition" % DEMO,
                  "livepatch: applying patch '%s' to loading module '%s'" % (DEMO, MOD),
                  cb("pre_patch", MOD, COMING),
                  "%s: livepatch_callbacks_mod_init" % MOD,
                  "%s: livepatch_callbacks_mod_exit" % MOD,
                  "livepatch: reverting patch '%s' on unloading module '%s'" % (DEMO, MOD),
                  cb("post_unpatch", MOD, GOING),
                  "livepatch: '%s': starting unpatching transition" % DEMO,
                  cb("post_unpatch", None), cb("post_unpatch", BUSY, LIVE),
                  "livepatch: '%s': unpatching complete" % DEMO,
                  "%s: busymod_work_func exit" % BUSY,
                  "%s: livepatch_callbacks_mod_exit" % BUSY])


def test_callbacks_multiple_livepatches(k):
    """test-callbacks.sh 5 and 10: two patches with callbacks and no target
    module loaded: each runs its own vmlinux callbacks only, in order, on
    enable and on disable (the newer one first)."""
    d1, d2 = "test_klp_callbacks_demo", "test_klp_callbacks_demo2"
    p0 = pos(k)
    klp_ok(k, "load", blob(d1))
    wait_complete(k, d1)
    klp_ok(k, "load", blob(d2))
    wait_complete(k, d2)
    disable_unload(k, d2)
    disable_unload(k, d1)
    expect_lines(k, p0,
                 enable_lines(d1, ["%s: pre_patch_callback: vmlinux" % d1],
                              ["%s: post_patch_callback: vmlinux" % d1]) +
                 enable_lines(d2, ["%s: pre_patch_callback: vmlinux" % d2],
                              ["%s: post_patch_callback: vmlinux" % d2]) +
                 disable_lines(d2, ["%s: pre_unpatch_callback: vmlinux" % d2],
                               ["%s: post_unpatch_callback: vmlinux" % d2]) +
                 disable_lines(d1, ["%s: pre_unpatch_callback: vmlinux" % d1],
                               ["%s: post_unpatch_callback: vmlinux" % d1]))


def test_shadow_variables_fix1_fix2(k):
    """Linux's shadow-variable samples: the leaky module, fix1 (the leaked
    pointer kept in a shadow variable, freed by its destructor) and fix2
    (a check counter per dummy). Dummies from before fix1 are reported
    leaked, later ones have their leak prevented; fix2 prints the counts;
    fix2 then fix1 unload. Exactly the buffers the unpatched dummy_alloc
    leaked stay allocated."""
    SHADOW = "livepatch_shadow_mod"
    # (Linux's livepatch-shadow-mod.c has no pr_fmt: its lines carry no prefix)
    # the shared worker exists before the heap baseline
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=0")
    klp_ok(k, "unload", BUSY)
    heap0 = heap_objects(k)
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-shadow-mod"))
    saw(k, p0, r"\] cleanup_work_func: jiffies = ")
    saw(k, p0, r"\] dummy_alloc: dummy @ \S+, expires @ [0-9a-f]+\n")
    klp_ok(k, "load", blob("livepatch-shadow-fix1"))
    wait_complete(k, "livepatch_shadow_fix1")
    p1 = pos(k)
    saw(k, p1, r"livepatch_shadow_fix1: livepatch_fix1_dummy_alloc: dummy @ \S+, expires @ [0-9a-f]+\n")
    klp_ok(k, "load", blob("livepatch-shadow-fix2"))
    wait_complete(k, "livepatch_shadow_fix2")
    p2 = pos(k)
    # pre-fix1 dummies expire first: leaked; then fix1's: leak prevented
    saw(k, p2, r"livepatch_shadow_fix2: livepatch_fix2_dummy_free: dummy @ \S+, check counter = \d+\n",
        timeout=20)
    saw(k, p2, r"livepatch_shadow_fix2: livepatch_fix2_dummy_free: dummy @ (\S+) leaked!\n", timeout=20)
    m = saw(k, p2, r"livepatch_shadow_fix2: livepatch_fix2_dummy_leak_dtor: dummy @ (\S+), "
            r"prevented leak @ \S+\n", timeout=25)
    counted = re.search(r"livepatch_fix2_dummy_free: dummy @ %s, check counter = (\d+)\n"
                        % re.escape(m.group(1)), k.log[p2:])
    assert counted and int(counted.group(1)) >= 1, k.log[p2:][-2000:]
    disable_unload(k, "livepatch_shadow_fix2")
    p3 = pos(k)
    disable_unload(k, "livepatch_shadow_fix1")
    # fix1's exit frees every SV_LEAK still attached (live dummies)
    saw(k, p3, r"livepatch_shadow_fix1: livepatch_fix1_dummy_leak_dtor: dummy @ \S+, prevented leak")
    klp_ok(k, "unload", SHADOW)
    assert not listed(k, SHADOW)
    leaked = len(re.findall(r"\] dummy_alloc: dummy @", k.log[p0:]))
    assert leaked >= 1
    assert heap_objects(k) == heap0 + leaked


LINUX_SELFTESTS = os.path.join(ROOT, "build", "linux-source-6.1", "tools", "testing", "selftests",
                               "livepatch")
DYNDBG = "/sys/kernel/debug/dynamic_debug/control"


def linux_cases(script):
    """(name, actions, expected lines) of each start_test in one of Linux's
    selftest scripts: actions are its (function, module) calls, expected
    its check_result text with the variables filled in and the harness's
    own lines ("% command", "modprobe: ERROR ...", which it writes to
    /dev/kmsg) left out."""
    with open(os.path.join(LINUX_SELFTESTS, script)) as f:
        text = f.read()
    var = dict(re.findall(r"(?m)^(MOD_\w+)=(\S+)$", text))
    cases = []
    for m in re.finditer(r'start_test "([^"]+)"\n(.*?)check_result "(.*?)"\n', text, re.S):
        acts = re.findall(r"(?m)^(\w+) \$(MOD_\w+)$", m.group(2))
        want = m.group(3)
        for k, v in sorted(var.items(), key=lambda kv: -len(kv[0])):
            want = want.replace("$" + k, v)
        cases.append((m.group(1), [(a, var[v]) for a, v in acts],
                      [l for l in want.split("\n") if not l.startswith(("% ", "modprobe: "))]))
    return cases


def linux_check_result(k):
    """Linux's check_result on Kelp's log: the lines since `dmesg -c` that
    mention livepatch: or test_klp, timestamps stripped."""
    out = []
    for line in k.run("dmesg").split("\n"):
        m = STAMP.search(line)
        if m and ("livepatch:" in m.group(1) or "test_klp" in m.group(1)):
            out.append(m.group(1).rstrip())
    return out


def run_linux_case(k, actions):
    for act, mod in actions:
        if act == "load_lp":
            klp_ok(k, "load", blob(mod))
            wait_complete(k, mod)
        elif act == "load_failing_mod":
            r = k.klpctl("load", blob(mod))
            assert r.returncode == 1, r.stdout
        elif act == "disable_lp":
            klp_ok(k, "disable", mod)
            wait_complete(k, mod)
        elif act == "unload_lp":
            klp_ok(k, "unload", mod)
        else:
            pytest.fail("no mapping for %s" % act)


@pytest.mark.skipif(not os.path.isdir(LINUX_SELFTESTS), reason="Linux's sources not extracted")
def test_linux_test_state_sh(k):
    """Every case of Linux 6.1's test-state.sh, its modules built unchanged
    from Linux's lib/livepatch/, judged as its check_result does: Linux's
    harness turns on livepatch's debug sites the same way (setup_config)."""
    cases = linux_cases("test-state.sh")
    assert len(cases) == 4, [c[0] for c in cases]
    k.run('echo "file kernel/livepatch/* +p; func klp_try_switch_task -p" > %s' % DYNDBG)
    try:
        for name, actions, want in cases:
            k.run("dmesg -c")
            run_linux_case(k, actions)
            assert linux_check_result(k) == want, name
            assert k.run("ls %s" % LP) == "", name
    finally:
        k.run('echo "file kernel/livepatch/* -p" > %s' % DYNDBG)


FTRACE_ENABLED = "/proc/sys/kernel/ftrace_enabled"


@pytest.mark.skipif(not os.path.isdir(LINUX_SELFTESTS), reason="Linux's sources not extracted")
def test_linux_test_ftrace_sh(k):
    """Linux 6.1's test-ftrace.sh, step by step: with kernel.ftrace_enabled
    off a livepatch cannot register its ftrace handler (EBUSY); back on, it
    patches; while it is enabled, ftrace_enabled cannot be turned off. The
    log is judged against the script's check_result, minus the lines the
    harness itself writes to /dev/kmsg ("livepatch: kernel.ftrace_enabled =
    N", "livepatch: sysctl: ...")."""
    (name, _, want), = linux_cases("test-ftrace.sh")
    want = [l for l in want if not l.startswith(("livepatch: kernel.ftrace_enabled",
                                                  "livepatch: sysctl:"))]
    mod = "test_klp_livepatch"
    k.run('echo "file kernel/livepatch/* +p; func klp_try_switch_task -p" > %s' % DYNDBG)
    try:
        k.run("dmesg -c")
        assert k.run("cat %s" % FTRACE_ENABLED) == "1"
        assert k.run("echo 0 > %s" % FTRACE_ENABLED) == ""
        assert k.run("cat %s" % FTRACE_ENABLED) == "0"
        r = k.klpctl("load", blob(mod))
        assert r.returncode == 1 and "Device or resource busy" in r.stderr, r.stderr
        assert k.run("echo 1 > %s" % FTRACE_ENABLED) == ""
        klp_ok(k, "load", blob(mod))
        wait_complete(k, mod)
        assert k.run("cat /proc/cmdline") == "%s: this has been live patched" % mod
        assert "Device or resource busy" in k.run("echo 0 > %s" % FTRACE_ENABLED)
        assert k.run("cat %s" % FTRACE_ENABLED) == "1"
        assert k.run("cat /proc/cmdline") == "%s: this has been live patched" % mod
        klp_ok(k, "disable", mod)
        wait_complete(k, mod)
        klp_ok(k, "unload", mod)
        assert linux_check_result(k) == want, name
    finally:
        k.run("echo 1 > %s" % FTRACE_ENABLED)
        k.run('echo "file kernel/livepatch/* -p" > %s' % DYNDBG)


def test_ftrace_enabled_off_silences_the_function_tracer(k):
    """Off, every site is a NOP (the tracer's ops stay registered); back on,
    tracing resumes."""
    t = "/sys/kernel/tracing"
    k.run("echo cmdline_proc_show > %s/set_ftrace_filter" % t)
    k.run("echo function > %s/current_tracer" % t)
    try:
        k.run('echo "" > %s/trace' % t)
        k.run("cat /proc/cmdline")
        assert "cmdline_proc_show" in k.run("cat %s/trace" % t)
        assert k.run("echo 0 > %s" % FTRACE_ENABLED) == ""
        k.run('echo "" > %s/trace' % t)
        k.run("cat /proc/cmdline")
        assert "cmdline_proc_show" not in k.run("cat %s/trace" % t)
        assert k.run("cat %s/enabled_functions" % t) == ""
        assert k.run("echo 1 > %s" % FTRACE_ENABLED) == ""
        k.run("cat /proc/cmdline")
        assert "cmdline_proc_show" in k.run("cat %s/trace" % t)
    finally:
        k.run("echo 1 > %s" % FTRACE_ENABLED)
        k.run("echo nop > %s/current_tracer" % t)
        k.run('echo "" > %s/set_ftrace_filter' % t)


def com2_tx_bytes(k):
    m = re.search(r"(?m)^1: uart:16550A .*\btx:(\d+)", k.run("cat /proc/tty/driver/serial"))
    assert m
    return int(m.group(1))


def test_wait_outlasts_a_slow_transition(k):
    """PROTOCOL.md: an ACK to CMD means "working on it". `wait` on a
    transition held up for 8 s by the busy module must wait for it (klpctl
    used to give up after 9 tries, ~4.5 s), say what it waits for, and get
    one answer: its re-sent requests do not each get one."""
    p0 = pos(k)
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=8")
    saw_exact(k, p0, "%s: busymod_work_func, sleeping 8 seconds ..." % BUSY)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    tx0 = com2_tx_bytes(k)
    t0 = time.time()
    r = subprocess.run([KLPCTL, "-s", k.com2_path, "wait", DEMO], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, timeout=90)
    took = time.time() - t0
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "%s: transition complete (enabled)" % DEMO
    assert took > 4.5, took
    assert "waiting for the transition of %s to finish (up to 61 s)" % DEMO in r.stderr, r.stderr
    # HELLO's RESULT, the ACK, the RESULT and at most one re-sent answer
    sent = com2_tx_bytes(k) - tx0
    assert sent < 400, sent
    disable_unload(k, DEMO)
    klp_ok(k, "unload", BUSY)
