#!/usr/bin/python3
"""The whole-system fuzzer: random programs of operations against a real Kelp
(the test kernel under QEMU), checked after every step.

A program is a list of operations (JSON objects, printed one per line), made
deterministically from a seed: loads of good, mutated (truncated, corrupted,
wrong key) and racing blobs over COM2 (build/test/klpctl, so it follows the
protocol's authentication), enable/disable/force/wait, the function tracer
and its filters, module parameters, kernel threads started and killed, reads
of every file under /proc and /sys, allocation-failure injection
(/sys/kernel/kelp/fail_nth), a COM2 peer that stops reading, concurrent
clients. After each step the invariants are checked:

  console   the shell answers within CONSOLE_BOUND seconds (READ_BOUND for
            the few files whose text alone keeps the serial line busy)
  log       no panic, soft lockup, BUG or WARNING line
  state     lsmod, /sys/kernel/livepatch/*/{enabled,transition} and
            /sys/kernel/tracing/enabled_functions agree (once transitions
            settle: the redirected functions are exactly those of the
            enabled patches' loaded objects; untraced sites only with a tracer)
  baseline  with nothing loaded, no tracer and no filter: kmalloc objects and
            bytes back at the boot baseline, free memory (module area) too

A failing program is shrunk (delta debugging, a fresh kernel per attempt) and
written to tests/fuzz-system/repro/NAME.json; tests/py/test_fuzz_system.py
replays every file there.

  tools/fuzz-system.py --seconds 600 [--seed S]    a campaign
  tools/fuzz-system.py --replay FILE.json          one program, no shrinking
  tools/fuzz-system.py --print --seed S            the program only
"""
import argparse
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
import kelp  # noqa: E402
from kelp import Kelp, KelpError, KelpPanic  # noqa: E402
from klpproto import MAX_PAYLOAD, T_CMD, T_HELLO, encode  # noqa: E402

REPRO_DIR = os.path.join(ROOT, "tests", "fuzz-system", "repro")
CONSOLE_BOUND = 10.0   # seconds the shell may take to answer
SETTLE = 20.0          # seconds a transition may take before the state check gives up
KLPCTL_BOUND = 120     # seconds a klpctl run may take (the kernel waits up to 60 s)
BAD_LINES = [r"Kernel panic", r"soft lockup", r"BUG: ", r"WARNING: ", r"general protection",
             r"page fault"]

# name -> (module name, kind, {param: [values]}); all from build/test/testblobs.
# The shadow-variable samples are left out: they leak by design (Linux's too).
BLOBS = {
    "hello_module": ("hello_module", "mod",
                     {"whom": ["fuzz", "x" * 40, ""], "times": ["0", "3", "-1", "99999999999"],
                      "shout": ["0", "1", "y", "maybe"]}),
    "ktest_mod": ("ktest_mod", "mod",
                  {"count": ["0", "7", "2147483648", "-2147483649", "0x10"],
                   "verbose": ["0", "1", "n"], "label": ["fs", "a" * 64]}),
    "storm_mod": ("storm_mod", "mod", {}),
    "livepatch-callbacks-mod": ("livepatch_callbacks_mod", "mod", {}),
    "livepatch-callbacks-busymod": ("livepatch_callbacks_busymod", "mod",
                                    {"block_transition": ["0", "1"]}),
    "livepatch-sample": ("livepatch_sample", "lp", {}),
    "livepatch-callbacks-demo": ("livepatch_callbacks_demo", "lp",
                                 {"pre_patch_ret": ["0", "-19", "-12"]}),
    "test_klp_atomic_replace": ("test_klp_atomic_replace", "lp", {"replace": ["0", "1"]}),
    "test_klp_livepatch": ("test_klp_livepatch", "lp", {}),
    "test_klp_callbacks_demo": ("test_klp_callbacks_demo", "lp", {}),
    "test_klp_callbacks_demo2": ("test_klp_callbacks_demo2", "lp", {"replace": ["0", "1"]}),
    "test_klp_state": ("test_klp_state", "lp", {}),
    "test_klp_state2": ("test_klp_state2", "lp", {}),
    "test_klp_vmlinux_mod": ("test_klp_vmlinux_mod", "lp", {}),
    "stress_pair_v1": ("stress_pair_v1", "lp", {}),
    "stress_pair_v2": ("stress_pair_v2", "lp", {}),
    "stress_pair_v3": ("stress_pair_v3", "lp", {}),
    "klpb_mod": ("klpb_mod", "mod", {}),
}
# Linux 6.1's own samples and selftest modules as `make VARIANT=test
# linux-modules` builds them (build/test/linux-modules/), when that has been
# run: other binaries of some test blobs' sources (their module names collide
# with those while loaded) and modules the test blobs lack. Named "lx/..."
# (the path under build/test/); the pool, and so a seed's programs, depends on
# whether they are there (the campaign's first line says). Shadow-variable
# ones left out as above.
LINUX_MODULES = os.path.join(kelp.BUILD, "linux-modules")
LINUX_BLOBS = {
    "lx/livepatch-sample": ("livepatch_sample", "lp", {}),
    "lx/livepatch-callbacks-demo": ("livepatch_callbacks_demo", "lp",
                                    {"pre_patch_ret": ["0", "-19"]}),
    "lx/livepatch-callbacks-mod": ("livepatch_callbacks_mod", "mod", {}),
    "lx/livepatch-callbacks-busymod": ("livepatch_callbacks_busymod", "mod",
                                       {"sleep_secs": ["0", "1", "-1"]}),
    "lx/test_klp_atomic_replace": ("test_klp_atomic_replace", "lp", {"replace": ["0", "1"]}),
    "lx/test_klp_callbacks_busy": ("test_klp_callbacks_busy", "mod",
                                   {"block_transition": ["0", "1", "x"]}),
    "lx/test_klp_callbacks_demo": ("test_klp_callbacks_demo", "lp", {"pre_patch_ret": ["0", "-19"]}),
    "lx/test_klp_callbacks_demo2": ("test_klp_callbacks_demo2", "lp", {"replace": ["0", "1"]}),
    "lx/test_klp_callbacks_mod": ("test_klp_callbacks_mod", "mod", {}),
    "lx/test_klp_livepatch": ("test_klp_livepatch", "lp", {}),
    "lx/test_klp_state": ("test_klp_state", "lp", {}),
    "lx/test_klp_state2": ("test_klp_state2", "lp", {}),
    "lx/test_klp_state3": ("test_klp_state3", "lp", {}),
}


def linux_modules_present():
    return all(os.path.exists(os.path.join(LINUX_MODULES, b[3:] + ".klp")) for b in LINUX_BLOBS)


def use_linux_modules(on):
    """Adds (or leaves out) LINUX_BLOBS in the pool programs draw from."""
    for b in LINUX_BLOBS:
        BLOBS.pop(b, None)
    if on:
        BLOBS.update(LINUX_BLOBS)


# The operations do() sends over COM2 (klpctl); every other one types at the
# console.
COM2_OPS = {"load", "load_bad", "unload", "enable", "disable", "wait", "list"}

# Refused by design (wrong key, bad relocations, duplicate function).
BAD_BLOBS = ["ktest_mod_otherkey", "ktest_oob", "ktest_unknown", "ktest_ambig", "ktest_far",
             "test_klp_dup_func"]
MUTATIONS = ["truncate", "flip", "zero", "append"]
FILTER_GLOBS = ["cmdline_proc_show", "meminfo_proc_show", "*_proc_show", "hello*", "ktest_mod*",
                "storm*", "livepatch*", "busymod*", "callbacks*", "version_proc_show", "nosuchfn",
                "*"]
TREES = ["/proc", "/sys/kernel/livepatch", "/sys/kernel/tracing", "/sys/module", "/sys/kernel",
         "/proc/sys", "/proc/tty"]
SKIP_READ = {"/sys/kernel/tracing/trace_pipe"}   # reading consumes: keep it to its own op
# Files whose text keeps the serial line busy for seconds: a full function
# trace buffer or the list of every traceable function is some 25 KB, about
# 2 s at 115200 baud and many times that on a loaded host; /proc/kallsyms is
# some 100 KB (its read overran the 10 s bound on a host at load 6). Their
# reads get READ_BOUND: the console check is about hangs, not the line's
# speed. Every file of TREES longer than BIG_READ_BYTES must be listed here
# (tests/py/test_fuzz_system.py reads them all).
BIG_READS = {"/sys/kernel/tracing/trace", "/sys/kernel/tracing/trace_pipe",
             "/sys/kernel/tracing/available_filter_functions",
             "/sys/kernel/tracing/enabled_functions", "/proc/kallsyms"}
BIG_READ_BYTES = 16384
READ_BOUND = 60.0
# cat follows these until Ctrl-C (as Linux's cat of trace_pipe blocks)
STREAMS = {"/sys/kernel/tracing/trace_pipe"}


def modname(blob):
    return BLOBS[blob][0] if blob in BLOBS else blob.replace("-", "_")


# -- program generation -----------------------------------------------------

def gen_op(rng, depth=0):
    good = sorted(BLOBS)
    lps = [b for b in good if BLOBS[b][1] == "lp"]
    r = rng.random()

    def params(b):
        ps = BLOBS[b][2] if b in BLOBS else {}
        out = []
        for p in sorted(ps):
            if rng.random() < 0.3:
                out.append("%s=%s" % (p, rng.choice(ps[p])))
        return out

    if r < 0.20:
        b = rng.choice(good)
        return {"op": "load", "blob": b, "params": params(b)}
    if r < 0.28:
        src = rng.choice(good + BAD_BLOBS)
        if src in BAD_BLOBS and rng.random() < 0.5:
            return {"op": "load", "blob": src, "params": []}
        return {"op": "load_bad", "blob": src, "mut": rng.choice(MUTATIONS),
                "at": rng.random(), "val": rng.randrange(256)}
    if r < 0.38:
        b = rng.choice(good)
        return {"op": rng.choice(["unload", "unload", "rmmod"]), "name": modname(b)}
    if r < 0.50:
        b = rng.choice(lps)
        return {"op": rng.choice(["enable", "disable", "disable", "wait", "force"]),
                "name": modname(b)}
    if r < 0.58:
        k = rng.random()
        if k < 0.35:
            return {"op": "tracer", "value": rng.choice(["function", "nop"])}
        if k < 0.8:
            g = rng.choice(FILTER_GLOBS)
            return {"op": "filter", "value": rng.choice(["", "!"]) + g}
        return {"op": "write", "path": "/sys/kernel/tracing/" +
                rng.choice(["tracing_on", "trace", "tracing_on"]), "value": rng.choice(["0", "1"])}
    if r < 0.64:
        b = rng.choice([b for b in good if BLOBS[b][2]])
        p = rng.choice(sorted(BLOBS[b][2]))
        return {"op": "write", "path": "/sys/module/%s/parameters/%s" % (modname(b), p),
                "value": rng.choice(BLOBS[b][2][p] + ["-1", "18446744073709551616", "zz"])}
    if r < 0.69:
        if rng.random() < 0.5:
            return {"op": "kthread", "kind": rng.choice(["sleep", "busy"])}
        return {"op": "kill", "pid": rng.randrange(0, 8)}
    if r < 0.75:
        return {"op": "read_tree", "root": rng.choice(TREES)}
    if r < 0.79:
        return {"op": "read", "path": rng.choice(["/sys/kernel/tracing/trace_pipe",
                                                  "/sys/kernel/tracing/trace",
                                                  "/proc/meminfo", "/proc/3/stack",
                                                  "/proc/2/status"])}
    if r < 0.85 and depth == 0:
        sub = gen_op(rng, 1)
        while sub["op"] not in ("load", "enable", "disable", "unload", "filter", "tracer",
                                "write", "kthread", "builtin"):
            sub = gen_op(rng, 1)
        return {"op": "fail_nth", "n": rng.randrange(1, 40), "then": sub}
    if r < 0.90 and depth == 0:
        subs = [gen_op(rng, 1) for _ in range(rng.randrange(2, 4))]
        subs = [s for s in subs if s["op"] in ("load", "unload", "enable", "disable", "rmmod",
                                               "list", "wait", "load_bad")] or [{"op": "list"}]
        return {"op": "race", "ops": subs}
    if r < 0.93:
        return {"op": "stall_peer", "frames": rng.randrange(5, 200),
                "secs": round(rng.uniform(0.5, 3), 1)}
    if r < 0.96:
        return {"op": "clients", "n": rng.randrange(2, 5)}
    b = rng.choice(["test_klp_livepatch", "test_klp_atomic_replace", "hello_module"])
    return {"op": "builtin", "action": rng.choice(["load", "unload"]), "name": b}


def gen_program(seed, n):
    rng = random.Random(seed)
    return [gen_op(rng) for _ in range(n)] + [{"op": "teardown"}]


def fmt_op(op):
    o = dict(op)
    name = o.pop("op")
    if name == "fail_nth":
        return "fail_nth %d then %s" % (o["n"], fmt_op(o["then"]))
    if name == "race":
        return "race [ %s ]" % " | ".join(fmt_op(s) for s in o["ops"])
    return name + " " + " ".join("%s=%s" % (k, json.dumps(v)) for k, v in sorted(o.items()))


# -- running ------------------------------------------------------------------

class Finding(Exception):
    def __init__(self, kind, msg, step=None):
        Exception.__init__(self, "%s: %s" % (kind, msg))
        self.kind, self.msg, self.step = kind, msg, step


def mutate(data, op):
    at = int(op["at"] * len(data)) % max(1, len(data))
    m = op["mut"]
    if m == "truncate":
        return data[:at]
    if m == "flip":
        b = bytearray(data)
        b[at] ^= (op["val"] or 1)
        return bytes(b)
    if m == "zero":
        b = bytearray(data)
        b[at:at + 64] = bytes(len(b[at:at + 64]))
        return bytes(b)
    return data + bytes([op["val"]]) * 16


class Runner(object):
    """One fresh kernel running one program."""

    def __init__(self, name="fuzz_system", verbose=False):
        self.k = Kelp("loglevel=4", name=name)
        self.verbose = verbose
        self.tmp = tempfile.mkdtemp(prefix="kelp-fuzz-")
        self.log_pos = 0
        self.ops_done = 0
        self.stalled = None
        self.owner = threading.current_thread()

    def close(self):
        self.k.close()
        subprocess.run(["rm", "-rf", self.tmp])

    # console and COM2 helpers
    def console_owner(self):
        # Only the thread that made the Runner types at the console (see race()).
        if threading.current_thread() is not self.owner:
            raise RuntimeError("fuzz-system: console used from thread %s"
                               % threading.current_thread().name)

    def sh(self, cmd, timeout=CONSOLE_BOUND):
        self.console_owner()
        try:
            return self.k.run(cmd, timeout=timeout)
        except KelpPanic as e:
            raise Finding("panic", str(e).split("\n")[0] + "\n" + self.k.log_tail(30))
        except KelpError:
            if not self.k.alive:
                raise Finding("qemu-exit", "QEMU exited\n" + self.k.log_tail(30))
            raise Finding("console", "no answer to %r within %ss\n%s"
                          % (cmd, timeout, self.k.log_tail(20)))

    def sh_stream(self, cmd):
        """A command that follows a stream: Ctrl-C, typed with it, ends it
        once it has printed what was there."""
        self.console_owner()
        try:
            self.k.drain()
            self.k.send(cmd + "\r\x03")
            self.k.expect(r"\n" + re.escape(kelp.PROMPT), timeout=CONSOLE_BOUND)
            return self.k.child.before.replace("\r", "")
        except KelpPanic as e:
            raise Finding("panic", str(e).split("\n")[0] + "\n" + self.k.log_tail(30))
        except KelpError:
            if not self.k.alive:
                raise Finding("qemu-exit", "QEMU exited\n" + self.k.log_tail(30))
            raise Finding("console", "no answer to %r and Ctrl-C within %ss\n%s"
                          % (cmd, CONSOLE_BOUND, self.k.log_tail(20)))

    def klpctl(self, *args):
        try:
            r = self.k.klpctl(*args, timeout=KLPCTL_BOUND)
        except subprocess.TimeoutExpired:
            raise Finding("com2-hang", "klpctl %s did not finish in %ss" % (" ".join(args),
                                                                         KLPCTL_BOUND))
        return r.returncode, (r.stdout + r.stderr).strip()

    def blob_path(self, name):
        if name.startswith("lx/"):
            return os.path.join(LINUX_MODULES, name[3:] + ".klp")
        return os.path.join(kelp.TESTBLOBS, name + ".klp")

    def boot(self):
        self.k.boot()
        try:
            self.k.wait_prompt()
        except KelpError as e:
            raise Finding("boot", str(e))
        # Warm up what allocates once and keeps (tracer, filter, pseudo-fs walks).
        self.sh("echo function > /sys/kernel/tracing/current_tracer")
        self.sh("echo nop > /sys/kernel/tracing/current_tracer")
        self.sh("echo > /sys/kernel/tracing/trace")   # no full buffer to print in the walk
        self.read_tree("/proc")
        self.read_tree("/sys")
        self.klpctl("list")
        self.base = self.meminfo()
        self.base_lsmod = self.lsmod()
        self.log_pos = len(self.k.log)

    def meminfo(self):
        out = self.sh("cat /proc/meminfo")
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^(\w+):\s+(\d+)", out)}

    def lsmod(self):
        out = self.sh("lsmod")
        mods = {}
        for line in out.split("\n"):
            f = line.split()
            if len(f) >= 4 and f[0] != "Module" and f[1].isdigit() and f[2].isdigit():
                mods[f[0]] = (f[3], f[4] if len(f) > 4 else "")
        return mods

    def ls(self, path):
        out = self.sh("ls " + path)
        if "No such file" in out or "ls:" in out:
            return []
        return [l.strip() for l in out.split("\n") if l.strip()]

    def read_tree(self, root, limit=400):
        todo, n = [root], 0
        while todo and n < limit:
            d = todo.pop(0)
            for e in self.ls(d):
                p = d.rstrip("/") + "/" + e.rstrip("/")
                if e.endswith("/"):
                    todo.append(p)
                elif p not in SKIP_READ:
                    self.cat(p)
                    n += 1

    def cat(self, path):
        return self.sh("cat " + path, timeout=READ_BOUND if path in BIG_READS else CONSOLE_BOUND)

    # the operations
    def do(self, op):
        name = op["op"]
        if name == "load":
            args = ["load", self.blob_path(op["blob"])] + list(op.get("params", []))
            return self.klpctl(*args)
        if name == "load_bad":
            with open(self.blob_path(op["blob"]), "rb") as f:
                data = mutate(f.read(), op)
            path = os.path.join(self.tmp, "%s.klp" % op["blob"].replace("/", "_"))
            with open(path, "wb") as f:
                f.write(data)
            return self.klpctl("load", path)
        if name in ("unload", "enable", "disable", "wait"):
            return self.klpctl(name, op["name"])
        if name == "list":
            return self.klpctl("list")
        if name == "rmmod":
            return self.sh("rmmod " + op["name"], timeout=70)
        if name == "force":
            return self.sh("echo 1 > /sys/kernel/livepatch/%s/force" % op["name"])
        if name == "tracer":
            return self.sh("echo %s > /sys/kernel/tracing/current_tracer" % op["value"])
        if name == "filter":
            return self.sh("echo %s > /sys/kernel/tracing/set_ftrace_filter" % op["value"])
        if name == "write":
            return self.sh("echo %s > %s" % (op["value"] or '""', op["path"]))
        if name == "read":
            if op["path"] in STREAMS:
                return self.sh_stream("cat " + op["path"])
            return self.cat(op["path"])
        if name == "read_tree":
            return self.read_tree(op["root"])
        if name == "kthread":
            return self.sh("kthread %s fuzz" % op["kind"])
        if name == "kill":
            return self.sh("kill %d" % op["pid"])
        if name == "builtin":
            return self.sh("klp %s %s" % (op["action"], op["name"]), timeout=70)
        if name == "fail_nth":
            self.sh("echo %d > /sys/kernel/kelp/fail_nth" % op["n"])
            try:
                return self.do(op["then"])
            finally:
                self.sh("echo 0 > /sys/kernel/kelp/fail_nth")
        if name == "race":
            return self.race(op["ops"])
        if name == "stall_peer":
            return self.stall_peer(op["frames"], op["secs"])
        if name == "clients":
            return self.race([{"op": "list"}] * op["n"], console=True)
        if name == "teardown":
            return self.teardown()
        raise ValueError("unknown operation %r" % name)

    def race(self, ops, console=False):
        """The COM2 operations run in threads, each its own klpctl client;
        the console operations meanwhile on this thread, one after another:
        the console has one driver (two threads typing at one shell eat each
        other's prompts, and the loser reports a hang the kernel never had)."""
        errs, threads = [], []
        con = [o for o in ops if o["op"] not in COM2_OPS]
        com = [o for o in ops if o["op"] in COM2_OPS]

        def run(o):
            try:
                self.do(o)
            except BaseException as e:   # re-raised below, on the console's thread
                errs.append(e)
        for o in com:
            threads.append(threading.Thread(target=run, args=(o,)))
        for t in threads:
            t.start()
        try:
            for o in con:
                self.do(o)
            if console:
                for _ in range(3):
                    self.sh("cat /proc/meminfo")
        finally:
            for t in threads:
                t.join()
        if errs:
            raise errs[0]

    def stall_peer(self, frames, secs):
        peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        peer.connect(self.k.com2_path)
        try:
            peer.setblocking(False)
            try:
                peer.send(encode(T_HELLO, 1, struct.pack("<HH", 1, MAX_PAYLOAD)))
                for seq in range(2, frames + 2):
                    peer.send(encode(T_CMD, seq & 0xffff, b"dmesg"))
            except (BlockingIOError, OSError):
                pass
            end = time.monotonic() + secs
            while time.monotonic() < end:
                if self.sh("echo alive").strip().split("\n")[-1].strip() != "alive":
                    raise Finding("console", "echo answered wrongly while a COM2 peer stalls")
                time.sleep(0.2)
        finally:
            peer.close()
        # the channel must serve the next client
        deadline = time.monotonic() + 30
        while True:
            rc, out = self.klpctl("list")
            if rc == 0:
                return
            if time.monotonic() > deadline:
                raise Finding("com2-dead", "klpctl list fails 30 s after a stalled peer left: "
                              + out)
            time.sleep(1)

    def teardown(self):
        """Everything off and unloaded; then the baseline must hold."""
        self.sh("echo nop > /sys/kernel/tracing/current_tracer")
        self.sh("echo !* > /sys/kernel/tracing/set_ftrace_filter")
        self.sh("echo 0 > /sys/kernel/kelp/fail_nth")
        said = []
        for rnd in range(3):
            if rnd == 1:
                # Its kernel threads go after one round: a thread that keeps
                # a transition from finishing shows in the first.
                for line in self.sh("ps").split("\n"):
                    f = line.split()
                    if len(f) >= 5 and f[-1] == "fuzz" and f[0].isdigit():
                        self.sh("kill " + f[0])
            for p in self.ls("/sys/kernel/livepatch"):
                for verb in ("disable", "wait"):
                    rc, out = self.klpctl(verb, p.rstrip("/"))
                    said.append("klpctl %s %s: %d %s" % (verb, p.rstrip("/"), rc, out))
            mods = [m for m in self.lsmod() if m not in self.base_lsmod]
            if not mods and not self.ls("/sys/kernel/livepatch"):
                break
            for m in mods:
                rc, out = self.klpctl("unload", m)
                said.append("klpctl unload %s: %d %s" % (m, rc, out))
                if rc:
                    said.append("klp unload %s: %s" % (m, self.sh("klp unload " + m)))
        left = [m for m in self.lsmod() if m not in self.base_lsmod]
        if left:
            raise Finding("stuck", "modules left after teardown: %s\n%s\n%s\n%s"
                          % (left, self.sh("lsmod"), "\n".join(said[-12:]),
                             self.klpctl("dmesg")[1][-3000:]))

    # invariants
    def check(self):
        out = self.sh("echo ok")
        # kernel messages printed meanwhile may precede the answer
        if out.strip().split("\n")[-1].strip() != "ok":
            raise Finding("console", "echo ok printed %r" % out)
        self.check_log()
        self.check_state()

    def check_log(self):
        new = self.k.log[self.log_pos:]
        self.log_pos = len(self.k.log)
        for pat in BAD_LINES:
            m = re.search("(?m)^.*%s.*$" % pat, new)
            if m:
                raise Finding("log", m.group(0).strip() + "\n" + new[max(0, m.start() - 1500):
                                                                    m.end() + 1500])

    def patch_state(self):
        patches = {}
        for d in self.ls("/sys/kernel/livepatch"):
            p = d.rstrip("/")
            base = "/sys/kernel/livepatch/" + p
            en = self.sh("cat %s/enabled" % base).strip()
            tr = self.sh("cat %s/transition" % base).strip()
            funcs = set()
            for o in self.ls(base):
                if not o.endswith("/"):
                    continue
                obj = base + "/" + o.rstrip("/")
                if self.sh("cat %s/patched" % obj).strip() != "1":
                    continue
                for f in self.ls(obj):
                    if f.endswith("/"):
                        funcs.add(f.rstrip("/").split(",")[0])
            patches[p] = (en, tr, funcs)
        return patches

    def check_state(self):
        # A transition held up (a task asleep in a patched function) is
        # waited for SETTLE seconds once; while the same patches stay in
        # transition, later steps look only briefly.
        end = time.monotonic() + (1.0 if self.stalled else SETTLE)
        while True:
            mods = self.lsmod()
            patches = self.patch_state()
            moving = sorted(p for p, v in patches.items() if v[1] != "0")
            if not moving or time.monotonic() > end:
                break
            time.sleep(0.5)
        self.stalled = moving if moving and (not self.stalled or moving == self.stalled) else None
        for p, (en, tr, funcs) in patches.items():
            if en not in ("0", "1") or tr not in ("0", "1"):
                raise Finding("state", "%s: enabled=%r transition=%r" % (p, en, tr))
            if p not in mods:
                raise Finding("state", "/sys/kernel/livepatch/%s has no module in lsmod: %s"
                              % (p, sorted(mods)))
            if mods[p][1] != "livepatch":
                raise Finding("state", "%s in /sys/kernel/livepatch but lsmod says %r"
                              % (p, mods[p]))
        if any(v[1] != "0" for v in patches.values()):
            return  # still in transition after SETTLE: nothing to compare yet
        ef = self.sh("cat /sys/kernel/tracing/enabled_functions")
        redirected, traced = set(), set()
        for line in ef.split("\n"):
            if not line.strip():
                continue
            f = line.split()
            # "I": a site with an IPMODIFY ops (a livepatch); "->" its
            # direct target when it is the only ops on the site.
            (redirected if "I" in f[2:] or "->" in line else traced).add(f[0])
        want = set()
        for p, (en, tr, funcs) in patches.items():
            if en == "1":
                want |= funcs
        if redirected != want:
            raise Finding("state", "enabled_functions redirects %s, the enabled patches patch %s"
                          "\n%s\n%s" % (sorted(redirected), sorted(want), ef,
                                        self.sh("lsmod")))
        tracer = self.sh("cat /sys/kernel/tracing/current_tracer").strip()
        if traced and tracer != "function":
            raise Finding("state", "tracer %r but enabled_functions traces %s"
                          % (tracer, sorted(traced)))
        if (not patches and set(mods) == set(self.base_lsmod) and tracer == "nop" and
                not self.sh("cat /sys/kernel/tracing/set_ftrace_filter").strip() and
                not ef.strip() and not [p for p in self.sh("ps").split("\n") if "fuzz" in p]):
            mi = self.meminfo()
            for key in ("KmallocObjects", "KmallocBytes"):
                if mi[key] != self.base[key]:
                    raise Finding("leak", "%s %d at baseline, %d now" % (key, self.base[key],
                                                                          mi[key]))
            if mi["MemFree"] + mi["KmallocHeap"] < (self.base["MemFree"] +
                                                     self.base["KmallocHeap"] - 64):
                raise Finding("leak", "free memory %d kB at baseline, %d kB now" % (
                    self.base["MemFree"] + self.base["KmallocHeap"],
                    mi["MemFree"] + mi["KmallocHeap"]))

    def run(self, ops, out=None):
        """Runs `ops`; returns None or the first Finding (with .step)."""
        try:
            self.boot()
        except Finding as f:
            f.step = -1
            return f
        for i, op in enumerate(ops):
            t0 = time.monotonic()
            try:
                self.do(op)
                self.ops_done += 1
                self.check()
                if out:
                    out.write("  [%3d] %s  (%.1f s)\n" % (i, fmt_op(op), time.monotonic() - t0))
                    out.flush()
            except Finding as f:
                if out:
                    out.write("  [%3d] %s  FAILED\n" % (i, fmt_op(op)))
                f.step = i
                return f
        return None


def run_program(ops, name="fuzz_system", out=None):
    r = Runner(name)
    try:
        f = r.run(ops, out)
        return f, r.ops_done
    finally:
        r.close()


# -- shrinking ------------------------------------------------------------------

def shrink(ops, kind, budget, out):
    """ddmin over the operations (the final teardown is always kept): the
    smallest list still failing with `kind`, within `budget` seconds."""
    end = time.monotonic() + budget
    body = [o for o in ops if o["op"] != "teardown"]
    tail = [{"op": "teardown"}]
    runs = [0]

    def fails(cand):
        if time.monotonic() > end:
            return False
        runs[0] += 1
        f, _ = run_program(cand + tail, "fuzz_system_shrink")
        ok = f is not None and f.kind == kind
        out.write("    shrink try %d: %d ops -> %s\n" % (runs[0], len(cand),
                                                         f.kind if f else "pass"))
        out.flush()
        return ok
    n = 2
    while len(body) >= 2 and time.monotonic() < end:
        chunk = max(1, len(body) // n)
        parts = [body[i:i + chunk] for i in range(0, len(body), chunk)]
        reduced = False
        for i in range(len(parts)):
            comp = [o for j, p in enumerate(parts) if j != i for o in p]
            if fails(comp):
                body, n, reduced = comp, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(body):
                break
            n = min(len(body), n * 2)
    return body + tail


def save_repro(name, seed, finding, ops):
    os.makedirs(REPRO_DIR, exist_ok=True)
    path = os.path.join(REPRO_DIR, name + ".json")
    doc = {"name": name, "seed": seed, "kind": finding.kind,
           "found": finding.msg.split("\n")[0][:300],
           "status": "open",   # "fixed" once the kernel is fixed; open ones replay as xfail
           "program": [fmt_op(o) for o in ops], "ops": ops}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=30, help="operations per program")
    ap.add_argument("--replay", help="a reproducer JSON file")
    ap.add_argument("--print", action="store_true", help="print the program of --seed and exit")
    ap.add_argument("--shrink-seconds", type=float, default=900)
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--stop-on-finding", action="store_true")
    ap.add_argument("--linux-modules", choices=["auto", "yes", "no"], default="auto",
                    help="draw from build/test/linux-modules/ too (auto: when built)")
    a = ap.parse_args()
    lx = a.linux_modules == "yes" or (a.linux_modules == "auto" and linux_modules_present())
    if lx and not linux_modules_present():
        print("fuzz-system: build/test/linux-modules/ is incomplete: make VARIANT=test "
              "linux-modules", file=sys.stderr)
        return 2
    use_linux_modules(lx)
    out = sys.stdout
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    if a.print:
        for i, op in enumerate(gen_program(seed, a.ops)):
            print("[%3d] %s" % (i, fmt_op(op)))
        return 0
    if a.replay:
        with open(a.replay) as f:
            doc = json.load(f)
        print("replay %s (%s, %s)" % (a.replay, doc.get("kind"), doc.get("status")))
        fnd, n = run_program(doc["ops"], "fuzz_system_replay", out)
        print("%d operations; %s" % (n, "PASS" if fnd is None else "FAIL " + str(fnd)))
        return 0 if fnd is None else 1
    print("fuzz-system: seed %d, %d s, %d ops per program, %d good blobs%s (replay: SEED=%d)"
          % (seed, a.seconds, a.ops, len(BLOBS), " with linux-modules" if lx else "", seed))
    t0 = time.monotonic()
    total, programs, findings = 0, 0, []
    i = 0
    while time.monotonic() - t0 < a.seconds:
        pseed = (seed * 1000003 + i) & 0xffffffff
        i += 1
        ops = gen_program(pseed, a.ops)
        print("program %d (seed %d):" % (programs, pseed))
        fnd, n = run_program(ops, "fuzz_system", out)
        total += n
        programs += 1
        if fnd is None:
            continue
        print("FINDING at step %d: %s" % (fnd.step, fnd))
        cut = ops[:fnd.step + 1] if fnd.step >= 0 else ops
        if cut[-1]["op"] != "teardown":
            cut = cut + [{"op": "teardown"}]
        small = cut if a.no_shrink else shrink(cut, fnd.kind, a.shrink_seconds, out)
        name = "%s-%d" % (fnd.kind, pseed)
        path = save_repro(name, pseed, fnd, small)
        print("reproducer (%d ops): %s" % (len(small), path))
        for j, op in enumerate(small):
            print("  [%d] %s" % (j, fmt_op(op)))
        findings.append((name, fnd.kind, fnd.msg.split("\n")[0]))
        if a.stop_on_finding:
            break
    dt = time.monotonic() - t0
    print("fuzz-system: seed %d: %d programs, %d operations in %.0f s, %d findings"
          % (seed, programs, total, dt, len(findings)))
    for name, kind, msg in findings:
        print("  %s: %s" % (name, msg))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
