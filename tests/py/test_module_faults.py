"""Faults inside loaded module code: fault_mod (tests/modules/fault_mod.c)
dereferences NULL in the show function of /sys/kernel/fault_mod/boom. The
panic backtrace must name that function and its module, so the panic
path's symbol lookup includes loaded modules.

(A user task faulting inside a *patched* syscall is the livepatch half of
this issue: without livepatch no module code sits on a syscall path; user
faults and -EFAULT in plain syscalls are covered by tests/py/test_user.py.)"""
import re


from kelp import EXIT_FAIL, blob_file


blob = blob_file


def test_fault_in_module_names_module_function(kelp_factory):
    k = kelp_factory("panic_exit", expect_panic=True)
    k.wait_prompt()
    r = k.klpctl("load", blob("fault_mod"), "armed=0")
    assert r.returncode == 0, r.stderr
    assert "disarmed" in k.run("cat /sys/kernel/fault_mod/boom")
    assert k.klpctl("unload", "fault_mod").returncode == 0
    r = k.klpctl("load", blob("fault_mod"))
    assert r.returncode == 0, r.stderr
    k.run("cat /sys/kernel/fault_mod/boom", wait=False)
    k.expect_exact("Kernel panic - not syncing", timeout=20)
    k.expect(r"---\[ end Kernel panic[^\n]*\n", timeout=20)
    assert k.wait_exit(timeout=20) == EXIT_FAIL
    log = k.log[k.log.index("cat /sys/kernel/fault_mod/boom"):]
    # the faulting RIP and the first frame name the module's function
    assert re.search(r"fault_mod_boom_show\+0x[0-9a-f]+/0x[0-9a-f]+ \[fault_mod\]", log), log[-3000:]
    trace = log[log.index("Call Trace:"):]
    assert "fault_mod_boom_show" in trace or "fault_mod_boom_show" in log[:log.index("Call Trace:")]
    # and the kernel frames below it are named too (the pseudofs read path)
    assert re.search(r"pfs_read\+0x", trace), trace
