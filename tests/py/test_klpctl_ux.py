"""klpctl explains itself, end to end through a booted test kernel: a refused
load prints the kernel's own reason (the console's lines) and the errno once;
`list` shows each module's role and state, also after an atomic replace;
`status` names the task holding a transition open and the function it sleeps
in; `remove` disables, waits and unloads; `timeline` exports the kernel's
record of a transition as Chrome Trace Event JSON and as an SVG picture;
`trace -o` fetches the function tracer's buffer; and a missing VM or socket
says what to do."""
import json
import os
import re
import socket
import subprocess
import tempfile
import time

import pytest

from kelp import KLPCTL, Kelp, blob_file, klp_ok

blob = blob_file
DEMO = "livepatch_callbacks_demo"
BUSY = "livepatch_callbacks_busymod"
T = "/sys/kernel/tracing"


@pytest.fixture(scope="module")
def k():
    kk = Kelp("kelp.ux=1", name="klpctl_ux")
    kk.boot()
    kk.wait_prompt()
    yield kk
    kk.close()


def modules(k):
    """klpctl list as {name: (role, state)}."""
    out = klp_ok(k, "list")
    lines = out.splitlines()
    assert lines[0].split() == ["Module", "Size", "Ref", "Role", "State"], out
    rows = {}
    for line in lines[1:]:
        f = line.split(None, 4)
        rows[f[0]] = (f[3], f[4])
    return rows


def wait_state(k, name, pattern, timeout=20):
    end = time.time() + timeout
    while True:
        state = modules(k).get(name, (None, ""))[1]
        if re.search(pattern, state):
            return state
        assert time.time() < end, "%s: %r never matched %r" % (name, state, pattern)
        time.sleep(0.2)


@pytest.mark.parametrize("name,reason", [
    ("ux_typo", "livepatch: symbol 'cmdline_proc_shwo' not found in symbol table"),
    ("ux_notrace", "livepatch: failed to find location for function 'sched_running'"),
    ("ux_nomodinfo", "livepatch: module ux_nomodinfo is not marked as a livepatch module"),
])
def test_refused_load_says_why(k, name, reason):
    start = len(k.log)
    r = k.klpctl("load", blob(name))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "klpctl: %s\n" % reason in r.stderr, r.stderr
    assert "klpctl: %s: init failed: Invalid argument (-22)\n" % name in r.stderr, r.stderr
    assert r.stderr.count("-22") == 1, r.stderr
    # the same reason the console showed
    k.drain()
    assert reason in k.log[start:]
    assert name not in modules(k)


def test_list_shows_roles_and_which_patch_is_active_after_replace(k):
    klp_ok(k, "load", blob("test_klp_livepatch"))
    klp_ok(k, "wait", "test_klp_livepatch")
    rows = modules(k)
    assert rows["test_klp_livepatch"] == ("livepatch", "enabled"), rows
    klp_ok(k, "load", blob("test_klp_atomic_replace"), "replace=1")
    klp_ok(k, "wait", "test_klp_atomic_replace")
    rows = modules(k)
    assert rows["test_klp_atomic_replace"] == ("livepatch", "enabled, replace"), rows
    assert rows["test_klp_livepatch"] == (
        "livepatch", "replaced by test_klp_atomic_replace, waiting to be unloaded"), rows
    klp_ok(k, "unload", "test_klp_livepatch")
    assert "test_klp_livepatch" not in modules(k)
    out = klp_ok(k, "remove", "test_klp_atomic_replace")
    assert "test_klp_atomic_replace: transition complete (disabled)" in out, out
    assert "test_klp_atomic_replace" not in modules(k)


def test_stalled_transition_status_remove_and_timeline(k):
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=6")
    assert modules(k)[BUSY] == ("module", "loaded")
    time.sleep(0.5)  # its work is asleep inside busymod_work_func
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    state = wait_state(k, DEMO, r"^in transition \(patching, \d+/\d+ switched\)$")
    m = re.search(r"(\d+)/(\d+)", state)
    assert int(m.group(1)) < int(m.group(2)), state

    out = klp_ok(k, "status", DEMO)
    assert re.search(r"^%s: patching transition in progress for \d+\.\d+ s$" % DEMO,
                     out, re.M), out
    assert re.search(r"^  \d+ of \d+ tasks switched$", out, re.M), out
    assert re.search(r"^  blocking: \d+ kworker: sleeping in function busymod_work_func "
                     r"\(\d+ checks?\)$", out, re.M), out
    # without NAME: the transition in progress
    assert klp_ok(k, "status").startswith("%s: patching transition in progress" % DEMO)

    # --watch follows it to the end (not a terminal: each change once)
    out = klp_ok(k, "status", DEMO, "--watch")
    blocks = [l for l in out.splitlines() if l.startswith(DEMO + ":")]
    assert "in progress" in blocks[0] and "complete in" in blocks[-1], out
    assert modules(k)[DEMO] == ("livepatch", "enabled")

    with tempfile.TemporaryDirectory() as d:
        js, svg = os.path.join(d, "t.json"), os.path.join(d, "t.svg")
        klp_ok(k, "timeline", DEMO, "-o", js, "--svg", svg)
        with open(js) as f:
            doc = json.load(f)
        evs = doc["traceEvents"]
        # process 0: the transition; process 1: one thread per task
        threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in evs
                   if e["ph"] == "M" and e["name"] == "thread_name"}
        kworker = [t for t, n in threads.items() if n.startswith("kworker:")]
        assert threads[(0, 0)] == "transition" and kworker, threads
        assert threads[(1, 0)].startswith("idle"), threads
        names = [e["name"] for e in evs if e["ph"] == "i" and e["pid"] == 0]
        assert names[0] == "start patching" and names[-1] == "complete patching", names
        kw = [e for e in evs if e["ph"] != "M" and (e["pid"], e["tid"]) == kworker[0]]
        assert kw[0]["name"] == "marked" and kw[-1]["name"] == "switched", kw
        blocked = [e for e in kw if e["ph"] == "X"]
        assert any(e["args"]["reason"] == "sleeping" and
                   e["args"]["function"] == "busymod_work_func" for e in blocked), blocked
        for e in evs:
            if e["ph"] != "M":
                assert e["pid"] in (0, 1) and e["ts"] > 0, e
        # every marked task has a switch after its mark
        for pid, tid in threads:
            if pid == 1:
                te = [e for e in evs if e["ph"] == "i" and (e["pid"], e["tid"]) == (1, tid)]
                assert te[0]["name"] == "marked" and te[-1]["name"] == "switched", te
                assert te[-1]["ts"] >= te[0]["ts"], te
        picture = open(svg).read()
        assert picture.startswith("<svg") and picture.rstrip().endswith("</svg>")
        assert "kworker:" in picture and "sleeping in busymod_work_func" in picture
        assert "blocked: sleeping in a patched function" in picture  # the legend

    out = klp_ok(k, "remove", DEMO)
    assert "%s: disabling" % DEMO in out, out
    assert "%s: transition complete (disabled)" % DEMO in out, out
    assert DEMO not in modules(k)
    klp_ok(k, "remove", BUSY)  # a plain module: unloaded
    assert BUSY not in modules(k)


def test_reversed_transition_is_one_timeline(k):
    """Disabling a patch whose transition stalls reverses it: the record
    keeps one transition with its reversal, and the blocked task's track
    ends switched back."""
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=8")
    time.sleep(0.5)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    wait_state(k, DEMO, r"^in transition \(patching")
    klp_ok(k, "disable", DEMO)
    out = klp_ok(k, "wait", DEMO)
    assert out.strip() == "%s: transition complete (disabled)" % DEMO, out
    out = klp_ok(k, "status", DEMO)
    assert "%s: unpatching transition complete in" % DEMO in out and "(reversed)" in out, out
    doc = json.loads(klp_ok(k, "timeline", DEMO))
    names = [e["name"] for e in doc["traceEvents"] if e["ph"] == "i" and e["pid"] == 0]
    assert names == ["start patching", "reverse unpatching", "complete unpatching"], names
    threads = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
               if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == 1}
    kw = [t for t, n in threads.items() if n.startswith("kworker:")][0]
    te = [e for e in doc["traceEvents"] if e["ph"] != "M" and e["pid"] == 1 and e["tid"] == kw]
    assert te[-1]["name"] == "switched" and te[-1]["args"]["how"] == "never_left", te
    assert modules(k)[DEMO] == ("livepatch", "disabled, waiting to be unloaded")
    klp_ok(k, "unload", DEMO)
    klp_ok(k, "remove", BUSY)


def test_forced_transition_is_recorded_as_forced(kelp_factory):
    """A forced transition (its own kernel: the patch can never be unloaded
    afterwards) says so in status, and the stalled task's switch is "forced"."""
    kf = kelp_factory("kelp.ux=2")
    kf.wait_prompt()
    klp_ok(kf, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=8")
    time.sleep(0.5)
    klp_ok(kf, "load", blob("livepatch-callbacks-demo"))
    wait_state(kf, DEMO, r"^in transition \(patching")
    kf.run("echo 1 > /sys/kernel/livepatch/%s/force" % DEMO)
    klp_ok(kf, "wait", DEMO)
    out = klp_ok(kf, "status", DEMO)
    assert "patching transition complete in" in out and "(forced)" in out, out
    doc = json.loads(klp_ok(kf, "timeline", DEMO))
    how = {e["args"]["how"] for e in doc["traceEvents"]
           if e["ph"] == "i" and e["name"] == "switched"}
    assert "forced" in how, how


def test_wait_on_a_terminal_shows_progress(k):
    """On a terminal `wait` follows the transition with a progress line."""
    import pty
    klp_ok(k, "load", blob("livepatch-callbacks-busymod"), "sleep_secs=3")
    time.sleep(0.5)
    klp_ok(k, "load", blob("livepatch-callbacks-demo"))
    master, slave = pty.openpty()
    p = subprocess.Popen([KLPCTL, "-s", k.com2_path, "wait", DEMO], stdout=subprocess.PIPE,
                         stderr=slave, universal_newlines=True)
    os.close(slave)
    out, _ = p.communicate(timeout=60)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert p.returncode == 0, err
    assert out.strip() == "%s: transition complete (enabled)" % DEMO
    assert re.search(r"%s: patching, \d+ of \d+ tasks switched, \d+\.\d s; blocking: \d+ "
                     r"kworker: sleeping in function busymod_work_func" % DEMO,
                     err.decode(errors="replace")), err
    klp_ok(k, "remove", DEMO)
    klp_ok(k, "remove", BUSY)


def test_trace_o_fetches_the_tracer_buffer(k):
    k.run("echo nop > %s/current_tracer" % T)
    k.run("echo cmdline_proc_show > %s/set_ftrace_filter" % T)
    k.run("echo function > %s/current_tracer" % T)
    k.run("cat /proc/cmdline")
    k.run("echo nop > %s/current_tracer" % T)
    k.run('echo "" > %s/set_ftrace_filter' % T)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "trace.json")
        r = k.klpctl("trace", "-o", out)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            doc = json.load(f)
    calls = [e for e in doc["traceEvents"] if e.get("name") == "cmdline_proc_show"]
    assert calls, doc
    threads = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
               if e["ph"] == "M" and e["name"] == "thread_name"}
    for c in calls:
        assert threads[c["tid"]] == "%s-%d" % (c["args"]["comm"], c["tid"]), (c, threads)


def test_auth_status_keeps_the_channels_state(k):
    r = k.klpctl("auth-status")
    assert r.returncode == 0 and "auth: required" in r.stdout, r.stdout + r.stderr


def run_klpctl(args, cwd=None):
    return subprocess.run([KLPCTL] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=30, cwd=cwd)


def test_no_socket_says_what_to_do():
    with tempfile.TemporaryDirectory() as d:
        r = run_klpctl(["-s", os.path.join(d, "klp.sock"), "list"])
        assert r.returncode == 2, r.stderr
        assert "no such socket: no Kelp VM is running" in r.stderr, r.stderr
        assert "make run" in r.stderr and "-s" in r.stderr, r.stderr
        # run from outside the tree: the socket next to klpctl, named as such
        r = run_klpctl(["list"], cwd=d)
        assert r.returncode == 2 and "make run" in r.stderr, r.stderr
        assert os.path.join(os.path.dirname(os.path.realpath(KLPCTL)), "klp.sock") in r.stderr
        # a socket whose VM is gone
        path = os.path.join(d, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()
        r = run_klpctl(["-s", path, "list"])
        assert r.returncode == 2 and "the VM that made this socket is gone" in r.stderr, r.stderr
