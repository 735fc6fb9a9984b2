"""The whole-system fuzzer (tools/fuzz-system.py) inside `make test`: a short
campaign with a fixed seed (KELP_FUZZ_SYSTEM_SECONDS, default 25 s), then
every saved reproducer in tests/fuzz-system/repro/, each on a fresh kernel.
A reproducer whose status is "open" (found, not fixed yet) is an expected
failure that must still fail (strict xfail): when it starts passing, mark it
"fixed". `make fuzz-system FUZZ_SECONDS=N [SEED=S]` runs a long campaign."""
import glob
import importlib.util
import json
import os
import subprocess
import threading
import time

import pytest

from kelp import ROOT

_spec = importlib.util.spec_from_file_location("fuzz_system",
                                               os.path.join(ROOT, "tools", "fuzz-system.py"))
fs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fs)

SEED = 13
REPROS = sorted(glob.glob(os.path.join(fs.REPRO_DIR, "*.json")))


def test_short_campaign(capsys):
    budget = float(os.environ.get("KELP_FUZZ_SYSTEM_SECONDS", "25"))
    t0 = time.monotonic()
    done, programs, i = 0, 0, 0
    while time.monotonic() - t0 < budget:
        ops = fs.gen_program(SEED * 1000 + i, 12)
        i += 1
        found, n = fs.run_program(ops, "fuzz_system_short")
        done += n
        programs += 1
        listing = "\n".join("  [%d] %s" % (j, fs.fmt_op(o)) for j, o in enumerate(ops))
        assert found is None, "program seed %d, step %d: %s\n%s" % (
            SEED * 1000 + i - 1, found.step, found, listing)
    with capsys.disabled():
        print("\nfuzz-system: %d programs, %d operations in %.0f s" %
              (programs, done, time.monotonic() - t0))
    assert done > 0


class _Console(object):
    """Stands in for the Kelp under a Runner: records which thread typed
    each console command and ran each klpctl."""

    def __init__(self):
        self.lock = threading.Lock()
        self.console, self.com2 = [], []

    def run(self, cmd, timeout=10):
        with self.lock:
            self.console.append((threading.current_thread(), cmd))
        time.sleep(0.05)
        return ""

    def klpctl(self, *args, timeout=60):
        with self.lock:
            self.com2.append((threading.current_thread(), args))
        time.sleep(0.05)
        return subprocess.CompletedProcess(args, 0, "", "")


def test_race_drives_the_console_from_one_thread():
    # console-2303006929: a race with two rmmods ran the second on a thread
    # of its own; both threads typed at the one shell, one ate the other's
    # prompt, and the other reported "no answer within 70s" though the
    # kernel had answered both.
    r = fs.Runner.__new__(fs.Runner)
    r.k = _Console()
    r.owner = threading.current_thread()
    r.race([{"op": "rmmod", "name": "a"}, {"op": "load", "blob": "x", "params": []},
            {"op": "rmmod", "name": "b"}, {"op": "list"}, {"op": "rmmod", "name": "a"}])
    assert [c for _, c in r.k.console] == ["rmmod a", "rmmod b", "rmmod a"]
    assert all(t is threading.current_thread() for t, _ in r.k.console), r.k.console
    assert sorted(a[0] for _, a in r.k.com2) == ["list", "load"]
    assert all(t is not threading.current_thread() for t, _ in r.k.com2)


def test_console_refuses_a_second_driver():
    r = fs.Runner.__new__(fs.Runner)
    r.k = _Console()
    r.owner = threading.current_thread()
    errs = []

    def other():
        try:
            r.sh("echo hi")
        except RuntimeError as e:
            errs.append(e)
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errs) == 1 and "console used from thread" in str(errs[0])
    assert r.k.console == []


def test_big_reads_cover_every_long_file():
    # Every file the fuzzer's read_tree reads, on a freshly booted kernel:
    # one whose text is longer than BIG_READ_BYTES takes the serial line
    # for seconds, many more on a loaded host, so it must have READ_BOUND
    # (/proc/kallsyms, 100 KB, had the 10 s bound: a false "no answer").
    r = fs.Runner("fuzz_system_big_reads")
    try:
        r.k.boot()
        r.k.wait_prompt()
        sizes = {}
        for root in fs.TREES:
            todo, n = [root], 0
            while todo and n < 400:
                d = todo.pop(0)
                for e in r.ls(d):
                    p = d.rstrip("/") + "/" + e.rstrip("/")
                    if e.endswith("/"):
                        todo.append(p)
                    elif p not in fs.SKIP_READ and p not in sizes:
                        sizes[p] = len(r.sh("cat " + p, timeout=fs.READ_BOUND))
                        n += 1
    finally:
        r.close()
    assert "/proc/kallsyms" in sizes and "/proc/meminfo" in sizes
    big = sorted(p for p, n in sizes.items() if n > fs.BIG_READ_BYTES)
    assert big, "no file longer than %d bytes: the walk read nothing" % fs.BIG_READ_BYTES
    assert set(big) <= fs.BIG_READS, {p: sizes[p] for p in big if p not in fs.BIG_READS}


@pytest.mark.parametrize("path", REPROS, ids=[os.path.basename(p)[:-5] for p in REPROS])
def test_reproducer(path):
    with open(path) as f:
        doc = json.load(f)
    found, _ = fs.run_program(doc["ops"], "fuzz_system_" + doc["name"])
    if doc.get("status") == "open":
        if found is not None:
            pytest.xfail("open finding %s still reproduces: %s" % (doc["name"], found))
        pytest.fail("open finding %s no longer reproduces: mark it fixed" % doc["name"])
    assert found is None, "%s (%s) is back: %s\n%s" % (doc["name"], doc["found"], found,
                                                        "\n".join(doc["program"]))
