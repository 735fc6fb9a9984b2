#!/usr/bin/python3
"""make linux-selftests: Linux 6.1's own livepatch selftests, unchanged,
against the test kernel.

1. Takes tools/testing/selftests/livepatch/ and lib/livepatch/ out of
   Debian's linux-source-6.1 tarball into build/linux-6.1/ (nothing of
   Linux's is in the repository).
2. Builds each lib/livepatch/test_klp_*.c unchanged with `make module`
   (VARIANT=test); a module that does not build yet is taken from
   tests/modules' port (build/test/testblobs) when there is one, and said so.
3. Boots a fresh test kernel (QEMU, COM2 on a socket) for each script (a
   script that stops half-way leaves modules loaded) and runs it with
   tools/linux-selftests/run.sh (bridge mount + shims in a private mount
   namespace), then prints Linux's own verdict for every test case ("not
   run" for those after the one where a script stopped: Linux's scripts
   stop at their first failure), the count passing and each failure's diff.

usage: selftests.py [TEST.sh ...]   (default: the six scripts of issue 14)
env: LINUX_SRC (the tarball), KELP_LINUX_MODULES (more dirs of .klp, first)
Exit status 0 only when every test case passed."""
import glob
import os
import re
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
import kelp  # noqa: E402

TARBALL = os.environ.get("LINUX_SRC", "/usr/src/linux-source-6.1.tar.xz")
TOP = "linux-source-6.1"
SRC = os.path.join(ROOT, "build", "linux-6.1")
SELFTESTS = os.path.join(SRC, "tools/testing/selftests/livepatch")
OUT = os.path.join(kelp.BUILD, "linux-selftests")
TESTS = ["test-livepatch.sh", "test-callbacks.sh", "test-shadow-vars.sh", "test-state.sh",
         "test-ftrace.sh", "test-sysfs.sh"]


def extract():
    if os.path.isdir(SELFTESTS) and os.path.isdir(os.path.join(SRC, "lib/livepatch")):
        return
    if not os.path.exists(TARBALL):
        sys.exit("linux-selftests: %s missing (apt-get install linux-source-6.1)" % TARBALL)
    os.makedirs(SRC, exist_ok=True)
    subprocess.run(["tar", "-xJf", TARBALL, "-C", SRC, "--strip-components=1",
                    TOP + "/tools/testing/selftests/livepatch", TOP + "/lib/livepatch"],
                   check=True)


def build_modules():
    """Builds Linux's test modules; returns (dir of the ones built, report lines)."""
    mods = os.path.join(OUT, "modules")
    shutil.rmtree(mods, ignore_errors=True)
    os.makedirs(mods)
    report = []
    for src in sorted(glob.glob(os.path.join(SRC, "lib/livepatch/test_klp_*.c"))):
        name = os.path.basename(src)[:-2]
        target = "patch" if "MODULE_INFO(livepatch" in open(src).read() else "module"
        r = subprocess.run(["make", "-s", "--no-print-directory", "VARIANT=test", target,
                            "P=" + src], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        blob = os.path.join(kelp.BUILD, "patches", name + ".klp")
        if r.returncode == 0 and os.path.exists(blob):
            shutil.copy(blob, mods)
            report.append("module %-28s built from Linux's source, unchanged" % name)
            continue
        err = next((ln for ln in r.stdout.splitlines() if "error" in ln), r.stdout.strip()[-200:])
        port = os.path.join(kelp.TESTBLOBS, name + ".klp")
        how = "using tests/modules' port" if os.path.exists(port) else "MISSING"
        report.append("module %-28s does not build unchanged (%s): %s" %
                      (name, how, err.replace(SRC + "/", "")))
    return mods, report


def drain(k, stop):
    """Reads the console so QEMU never blocks on a full pty."""
    while not stop.is_set():
        try:
            k.child.read_nonblocking(65536, timeout=0.5)
        except Exception:
            if not k.alive:
                return


def verdicts(script, output):
    """[(test name, verdict, detail)] of one script's run: Linux's "ok" or
    "not ok" (detail: its diff), "skip"/"error" with the script's reason,
    and "not run" for the cases after the one where the script stopped."""
    names = re.findall(r'start_test "([^"]*)"', open(os.path.join(SELFTESTS, script)).read())
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
                if nxt.startswith(("TEST:", "ERROR:")):
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


def run_script(script, env):
    """Boots a fresh test kernel, runs one script against it; returns its output."""
    with kelp.Kelp(name="linux-selftests-" + script[:-3]) as k:
        k.wait_prompt()
        stop = threading.Event()
        t = threading.Thread(target=drain, args=(k, stop), daemon=True)
        t.start()
        env = dict(env, KELP_SOCK=k.com2_path)
        r = subprocess.run([os.path.join(HERE, "run.sh"), SELFTESTS, script], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        stop.set()
        t.join()
        return r.stdout


def main():
    tests = sys.argv[1:] or TESTS
    extract()
    os.makedirs(OUT, exist_ok=True)
    mods, report = build_modules()
    for ln in report:
        print("linux-selftests: " + ln)
    dirs = [d for d in os.environ.get("KELP_LINUX_MODULES", "").split(":") if d]
    env = dict(os.environ, KLPCTL=kelp.KLPCTL,
               KELP_MODULES=":".join(dirs + [mods, kelp.TESTBLOBS]))
    results, log = [], ""
    for script in tests:
        output = run_script(script, env)
        log += output
        results += [(script,) + v for v in verdicts(script, output)]
    with open(os.path.join(OUT, "output.txt"), "w") as f:
        f.write(log)
    print("linux-selftests: the scripts' output is in %s" % os.path.join(OUT, "output.txt"))
    for script, name, verdict, detail in results:
        print("%-8s %s: %s%s" % (verdict, script, name,
                                 " (%s)" % detail if verdict == "not run" else ""))
    passed = sum(1 for x in results if x[2] == "ok")
    print("linux-selftests: %d of %d test cases passed" % (passed, len(results)))
    for script, name, verdict, detail in results:
        if verdict not in ("ok", "not run"):
            print("\n--- %s: %s (%s)\n%s" % (script, name, verdict,
                                            "\n".join(detail.split("\n")[:40])))
    sys.exit(0 if results and passed == len(results) else 1)


if __name__ == "__main__":
    main()
