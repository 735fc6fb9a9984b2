"""Livepatch stress with a consistency checker (tests/stress/kelp_pair.c), over
the real COM2 path: cycles of load, enable, atomic replace, disable and
unload of the stress blobs (tests/modules/stress_pair.c, versions 1-4 of
kelp_pair_a/kelp_pair_b and their caller), while kernel threads and user
tasks (user/pair_loop through SYS_kelp_pair) call the pair and check that
a and b always come from one version. Zero violations, zero panics, heap
back at its baseline, time per cycle printed.

One cycle, vA and vB two different versions:
  load vA (enable; replaces nothing) -> wait; load vB (atomic replace of
  vA) -> wait; unload vA; disable vB -> wait; unload vB.

KELP_STRESS_CYCLES (default 50; `make stress` runs 1,000),
KELP_STRESS_KTHREADS and KELP_STRESS_UTASKS (default 16 + 16 = 32).

Also here: faults inside patched code (tests/modules/fault_patch.c)."""
import os
import re
import time


from kelp import EXIT_FAIL, Kelp, blob_file
from klpproto import KlpClient

VERSIONS = (1, 2, 3, 4)
STATS = "/sys/kernel/kelp/stress_stats"


blob_path = blob_file


def read_blob(name):
    with open(blob_path(name), "rb") as f:
        return f.read()


def meminfo(k):
    out = k.run("cat /proc/meminfo")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^(\w+):\s+(\d+)", out)}


def stats(k):
    out = k.run("cat " + STATS)
    d = {}
    for m in re.finditer(r"(?m)^(\w+) (.*?)\s*$", out):
        d[m.group(1)] = m.group(2)
    assert "observations" in d, out
    return d


def ok(c, cmd):
    st, text = c.cmd(cmd)
    assert st == 0, "%s: %s (%d)" % (cmd, text, st)
    return text


def cycle(c, blobs, i):
    """One cycle over COM2; vA and vB rotate through the four versions."""
    va = VERSIONS[(2 * i) % len(VERSIONS)]
    vb = VERSIONS[(2 * i + 1) % len(VERSIONS)]
    a, b = "stress_pair_v%d" % va, "stress_pair_v%d" % vb
    st, text = c.load(blobs[va], a)
    assert st == 0, "cycle %d: load %s: %s (%d)" % (i, a, text, st)
    assert "complete (enabled)" in ok(c, "wait " + a)
    st, text = c.load(blobs[vb], b)
    assert st == 0, "cycle %d: load %s (replace): %s (%d)" % (i, b, text, st)
    assert "complete (enabled)" in ok(c, "wait " + b)
    ok(c, "unload " + a)  # replaced: its patch is gone, its module can go
    ok(c, "disable " + b)
    assert "complete (disabled)" in ok(c, "wait " + b)
    ok(c, "unload " + b)


def test_stress_consistency(capsys):
    cycles = int(os.environ.get("KELP_STRESS_CYCLES", "50"))
    nk = int(os.environ.get("KELP_STRESS_KTHREADS", "16"))
    nu = int(os.environ.get("KELP_STRESS_UTASKS", "16"))
    blobs = {v: read_blob("stress_pair_v%d" % v) for v in VERSIONS}
    k = Kelp("loglevel=3", name="stress")
    k.boot()
    try:
        k.wait_prompt()
        s0 = stats(k)
        assert s0["pair"] == "0 0" and s0["observations"] == "0", s0
        c = KlpClient(k.com2_path, timeout=2.0)
        c.hello()
        # warm-up cycle without observers: page tables, sysfs directories
        # and the transition worker that stay
        cycle(c, blobs, 0)
        base = meminfo(k)
        k.run("echo start %d %d > %s" % (nk, nu, STATS))
        assert stats(k)["tasks"] == "%d %d" % (nk, nu)
        time.sleep(0.5)
        t0 = time.monotonic()
        for i in range(cycles):
            cycle(c, blobs, i)
        dt = time.monotonic() - t0
        mid = stats(k)
        k.run("echo stop > " + STATS, timeout=60)
        s = stats(k)
        c.close()
        with capsys.disabled():
            print("\nstress: %d cycles over COM2 with %d kernel threads + %d user tasks: "
                  "%.1f ms/cycle (%.1f s); %s observations (%s kernel, %s user), "
                  "%s violations, max version %s" % (
                      cycles, nk, nu, 1000.0 * dt / max(cycles, 1), dt, s["observations"],
                      s["kthread_observations"], s["user_observations"], s["violations"],
                      s["max_version"]))
        assert s["violations"] == "0", s
        assert s["first_violation"] == "0", s
        assert s["user_failures"] == "0", s
        assert s["tasks"] == "0 0"
        assert s["pair"] == "0 0", s
        assert int(mid["kthread_observations"]) > cycles
        assert int(mid["user_observations"]) > cycles
        assert int(s["max_version"]) == max(VERSIONS)
        assert not re.search(r"stress_pair", k.run("lsmod"))
        assert "Kernel panic" not in k.log
        # heap at baseline, once the exited tasks are reaped
        end = time.time() + 5
        while True:
            now = meminfo(k)
            if all(now[x] == base[x] for x in ("KmallocBytes", "KmallocObjects")) or \
                    time.time() > end:
                break
            time.sleep(0.2)
        for x in ("KmallocBytes", "KmallocObjects"):
            assert now[x] == base[x], "%s %d -> %d" % (x, base[x], now[x])
    finally:
        k.close()


# ---- faults inside patched code ----


def test_fault_in_patch_names_patch_function(kelp_factory):
    k = kelp_factory("panic_exit loglevel=3", expect_panic=True)
    k.wait_prompt()
    r = k.klpctl("load", blob_path("fault_patch"), "boom=1")
    assert r.returncode == 0, r.stderr
    assert "complete (enabled)" in k.klpctl("wait", "fault_patch").stdout
    k.run("cat " + STATS, wait=False)
    k.expect_exact("Kernel panic - not syncing", timeout=20)
    k.expect(r"---\[ end Kernel panic[^\n]*\n", timeout=20)
    assert k.wait_exit(timeout=20) == EXIT_FAIL
    log = k.log[k.log.index("cat " + STATS):]
    # the faulting RIP names the patch's function and its module
    assert re.search(r"fault_patch_pair_a\+0x[0-9a-f]+/0x[0-9a-f]+ \[fault_patch\]", log), \
        log[-3000:]
    # and the kernel frames that called it: the patched caller's
    # original, the sysfs show function, the pseudofs read path
    trace = log[log.index("Call Trace:"):]
    assert re.search(r"stress_show\+0x", trace), trace
    assert re.search(r"pfs_read\+0x", trace), trace


def test_user_fault_in_patched_syscall(kelp_factory):
    k = kelp_factory("loglevel=3")
    k.wait_prompt()
    out = k.run("spawn -w pair_fault", timeout=20)
    assert "kelp_pair -> 0" in out and re.search(r"exit(ed)?( status)?:? 0\b", out), out
    r = k.klpctl("load", blob_path("fault_patch"))
    assert r.returncode == 0, r.stderr
    assert "complete (enabled)" in k.klpctl("wait", "fault_patch").stdout
    base = meminfo(k)
    for _ in range(3):
        out = k.run("spawn -w pair_fault", timeout=20)
        assert "kelp_pair -> -14" in out, out
        assert "139" in out, out
    # the kernel is fine: the console answers, the patch still works,
    # nothing leaked, and it comes off cleanly
    assert "pair 7 0" in k.run("cat " + STATS)
    now = meminfo(k)
    assert now["KmallocObjects"] == base["KmallocObjects"], (base, now)
    assert k.klpctl("disable", "fault_patch").returncode == 0
    assert "complete (disabled)" in k.klpctl("wait", "fault_patch").stdout
    assert k.klpctl("unload", "fault_patch").returncode == 0
    out = k.run("spawn -w pair_fault", timeout=20)
    assert "kelp_pair -> 0" in out, out
    assert "Kernel panic" not in k.log
