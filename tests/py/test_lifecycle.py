"""Module lifecycle regressions (issue 13, defects 1, 2, 5, 6, 10), through
the real paths: blobs over COM2 with build/klpctl, the effect read back
from the console (lsmod, /sys/kernel/livepatch, the tracer's files, dmesg).
Each test leaves no module loaded and no filter set."""
import re
import threading
import time

import pytest

from kelp import Kelp, blob_file, klp_ok

LP = "/sys/kernel/livepatch"
TR = "/sys/kernel/tracing"

blob = blob_file


@pytest.fixture(scope="module")
def k():
    kk = Kelp("", name="lifecycle")
    kk.boot()
    kk.wait_prompt()
    yield kk
    kk.close()



def listed(k, name):
    return re.search(r"(?m)^%s\s" % name, k.run("lsmod")) is not None


def wait_complete(k, name):
    out = klp_ok(k, "wait", name)
    assert "transition complete" in out, out


def in_dmesg(k, text, timeout=15):
    end = time.time() + timeout
    while text not in k.run("dmesg"):
        assert time.time() < end, "no %r in dmesg" % text
        time.sleep(0.2)


def disable_unload(k, name):
    klp_ok(k, "disable", name)
    wait_complete(k, name)
    klp_ok(k, "unload", name)


def test_enable_of_a_live_patch_is_refused_and_the_stack_stays_whole(k):
    """Defect 10: klp_enable_patch() on a patch that is already enabled
    used to reset its lists first (cutting klp_patches into a loop: the next
    walk never ended). Refused with -EINVAL, nothing touched."""
    name = "test_klp_enable_twice"
    klp_ok(k, "load", blob(name))
    wait_complete(k, name)
    log = k.run("dmesg")
    assert "%s: second klp_enable_patch: -22" % name in log, log[-2000:]
    assert "livepatch: patch '%s' is already enabled" % name in log
    # every one of these walks the patch stack or the patch's own lists
    assert k.run("ls %s" % LP).split() == [name + "/"]
    assert k.run("cat %s/%s/stack_order" % (LP, name)) == "1"
    assert sorted(k.run("ls %s/%s/vmlinux" % (LP, name)).split()) == ["cmdline_proc_show,1/", "patched"]
    assert k.run("cat /proc/cmdline") == "%s: this has been live patched" % name
    # a second patch stacks on top (the compatibility check walks the list)
    klp_ok(k, "load", blob("test_klp_livepatch"))
    wait_complete(k, "test_klp_livepatch")
    assert k.run("cat %s/test_klp_livepatch/stack_order" % LP) == "2"
    disable_unload(k, "test_klp_livepatch")
    disable_unload(k, name)
    assert k.run("ls %s" % LP) == ""
    assert k.run("cat /proc/cmdline") != "%s: this has been live patched" % name


BUSY = "livepatch_callbacks_busymod"


def test_only_a_live_module_is_linked_against(k):
    """Defect 1: a blob's .klp.sym.<module> relocations and its depends=
    resolved against a module whose rmmod was under way (exit still
    running: busymod's exit waits for its sleeping work), which was freed
    next. Only LIVE modules count; .klp.sym.vmlinux names the kernel's own
    symbols, never a module's (that bound to a module without recording the
    dependency)."""
    refs = ("lifecycle_ref_klpmod", "lifecycle_ref_dep")
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=0")
    for name in refs:  # all three are module lifecycle_ref
        assert "loaded lifecycle_ref" in klp_ok(k, "load", blob(name))
        r = k.klpctl("unload", BUSY)
        assert r.returncode != 0 and "in use by lifecycle_ref" in r.stderr, r.stderr
        klp_ok(k, "unload", "lifecycle_ref")
    r = k.klpctl("load", blob("lifecycle_ref_vmlinux"))
    assert r.returncode != 0 and "unknown symbol .klp.sym.vmlinux.sleep_secs" in r.stderr, \
        r.stderr
    klp_ok(k, "unload", BUSY)

    # rmmod from the console while the work sleeps: GOING for ~4 s
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=4")
    k.expect_exact("busymod_work_func, sleeping 4 seconds", timeout=10)
    k.run("rmmod %s" % BUSY, wait=False)
    time.sleep(0.5)
    r = k.klpctl("load", blob("lifecycle_ref_klpmod"))
    assert r.returncode != 0, r.stdout
    assert "module %s is going, not live" % BUSY in r.stderr, r.stderr
    r = k.klpctl("load", blob("lifecycle_ref_dep"))
    assert r.returncode != 0, r.stdout
    assert "depends on %s, which is going, not live" % BUSY in r.stderr, r.stderr
    k.expect_exact("%s: livepatch_callbacks_mod_exit" % BUSY, timeout=15)
    k.wait_prompt(timeout=10)
    out = k.run("lsmod")
    for name in (BUSY, "lifecycle_ref"):
        assert not re.search(r"(?m)^%s\s" % name, out), out


@pytest.mark.parametrize("tracer", ["nop", "function"])
def test_unloaded_module_leaves_every_tracer_filter(k, tracer):
    """Defect 6: set_ftrace_filter kept the raw address of an unloaded
    module's function (and rmmod was refused while it did); the next module
    loaded there was traced without asking and could not be unloaded. The
    module's entries leave the filter when it goes, and a filter left with
    none of its entries matches nothing (not "all functions")."""
    f = "%s/set_ftrace_filter" % TR
    klp_ok(k, "load", blob("ktest_mod"))
    assert k.run("echo ktest_mod_add > %s" % f) == ""
    assert k.run("cat %s" % f) == "ktest_mod_add"
    assert k.run("echo %s > %s/current_tracer" % (tracer, TR)) == ""
    if tracer == "function":
        assert "ktest_mod_add" in k.run("cat %s/enabled_functions" % TR)
    klp_ok(k, "unload", "ktest_mod")
    assert k.run("cat %s" % f) == ""
    assert k.run("cat %s/enabled_functions" % TR) == ""
    # a module loaded into the same space is not traced, and unloads
    klp_ok(k, "load", blob("hello_module"))
    assert k.run("cat %s/enabled_functions" % TR) == ""
    assert k.run("cat %s" % f) == ""
    klp_ok(k, "unload", "hello_module")
    assert k.run("echo nop > %s/current_tracer" % TR) == ""
    assert k.run("echo \"\" > %s" % f) == ""
    assert k.run("cat %s" % f) == "#### all functions enabled ####"


def test_patched_module_unloads_and_the_patch_reverts_on_it(k):
    """Defect 5: a module that a livepatch patches could never be unloaded
    ("has functions in an ftrace filter"). As Linux's klp_module_going: the
    patch is reverted on that module, which then unloads; loaded again, it
    is patched again as it comes."""
    demo = "livepatch_callbacks_demo"
    obj = "%s/%s/%s" % (LP, demo, BUSY)
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=0")
    in_dmesg(k, "%s: busymod_work_func exit" % BUSY)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    wait_complete(k, demo)
    assert k.run("cat %s/patched" % obj) == "1"
    redirect = "busymod_work_func (1) I ->patched_work_func"
    assert k.run("cat %s/enabled_functions" % TR) == redirect
    klp_ok(k, "unload", BUSY)
    log = k.run("dmesg")
    assert "livepatch: reverting patch '%s' on unloading module '%s'" % (demo, BUSY) in log
    assert not listed(k, BUSY)
    assert k.run("cat %s/patched" % obj) == "0"
    assert k.run("cat %s/enabled_functions" % TR) == ""
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=0")
    assert "livepatch: applying patch '%s' to loading module '%s'" % (demo, BUSY) in \
        k.run("dmesg")
    assert k.run("cat %s/patched" % obj) == "1"
    klp_ok(k, "unload", BUSY)
    disable_unload(k, demo)
    assert k.run("ls %s" % LP) == ""


def heap(k):
    out = k.run("cat /proc/meminfo")
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"(?m)^(KmallocBytes|KmallocObjects):\s+(\d+)", out)}


def test_failed_init_with_its_patch_enabled_keeps_the_module(k):
    """Defect 2 (livepatch's side): an init that fails after its
    klp_enable_patch() succeeded used to be unwound and the module freed,
    with the patch (in module memory) still on the stack and its sites
    redirected into freed text. The module stays loaded, and says so."""
    name = "test_klp_enable_twice"
    base = heap(k)
    r = k.klpctl("load", blob(name), "init_ret=-5")
    assert r.returncode != 0, r.stdout
    assert "init failed: Input/output error (-5), but its livepatch is enabled" in r.stderr, \
        r.stderr
    assert listed(k, name)
    assert k.run("cat /sys/module/%s/initstate" % name) == "live"
    wait_complete(k, name)
    assert k.run("cat /proc/cmdline") == "%s: this has been live patched" % name
    assert k.run("ls %s" % LP).split() == [name + "/"]
    disable_unload(k, name)
    assert not listed(k, name)
    assert k.run("cat %s/enabled_functions" % TR) == ""
    assert heap(k) == base


def test_failed_init_leaves_no_reference_to_the_freed_module(k):
    """Defect 2: when init failed, the unwind ignored the tracer's refusal
    to drop the module's sites (a filter named one of its functions, set
    while init ran) and freed the module anyway: the next `cat
    enabled_functions` read freed memory. Every trace of the module goes:
    its sites and filter entries, its symbols, the pseudo-fs file its init
    created and did not remove, its memory."""
    f = "%s/set_ftrace_filter" % TR
    res = []
    t = threading.Thread(target=lambda: res.append(
        k.klpctl("load", blob("lifecycle_initfail"), "delay_ms=2500", "leak_file=1")))
    t.start()
    try:
        in_dmesg(k, "lifecycle_initfail: failing in 2500 ms")
        assert k.run("echo lifecycle_initfail_show > %s" % f) == ""
        assert k.run("echo function > %s/current_tracer" % TR) == ""
        assert k.run("cat %s/enabled_functions" % TR) == "lifecycle_initfail_show (1)"
        assert k.run("cat /sys/kernel/lifecycle_initfail/state") == "still here"
    finally:
        t.join(30)
    r = res[0]
    assert r.returncode != 0 and "init failed: No such device (-19)" in r.stderr, r.stderr
    assert k.run("cat %s/enabled_functions" % TR) == ""
    assert k.run("cat %s" % f) == ""
    assert "lifecycle_initfail" not in k.run("cat %s/available_filter_functions" % TR)
    assert not listed(k, "lifecycle_initfail")
    assert "No such file" in k.run("cat /sys/kernel/lifecycle_initfail/state")
    assert "module: lifecycle_initfail left 1 pseudo-fs files behind; removed" in k.run("dmesg")
    assert k.run("echo nop > %s/current_tracer" % TR) == ""
    assert k.run("echo \"\" > %s" % f) == ""
    k.run("echo \"\" > %s/trace" % TR)
    # the same module loads again (its name and space are free) and fails alike
    r = k.klpctl("load", blob("lifecycle_initfail"))
    assert r.returncode != 0 and "init failed: No such device (-19)" in r.stderr, r.stderr


def test_livepatch_relocations_bind_late_and_do_not_pin_the_target(k):
    """Defect 5 (late binding): a livepatch's .klp.sym.<module> relocations
    had to resolve at its load (so it could not be loaded before its target)
    and recorded the target as a dependency (so the target could not be
    unloaded while the livepatch was). As Linux's klp_apply_object_relocs
    in klp_module_coming: applied when the target arrives, cleared when it
    goes, applied again where it lands next; the target unloads freely."""
    lp, busy_blob = "test_klp_late_reloc", blob("livepatch-callbacks-busymod")
    klp_ok(k, "load", blob(lp))            # its target is not loaded
    wait_complete(k, lp)
    obj = "%s/%s/%s" % (LP, lp, BUSY)
    assert k.run("cat %s/patched" % obj) == "0"
    for secs in (3, 7):
        klp_ok(k, "load", busy_blob, "sleep_secs=%d" % secs)
        in_dmesg(k, "livepatch: applying patch '%s' to loading module '%s'" % (lp, BUSY))
        in_dmesg(k, "%s: late_work_func: busymod's sleep_secs=%d" % (lp, secs))
        assert k.run("cat %s/patched" % obj) == "1"
        klp_ok(k, "unload", BUSY)           # not pinned by the livepatch
        assert k.run("cat %s/patched" % obj) == "0"
        # a module loaded between the two occupies the first one's space
        if secs == 3:
            klp_ok(k, "load", blob("hello_module"))
    klp_ok(k, "unload", "hello_module")
    # target first, then the livepatch: applied at once, target still free
    klp_ok(k, "load", busy_blob, "sleep_secs=9")
    disable_unload(k, lp)
    klp_ok(k, "load", blob(lp))
    wait_complete(k, lp)
    assert k.run("cat %s/patched" % obj) == "1"
    klp_ok(k, "unload", BUSY)
    disable_unload(k, lp)
    assert not listed(k, BUSY) and not listed(k, lp)
    # the livepatch loaded while its target's exit runs (GOING): patched
    # and bound until the target's going hook reverts and clears it
    revert = "livepatch: reverting patch '%s' on unloading module '%s'" % (lp, BUSY)
    k.drain()
    since = len(k.log)  # the console keeps what a stalled transition floods out of dmesg
    klp_ok(k, "load", busy_blob, "sleep_secs=3")
    in_dmesg(k, "busymod_work_func, sleeping 3 seconds")
    k.run("rmmod %s" % BUSY, wait=False)
    time.sleep(0.5)
    klp_ok(k, "load", blob(lp))
    k.expect_exact("%s: livepatch_callbacks_mod_exit" % BUSY, timeout=15)
    k.wait_prompt(timeout=10)
    wait_complete(k, lp)
    assert not listed(k, BUSY)
    assert k.run("cat %s/patched" % obj) == "0"
    k.drain()
    assert revert in k.log[since:]
    disable_unload(k, lp)


def test_unload_cannot_fail_on_memory(k):
    """The tracer's release of a module's sites cannot fail: with each of
    the allocations it tries failing in turn (/sys/kernel/kelp/fail_nth), the
    module still unloads whole, its sites and filter entries gone (the
    record array is compacted in place instead)."""
    fail = "/sys/kernel/kelp/fail_nth"
    f = "%s/set_ftrace_filter" % TR
    sites = len(k.run("cat %s/available_filter_functions" % TR).split())
    hits = 0
    for n in range(1, 6):
        klp_ok(k, "load", blob("ktest_mod"))
        assert k.run("echo ktest_mod_add > %s" % f) == ""
        assert k.run("echo function > %s/current_tracer" % TR) == ""
        before = int(k.run("cat %s" % fail).split()[-1])
        k.run("echo %d > %s" % (n, fail))
        r = k.klpctl("unload", "ktest_mod")
        k.run("echo 0 > %s" % fail)
        hits += int(k.run("cat %s" % fail).split()[-1]) - before
        assert r.returncode == 0, "allocation %d: %s" % (n, r.stderr)
        assert not listed(k, "ktest_mod")
        funcs = k.run("cat %s/available_filter_functions" % TR).split()
        assert len(funcs) == sites and "ktest_mod_add" not in funcs, n
        assert k.run("cat %s/enabled_functions" % TR) == ""
        assert k.run("cat %s" % f) == ""
        assert k.run("echo nop > %s/current_tracer" % TR) == ""
        assert k.run("echo \"\" > %s" % f) == ""
    assert hits >= 3  # the release's allocations did fail
    k.run("echo \"\" > %s/trace" % TR)


def test_rmmod_while_its_file_is_read(k):
    """Defect 2 (unload's side): a read of a module's file runs the
    module's code; rmmod meanwhile freed that code under it. A read holds
    a reference, as Linux's fops->owner: rmmod is refused while it runs,
    and succeeds after."""
    name = "lifecycle_slowfile"
    klp_ok(k, "load", blob(name), "delay_ms=3000")
    k.run("cat /sys/kernel/%s/slow" % name, wait=False)
    time.sleep(0.5)
    r = k.klpctl("unload", name)
    assert r.returncode != 0 and "module %s is in use (refcount 1)" % name in r.stderr, r.stderr
    k.expect_exact("slept 3000 ms", timeout=15)
    k.wait_prompt(timeout=10)
    assert k.run("cat /sys/module/%s/refcnt" % name) == "0"
    klp_ok(k, "unload", name)
    assert not listed(k, name)
    assert "No such file" in k.run("cat /sys/kernel/%s/slow" % name)
