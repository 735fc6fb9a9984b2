"""Allocation-failure injection from the shell (/sys/kernel/kelp/fail_nth,
tests/stress/failslab.c) over the real patch channel: a blob load over COM2 with
allocation 1, 2, 3, ... failing until it succeeds. Every failure is a
clear error, the module loaded before keeps working and nothing leaks: the
heap, the tracer's sites and filter, lsmod and /sys/kernel/livepatch are as
they were before the load.
Also livepatch's "enable with replace over installed patches": with
stress_pair_v1 (replace) and test_klp_livepatch (stacked) installed, the
load of stress_pair_v2 (atomic replace of both), failing allocation 1, 2,
3, ...: each failure leaves both installed patches in effect. And late
binding both ways: a livepatch with relocations against a loaded module,
and that module loading while the livepatch waits for it."""
import re

import pytest

from kelp import Kelp, blob_file


blob = blob_file


def meminfo(k):
    out = k.run("cat /proc/meminfo")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^(\w+):\s+(\d+)", out)}


def visible_state(k):
    """What every failed load must leave exactly as it found it: the
    tracer's sites and filter, the module list, the livepatch tree."""
    t, lp = "/sys/kernel/tracing", "/sys/kernel/livepatch"
    state = {"enabled_functions": k.run("cat %s/enabled_functions" % t),
             "set_ftrace_filter": k.run("cat %s/set_ftrace_filter" % t),
             "sites": len(k.run("cat %s/available_filter_functions" % t).split()),
             "lsmod": k.run("lsmod"),
             "livepatch": k.run("ls %s" % lp)}
    for p in state["livepatch"].split():
        for f in ("enabled", "transition"):
            state[p + f] = k.run("cat %s/%s%s" % (lp, p, f))
    return state


def injected(k):
    return int(k.run("cat /sys/kernel/kelp/fail_nth").strip().split()[-1])


def load_ktest_mod(k):
    return k.klpctl("load", blob("ktest_mod"), "count=7", "label=fs")


def unload_ktest_mod(k):
    return k.klpctl("unload", "ktest_mod")


def lp_setup(k):
    for name in ("stress_pair_v1", "test_klp_livepatch"):
        r = k.klpctl("load", blob(name))
        assert r.returncode == 0, r.stderr
        assert "complete (enabled)" in k.klpctl("wait", name).stdout


def lp_prev_ok(k):
    return ("pair 1 1" in k.run("cat /sys/kernel/kelp/stress_stats") and
            "this has been live patched" in k.run("cat /proc/cmdline"))


def lp_replace(k):
    # no wait here: the armed failure may outlive the load (lp_check waits)
    return k.klpctl("load", blob("stress_pair_v2"))


def lp_undo(k):
    """Back to the two installed patches (the replaced ones' modules stay
    loaded with their patches gone: unload and load them again)."""
    k.klpctl("disable", "stress_pair_v2", check=True)
    k.klpctl("wait", "stress_pair_v2", check=True)
    for name in ("stress_pair_v2", "test_klp_livepatch", "stress_pair_v1"):
        k.klpctl("unload", name, check=True)
    lp_setup(k)
    return k.klpctl("list")


def lp_check(k):
    k.klpctl("wait", "stress_pair_v2", check=True)
    return ("pair 2 2" in k.run("cat /sys/kernel/kelp/stress_stats") and
            "this has been live patched" not in k.run("cat /proc/cmdline") and
            "stress_pair_v2: transition complete (enabled)" in k.klpctl("wait", "stress_pair_v2").stdout)


LATE, BUSY = "test_klp_late_reloc", "livepatch_callbacks_busymod"
LATE_OBJ = "/sys/kernel/livepatch/%s/%s/patched" % (LATE, BUSY)


def load_busymod(k):
    return k.klpctl("load", blob("livepatch-callbacks-busymod"), "sleep_secs=0")


def load_late(k):
    return k.klpctl("load", blob(LATE))


def late_setup(k):
    assert load_late(k).returncode == 0
    assert "complete (enabled)" in k.klpctl("wait", LATE).stdout


def unload_late(k):
    k.klpctl("disable", LATE, check=True)
    k.klpctl("wait", LATE, check=True)
    return k.klpctl("unload", LATE)


def late_bound(k):
    return ("complete (enabled)" in k.klpctl("wait", LATE).stdout and
            k.run("cat %s" % LATE_OBJ) == "1")


# (what, run -> CompletedProcess, undo, success check[, setup, previous still working])
CASES = [
    ("module load over COM2", load_ktest_mod, unload_ktest_mod,
     lambda k: ("ktest_mod: init: count=7 verbose=0 label=fs" in k.klpctl("dmesg").stdout and
                k.run("cat /sys/module/ktest_mod/initstate").strip() == "live" and
                k.run("cat /sys/module/ktest_mod/refcnt").strip() == "0")),
    ("livepatch replace over 2 installed patches over COM2", lp_replace, lp_undo, lp_check,
     lp_setup, lp_prev_ok),
    # late binding (kernel/module/late_reloc.c): the livepatch's relocations
    # against a loaded target, then a target coming under the livepatch
    ("livepatch with relocations against a loaded module", load_late, unload_late, late_bound,
     lambda k: load_busymod(k).check_returncode()),
    ("module coming under a livepatch bound to it", load_busymod,
     lambda k: k.klpctl("unload", BUSY), late_bound, late_setup),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fail_nth_until_success(case, capsys):
    what, run, undo, check = case[:4]
    setup = case[4] if len(case) > 4 else None
    prev_ok = case[5] if len(case) > 5 else None
    k = Kelp("loglevel=3", name="failslab")
    k.boot()
    try:
        k.wait_prompt()
        assert k.run("cat /sys/kernel/kelp/fail_nth").strip().isdigit()
        # the module loaded before, and a warm-up of the case
        assert k.klpctl("load", blob("hello_module"), "whom=failslab").returncode == 0
        if setup:
            setup(k)
        assert run(k).returncode == 0
        assert undo(k).returncode == 0
        base = meminfo(k)
        seen = visible_state(k)
        n, points, reasons = 0, 0, {}
        while True:
            n += 1
            assert n < 200, "still failing after 200 injection points"
            inj0 = injected(k)
            k.run("echo %d > /sys/kernel/kelp/fail_nth" % n)
            r = run(k)
            k.run("echo 0 > /sys/kernel/kelp/fail_nth")
            hit = injected(k) - inj0
            if r.returncode == 0:
                # The armed failure outlived the operation and hit the
                # shell's next command (hit may be 1): what matters is that
                # the success is whole, not a load that swallowed a failure.
                assert check(k), "allocation %d: %s succeeded incompletely" % (n, what)
                break
            assert hit == 1, (n, r.stderr)
            msg = r.stderr.strip()
            assert re.search(r"\b(memory|ENOMEM)\b", msg), "allocation %d: %r" % (n, msg)
            assert "(-12)" in msg, msg
            reasons[msg] = reasons.get(msg, 0) + 1
            points += 1
            now = meminfo(k)
            for key in ("KmallocBytes", "KmallocObjects"):
                assert now[key] == base[key], "allocation %d: %s %d -> %d (%s)" % (
                    n, key, base[key], now[key], msg)
            assert re.search(r"hello_module\s+\d+\s+0\s+live", k.run("lsmod"))
            now_seen = visible_state(k)
            for key in seen:
                assert now_seen[key] == seen[key], "allocation %d: %s changed (%s):\n%s\n->\n%s" % (
                    n, key, msg, seen[key], now_seen[key])
            if prev_ok:
                assert prev_ok(k), "allocation %d: the patches before stopped working" % n
        assert undo(k).returncode == 0
        after = meminfo(k)
        assert after["KmallocBytes"] == base["KmallocBytes"]
        assert after["KmallocObjects"] == base["KmallocObjects"]
        assert k.klpctl("unload", "hello_module").returncode == 0
        assert "hello_module: Goodbye, failslab." in k.klpctl("dmesg").stdout
        with capsys.disabled():
            print("\nfailslab: %s: %d injection points, each a clean -ENOMEM:" % (what, points))
            for msg, c in sorted(reasons.items(), key=lambda kv: -kv[1]):
                print("  %3d x %s" % (c, msg))
        assert points >= 5
    finally:
        k.close()
