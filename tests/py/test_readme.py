"""The README's command blocks, run as written (a doc test).

Every ```sh block of README.md is one test, in README order, in a
temporary copy of the tree (the files git knows, keys/ and the run kernel's
build/, timestamps kept, made a git repository so `git diff` and `git
checkout` work) with HOME set to a directory of its own, so nothing the
README does touches the real tree. Lines are:

  kelp# CMD      typed at the prompt of the booted kernel (with its comment
                 when the shell takes comments, else without); an error
                 line from the shell fails it
  make run [CMDLINE=... SMP=...]   (also after `&&`): boots build/kernel.elf
                 with that command line, COM2 on build/klp.sock, as `make
                 run` does; a kernel already booted with the same command
                 line is reused, so many blocks share one boot
  anything else  run by bash in the copy; it must exit 0

The comment of a line may state an outcome, which is checked:
  # "TEXT"         TEXT is in the output (for a host command, in its output
                   or on the guest's console within a few seconds)
  # refused: TEXT  the command fails, saying TEXT
  # -> PATH        PATH exists afterwards

A block that cannot run here carries `<!-- test_readme: skip: WHY -->` on
the line before its fence; SKIPPED below lists those, so the list stays
short and each entry is explained. Blocks without the `sh` tag (output,
tree pictures) are not commands and are not run.
"""
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time

import pytest

from kelp import Kelp, ROOT

README = os.path.join(ROOT, "README.md")
SKIP_MARK = re.compile(r"^<!-- test_readme: skip: (.+?) -->$")
# The first command of each block the README marks as not run, and why.
SKIPPED = {
    "make run": "make test is the suite this test is part of",
    "make bench": "builds and boots a third kernel for minutes; "
                  "tests/py/test_bench.py runs the benches",
    "make debug": "an interactive gdb session",
    "make bench-compare": "installs Debian's kernel and boots it and Kelp for minutes; "
                          "tests/py/test_bench_compare.py checks its parts",
}
LINE_TIMEOUT = 180
CONSOLE_WAIT = 10  # seconds a host command's quoted outcome may take to reach the console


def blocks():
    """[(line number of the first command, [(line number, text)], skip reason)]"""
    out, lines = [], open(README).read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            skip = None
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            m = SKIP_MARK.match(lines[j].strip()) if j >= 0 else None
            if m:
                skip = m.group(1)
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                if lines[i].strip():
                    body.append((i + 1, lines[i].rstrip()))
                i += 1
            if body:
                out.append((body[0][0], body, skip))
        i += 1
    return out


BLOCKS = blocks()


def split_comment(line):
    """(command, comment) at the first '#' outside quotes after a blank."""
    quote = None
    for k, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (k == 0 or line[k - 1] in " \t"):
            return line[:k].rstrip(), line[k + 1:].strip()
    return line.rstrip(), ""


def shell_error_lines():
    """The guest shell's error lines: "CMD: [PATH: ]strerror", usage, syntax."""
    msgs = re.findall(r'return "([^"]+)";', open(os.path.join(ROOT, "lib", "errno.c")).read())
    alt = "|".join(re.escape(m) for m in msgs if len(m) > 3)
    return re.compile(r"(?m)^(\S+: (.+: )?(%s)|\S+: command not found|shell: .*|\S+: usage: .*)$"
                      % alt)


class Session(object):
    """The temporary tree, its HOME, and the kernel `make run` booted."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="kelp-readme-")
        self.tree = os.path.join(self.tmp, "tree")
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(self.home)
        self.kelp = None
        self.cmdline = None
        self.comments = None
        self.errors = shell_error_lines()
        self.copy_tree()

    def copy_tree(self):
        files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                               check=True, capture_output=True).stdout.decode().split("\0")
        for f in files:
            src = os.path.join(ROOT, f)
            if not f or not os.path.isfile(src):
                continue
            dst = os.path.join(self.tree, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        if os.path.isdir(os.path.join(ROOT, "keys")):
            shutil.copytree(os.path.join(ROOT, "keys"), os.path.join(self.tree, "keys"))
        # The run kernel's build (what make run boots and make patch targets);
        # not the test or bench kernels, not cached ISOs or sockets.
        shutil.copytree(os.path.join(ROOT, "build"), os.path.join(self.tree, "build"),
                        symlinks=True,
                        ignore=lambda d, names: [n for n in names if os.path.abspath(d) ==
                                                 os.path.join(ROOT, "build") and n in
                                                 ("test", "bench", "isos", "test-logs",
                                                  "klp.sock", "patches", "run.iso")])
        # The flags file names the tree (-ffile-prefix-map=TREE=.); the
        # objects do not (reproducible build): say the copy's name, with the
        # old date, so make in the copy does not rebuild them all.
        flags = os.path.join(self.tree, "build", "kcflags")
        if os.path.exists(flags):
            st = os.stat(flags)
            text = open(flags).read().replace("-ffile-prefix-map=%s=" % ROOT,
                                              "-ffile-prefix-map=%s=" % self.tree)
            open(flags, "w").write(text)
            os.utime(flags, ns=(st.st_atime_ns, st.st_mtime_ns))
        git = ["git", "-c", "user.name=readme", "-c", "user.email=readme@kelp",
               "-c", "commit.gpgsign=false"]
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "README test tree"]):
            subprocess.run(git + args, cwd=self.tree, check=True, capture_output=True)

    def env(self):
        return dict(os.environ, HOME=self.home)

    def boot(self, cmdline="", smp="1"):
        if self.kelp and self.cmdline == (cmdline, smp) and self.kelp.alive:
            return
        self.shutdown_kernel()
        k = Kelp(cmdline, name="readme", qemu_args=["-smp", smp],
                 kernel=os.path.join(self.tree, "build", "kernel.elf"))
        k.boot()
        k.wait_prompt()
        sock = os.path.join(self.tree, "build", "klp.sock")
        if os.path.lexists(sock):
            os.unlink(sock)
        os.symlink(k.com2_path, sock)
        self.kelp, self.cmdline = k, (cmdline, smp)
        if self.comments is None:
            # Does the shell take `# comments`? Typed whole if so.
            self.comments = "usage" not in k.run("version # probe")

    def need_kernel(self):
        if not self.kelp or not self.kelp.alive:
            self.boot("")

    def shutdown_kernel(self):
        if self.kelp:
            self.kelp.close()
            self.kelp = None

    def close(self):
        self.shutdown_kernel()
        # a FUSE mount the README made and a failed block left behind
        with open("/proc/mounts") as f:
            mounts = [l.split()[1] for l in f if self.tmp in l]
        for m in mounts:
            subprocess.run(["fusermount", "-u", m], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def session():
    s = Session()
    yield s
    s.close()


def fail(lineno, line, why, output=""):
    pytest.fail("README.md:%d: %s\n  %s\n%s" % (lineno, why, line, output[-3000:]))


def expectations(comment):
    refused = re.match(r"refused: (.+)$", comment)
    quoted = re.findall(r'"([^"]+)"', comment)
    made = re.search(r"-> (\S+)", comment)
    return (refused.group(1).strip() if refused else None, quoted,
            made.group(1).rstrip(".,;:)") if made else None)


def run_guest(s, lineno, line):
    cmd, comment = split_comment(line[len("kelp#"):].strip())
    s.need_kernel()
    out = s.kelp.run(cmd if not s.comments or not comment else "%s  # %s" % (cmd, comment),
                     timeout=60)
    bad = s.errors.search(out)
    refused, quoted, _ = expectations(comment)
    if bad and not refused:
        fail(lineno, line, "the shell says: %s" % bad.group(0), out)
    for text in quoted:
        if text not in out:
            fail(lineno, line, "the README says the output shows %r" % text, out)


def run_host(s, lineno, line):
    cmd, comment = split_comment(line)
    refused, quoted, made = expectations(comment)
    output, status = "", 0
    mark = len(s.kelp.log) if s.kelp else 0
    for seg in [x.strip() for x in cmd.split("&&")]:
        words = shlex.split(seg)
        if words[:2] == ["make", "run"]:
            opts = dict(w.split("=", 1) for w in words[2:] if "=" in w)
            if set(opts) - {"CMDLINE", "SMP"} or len(opts) != len(words) - 2:
                fail(lineno, line, "this test runs make run with CMDLINE= and SMP= only")
            s.boot(opts.get("CMDLINE", ""), opts.get("SMP", "1"))
            mark = len(s.kelp.log)
            continue
        if "klpctl" in seg:
            s.need_kernel()
        try:
            r = subprocess.run(["bash", "-c", seg], cwd=s.tree, env=s.env(), capture_output=True,
                               text=True, timeout=LINE_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            fail(lineno, line, "still running after %d s (a command that runs until it is "
                 "interrupted needs a skip marker, or a form that ends)" % LINE_TIMEOUT,
                 (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes)
                 else (e.stdout or ""))
        output += r.stdout + r.stderr
        status = r.returncode
        if status:
            break
    if refused:
        if not status:
            fail(lineno, line, "the README says this is refused, but it succeeded", output)
        if refused not in output:
            fail(lineno, line, "the README says it is refused with %r" % refused, output)
    elif status:
        fail(lineno, line, "exit status %d" % status, output)
    for text in quoted:
        deadline = time.time() + CONSOLE_WAIT
        while text not in output:
            console = s.kelp.log[mark:] if s.kelp else ""
            if text in console:
                break
            if time.time() > deadline:
                fail(lineno, line, "the README says it shows %r" % text, output + console)
            if s.kelp:
                s.kelp.drain(0.2)
            else:
                time.sleep(0.2)
    if made:
        path = os.path.join(s.home, made[2:]) if made.startswith("~/") else \
            os.path.join(s.tree, made)
        if not os.path.exists(path):
            fail(lineno, line, "the README says it makes %s" % made, output)


def test_skips_are_listed_and_explained():
    marked = {b[1][0][1].split("#")[0].strip(): b[2] for b in BLOCKS if b[2]}
    assert marked == SKIPPED


@pytest.mark.parametrize("block", BLOCKS, ids=["L%d" % b[0] for b in BLOCKS])
def test_block(session, block):
    first, body, skip = block
    if skip:
        pytest.skip("README.md:%d: %s" % (first, skip))
    for lineno, line in body:
        if line.lstrip().startswith("kelp#"):
            run_guest(session, lineno, line.strip())
        else:
            run_host(session, lineno, line.strip())
