#!/usr/bin/python3
"""make linux-selftests: Linux 6.1's own livepatch selftests, unchanged,
against the test kernel.

1. `make VARIANT=test linux-modules` takes samples/livepatch, lib/livepatch
   and tools/testing/selftests/livepatch out of Debian's linux-source-6.1
   tarball into build/linux-source-6.1/ (nothing of Linux's is in the
   repository) and builds every sample and test_klp_*.c unchanged as a blob
   for the test kernel (build/test/linux-modules/). A module that does not
   build is reported; nothing stands in for it.
2. Boots a fresh test kernel (QEMU, COM2 on a socket) for each script (a
   script that stops half-way leaves modules loaded) and runs it with
   tools/linux-selftests/run.sh (bridge mount + shims in a private mount
   namespace), then prints Linux's own verdict for every test case ("not
   run" for those after the one where a script stopped: Linux's scripts
   stop at their first failure), the time each script took, the count
   passing and each failure's diff.

usage: selftests.py [TEST.sh ...]   (default: the six scripts of issue 14)
env: KELP_LINUX_MODULES (more dirs of .klp, searched first)
Exit status 0 only when every test case passed. tests/py/test_linux_selftests.py
runs the same steps from `make test`."""
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
import kelp  # noqa: E402

LINUX_DIR = os.path.join(ROOT, "build", "linux-source-6.1")  # the Makefile's LINUX_DIR
SELFTESTS = os.path.join(LINUX_DIR, "tools/testing/selftests/livepatch")
MODULES = os.path.join(kelp.BUILD, "linux-modules")  # the Makefile's LXB
OUT = os.path.join(kelp.BUILD, "linux-selftests")
TESTS = ["test-livepatch.sh", "test-callbacks.sh", "test-shadow-vars.sh", "test-state.sh",
         "test-ftrace.sh", "test-sysfs.sh"]
SCRIPT_TIMEOUT = int(os.environ.get("KELP_TEST_TIMEOUT", "900"))


def build_modules():
    """Extracts Linux's sources and builds its modules (make -k: every one
    that builds is there); returns (make's status, its output)."""
    r = subprocess.run(["make", "-k", "--no-print-directory", "-C", ROOT, "VARIANT=test",
                        "linux-modules"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return r.returncode, r.stdout


def modules_env():
    """The environment run.sh and the shims need, but KELP_SOCK."""
    dirs = [d for d in os.environ.get("KELP_LINUX_MODULES", "").split(":") if d]
    return dict(os.environ, KLPCTL=kelp.KLPCTL, KELP_MODULES=":".join(dirs + [MODULES]))


def drain(k, stop):
    """Reads the console so QEMU never blocks on a full pty."""
    while not stop.is_set():
        try:
            k.child.read_nonblocking(65536, timeout=0.5)
        except Exception:
            if not k.alive:
                return


def case_names(script):
    """The test cases of one script, in order, as its start_test calls name them."""
    with open(os.path.join(SELFTESTS, script)) as f:
        return re.findall(r'start_test "([^"]*)"', f.read())


def verdicts(script, output):
    """[(test name, verdict, detail)] of one script's run: Linux's "ok" or
    "not ok" (detail: its diff), "skip"/"error" with the script's reason,
    and "not run" for the cases after the one where the script stopped."""
    names = case_names(script)
    out, lines = [], output.split("\n")
    for i, ln in enumerate(lines):
        m = re.match(r"TEST: (.*?) \.\.\. ?(.*)$", ln)
        if not m:
            continue
        rest = m.group(2).strip()
        if rest == "ok":
            out.append((m.group(1), "ok", ""))
        elif rest == "not ok":
            diff = []
            for nxt in lines[i + 1:]:
                if nxt.startswith(("TEST:", "ERROR:", "# ")):
                    break
                diff.append(nxt)
            out.append((m.group(1), "not ok", "\n".join(diff).strip("\n")))
        else:
            if not rest:
                rest = next((x for x in lines[i + 1:] if x.strip()), "(no verdict)")
            out.append((m.group(1), "skip" if rest.startswith("SKIP") else "error", rest))
    # a script that stops before its first case (setup_config's SKIP) or
    # after a failure says why on a line of its own
    why = next((ln for ln in lines if ln.startswith(("SKIP:", "ERROR:"))), "")
    for name in names[len(out):]:
        out.append((name, "not run", why or "the script stopped before it"))
    return out


def run_script(script, env=None):
    """Boots a fresh test kernel, runs one script against it; returns
    (its output, run.sh's status, seconds the script took)."""
    env = env or modules_env()
    with kelp.Kelp(name="linux-selftests-" + script[:-3]) as k:
        k.wait_prompt()
        stop = threading.Event()
        t = threading.Thread(target=drain, args=(k, stop), daemon=True)
        t.start()
        env = dict(env, KELP_SOCK=k.com2_path, KELP_TEST_TIMEOUT=str(SCRIPT_TIMEOUT))
        t0 = time.monotonic()
        try:
            r = subprocess.run([os.path.join(HERE, "run.sh"), SELFTESTS, script], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=SCRIPT_TIMEOUT + 60)
        finally:
            stop.set()
            t.join()
        return r.stdout, r.returncode, time.monotonic() - t0


def main():
    tests = sys.argv[1:] or TESTS
    rc, out = build_modules()
    if rc != 0:
        # the scripts still run: a missing module fails the cases that need it
        print("linux-selftests: some of Linux's modules do not build unchanged:")
        print("\n".join(ln for ln in out.splitlines() if "rror" in ln) or out[-2000:])
    if not os.path.isdir(SELFTESTS):
        sys.exit("linux-selftests: %s missing (make linux-modules extracts it)" % SELFTESTS)
    os.makedirs(OUT, exist_ok=True)
    env = modules_env()
    results, log, times = [], "", []
    for script in tests:
        output, _, secs = run_script(script, env)
        log += output
        times.append((script, secs))
        results += [(script,) + v for v in verdicts(script, output)]
    with open(os.path.join(OUT, "output.txt"), "w") as f:
        f.write(log)
    print("linux-selftests: the scripts' output is in %s" % os.path.join(OUT, "output.txt"))
    for script, name, verdict, detail in results:
        print("%-8s %s: %s%s" % (verdict, script, name,
                                 " (%s)" % detail if verdict == "not run" else ""))
    for script, secs in times:
        n = [v for s, _, v, _ in results if s == script]
        print("linux-selftests: %-20s %2d of %2d ok in %5.1f s" %
              (script, n.count("ok"), len(n), secs))
    passed = sum(1 for x in results if x[2] == "ok")
    print("linux-selftests: %d of %d test cases passed" % (passed, len(results)))
    for script, name, verdict, detail in results:
        if verdict not in ("ok", "not run"):
            print("\n--- %s: %s (%s)\n%s" % (script, name, verdict,
                                            "\n".join(detail.split("\n")[:40])))
    sys.exit(0 if results and passed == len(results) else 1)


if __name__ == "__main__":
    main()
