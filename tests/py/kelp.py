"""Drives a Kelp kernel in QEMU over its serial console, for the pytest suite.

    k = Kelp("kelp.test=hello", name="test_cmdline")
    k.boot(); k.wait_prompt()
    assert "hello" in k.run("cat /proc/cmdline")
    k.run("poweroff", wait=False); status = k.wait_exit()

Every wait has a timeout. Unless a test says it expects one, a "Kernel panic"
on the console fails the wait at once (with the console log) instead of letting
it run into its timeout. Console output is saved to build/test-logs/NAME.log.
"""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The test kernel (make VARIANT=test: self-tests, benches, stress code);
# build/kernel.elf is the run kernel, which carries none of them.
BUILD = os.environ.get("KELP_BUILD") or os.path.join(ROOT, "build", "test")
KERNEL = os.path.join(BUILD, "kernel.elf")
KERNEL_SYM = os.path.join(BUILD, "kernel.sym")
KLPCTL = os.path.join(BUILD, "klpctl")
ISO_DIR = os.path.join(BUILD, "isos")
LOG_DIR = os.path.join(BUILD, "test-logs")
TESTBLOBS = os.path.join(BUILD, "testblobs")
MKISO = os.path.join(ROOT, "tools", "mkiso.sh")
QEMU = os.environ.get("KELP_QEMU", "qemu-system-x86_64")

PROMPT = "kelp# "
PANIC = "Kernel panic - not syncing"
BANNER = "Kelp 0.1"

# isa-debug-exit turns a guest write of V into exit status (V << 1) | 1.
EXIT_PASS, EXIT_FAIL = 33, 35

QEMU_ARGS = ["-machine", "pc", "-m", "256M", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
             "-display", "none", "-monitor", "none",
             # COM1 on stdio, as `-serial stdio` but with signal=off so that a
             # test typing Ctrl-C reaches the kernel instead of killing QEMU.
             "-chardev", "stdio,id=com1,signal=off", "-serial", "chardev:com1"]

BOOT_TIMEOUT = float(os.environ.get("KELP_BOOT_TIMEOUT", "60"))


class KelpError(AssertionError):
    """A wait failed; the message carries the tail of the console log."""


class KelpPanic(KelpError):
    pass


def _kernel_digest(kernel):
    h = hashlib.sha256()
    with open(kernel, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_iso(cmdline, kernel=KERNEL):
    """Returns an ISO booting `kernel` with `cmdline`, built once per distinct
    (cmdline, kernel contents, mkiso.sh) and cached under build/isos/."""
    if not os.path.exists(kernel):
        raise KelpError("%s is missing: run `make` first" % kernel)
    h = hashlib.sha256()
    h.update(cmdline.encode())
    h.update(b"\0" + _kernel_digest(kernel).encode())
    with open(MKISO, "rb") as f:
        h.update(f.read())
    os.makedirs(ISO_DIR, exist_ok=True)
    iso = os.path.join(ISO_DIR, h.hexdigest()[:20] + ".iso")
    if not os.path.exists(iso):
        tmp = "%s.%d.tmp" % (iso, os.getpid())
        r = subprocess.run([MKISO, kernel, cmdline, tmp], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise KelpError("mkiso.sh failed:\n" + r.stdout.decode(errors="replace"))
        os.replace(tmp, iso)
    return iso


def blob_file(name):
    """Path of build/test/testblobs/NAME.klp (signed for the test kernel);
    skips the calling test when it has not been built."""
    import pytest
    path = os.path.join(TESTBLOBS, name + ".klp")
    if not os.path.exists(path):
        pytest.skip("%s missing: run `make VARIANT=test testblobs`" % path)
    return path


def klp_ok(k, *args):
    """build/klpctl ARGS against Kelp k, which must succeed; its stdout."""
    r = k.klpctl(*args)
    assert r.returncode == 0, "klpctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr)
    return r.stdout


def unload_builtin(k, name):
    """`klp unload NAME` of a built-in module on Kelp k: silent at the
    default log level, as Linux's rmmod is (the loader's "unloaded" line is
    a debug site), and NAME leaves lsmod. True when both hold."""
    out = k.run("klp unload %s" % name)
    names = [l.split()[0] for l in k.run("lsmod").splitlines()[1:] if l.split()]
    return out == "" and name not in names


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name).strip("_") or "kelp"


def kernel_symbols(path=KERNEL_SYM):
    """Names defined in build/kernel.sym (`nm -n` output)."""
    names = set()
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                names.add(parts[2])
    return names


class Kelp(object):
    def __init__(self, cmdline="", qemu_args=(), name="kelp", expect_panic=False,
                 icount=False, com2=True, kernel=KERNEL):
        self.cmdline = cmdline
        self.name = safe_name(name)
        self.expect_panic = expect_panic
        self.kernel = kernel
        self.extra_args = list(qemu_args)
        if icount:
            self.extra_args += ["-icount", "shift=0,sleep=off"]
        self.com2 = com2
        self.tmpdir = None
        self.com2_path = None  # unix socket of COM2, for tools that talk to it
        self.child = None
        self.exitstatus = None
        self._log = []  # everything QEMU printed, decoded
        self._log_saved_upto = 0

    # -- the patch channel (COM2) -------------------------------------------

    def klpctl(self, *args, timeout=60, check=False):
        """Runs build/klpctl against this kernel's COM2 socket; returns the
        CompletedProcess (stdout and stderr as text)."""
        assert self.com2_path, "booted without com2"
        r = subprocess.run([KLPCTL, "-s", self.com2_path, "-q"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
        if check and r.returncode:
            raise KelpError("klpctl %s: exit %d: %s%s" % (" ".join(args), r.returncode,
                                                          r.stdout, r.stderr))
        return r

    # -- lifetime ----------------------------------------------------------

    def boot(self):
        iso = build_iso(self.cmdline, self.kernel)
        args = QEMU_ARGS + ["-cdrom", iso]
        if self.com2:
            # A short path: unix socket names are limited to ~107 bytes.
            self.tmpdir = tempfile.mkdtemp(prefix="kelp-")
            self.com2_path = os.path.join(self.tmpdir, "com2")
            args += ["-serial", "unix:%s,server=on,wait=off" % self.com2_path]
        args += self.extra_args
        self.argv = [QEMU] + args
        self.child = pexpect.spawn(QEMU, args, encoding="utf-8", codec_errors="replace",
                                   timeout=BOOT_TIMEOUT, echo=False, dimensions=(50, 200))
        self.child.logfile_read = _LogSink(self._log)
        return self

    def close(self):
        if self.child is not None and self.child.isalive():
            self.child.terminate(force=True)
        if self.child is not None:
            try:
                self.child.close(force=True)
            except Exception:
                pass
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        self.save_log()

    def __enter__(self):
        return self.boot() if self.child is None else self

    def __exit__(self, *exc):
        self.close()

    @property
    def alive(self):
        return self.child is not None and self.child.isalive()

    # -- the console log ---------------------------------------------------

    @property
    def log(self):
        return "".join(self._log).replace("\r", "")

    def log_tail(self, n=40):
        return "\n".join(self.log.rstrip("\n").split("\n")[-n:])

    def save_log(self, name=None, since=0):
        """Writes the console output (from character `since`) to build/test-logs/."""
        os.makedirs(LOG_DIR, exist_ok=True)
        path = os.path.join(LOG_DIR, safe_name(name or self.name) + ".log")
        with open(path, "w") as f:
            f.write("# qemu: %s\n# cmdline: %s\n" % (" ".join(getattr(self, "argv", [])),
                                                     self.cmdline))
            f.write(self.log[since:])
        return path

    def _fail(self, cls, what):
        raise cls("%s\n--- console (last lines) ---\n%s\n--- end console ---"
                  % (what, self.log_tail()))

    # -- waiting -----------------------------------------------------------

    def expect(self, pattern, timeout=10, allow_panic=None):
        """Waits for `pattern` (regex or list of them, as pexpect takes them);
        returns the index matched. Fails on timeout, on QEMU exiting and, unless
        panics are allowed, on a kernel panic."""
        if allow_panic is None:
            allow_panic = self.expect_panic
        pats = list(pattern) if isinstance(pattern, (list, tuple)) else [pattern]
        n = len(pats)
        extra = [pexpect.EOF, pexpect.TIMEOUT]
        if not allow_panic:
            extra.append(re.escape(PANIC))
        try:
            i = self.child.expect(pats + extra, timeout=timeout)
        except pexpect.ExceptionPexpect as e:  # e.g. the pty went away
            self._fail(KelpError, "pexpect error waiting for %r: %s" % (pats, e))
        if i < n:
            return i
        if i == n:
            self._reap()
            self._fail(KelpError, "QEMU exited (status %s) while waiting for %r"
                       % (self.exitstatus, pats))
        if i == n + 1:
            self._fail(KelpError, "timed out after %ss waiting for %r" % (timeout, pats))
        # A panic: let the backtrace finish printing so the log shows it.
        try:
            self.child.expect([r"---\[ end Kernel panic[^\n]*\n", pexpect.EOF], timeout=3)
        except pexpect.ExceptionPexpect:
            pass
        self._fail(KelpPanic, "unexpected kernel panic while waiting for %r" % (pats,))

    def expect_exact(self, text, timeout=10, allow_panic=None):
        return self.expect(re.escape(text), timeout, allow_panic)

    def wait_prompt(self, timeout=BOOT_TIMEOUT):
        self.expect_exact(PROMPT, timeout=timeout)

    def send(self, text):
        self.child.send(text)

    def run(self, cmd, timeout=10, wait=True):
        """Types `cmd` at the prompt; returns what it printed before the next
        prompt (without the echoed command line, \\r removed). With wait=False
        it returns None right after sending (for commands that end QEMU)."""
        self.drain()
        self.child.send(cmd + "\r")
        if not wait:
            return None
        self.expect(r"\n" + re.escape(PROMPT), timeout=timeout)
        out = self.child.before.replace("\r", "")
        lines = out.split("\n")
        # The shell echoes what it read; what it shows of control characters
        # may differ, so drop the first line when it is the echo (or empty).
        if lines and (lines[0].strip() == "" or lines[0].rstrip().endswith(cmd.strip())):
            lines = lines[1:]
        return "\n".join(lines).rstrip("\n")

    def drain(self, quiet=0.0):
        """Discards output already received (and whatever arrives until the
        console has been `quiet` seconds), so a stale prompt can't be taken
        for the answer to the next command."""
        while True:
            try:
                self.child.read_nonblocking(65536, timeout=quiet)
            except pexpect.TIMEOUT:
                return
            except pexpect.EOF:
                return

    def sync(self, timeout=5):
        """Brings the console to a fresh prompt whatever state a previous
        test left it in: an empty line, its prompt, then silence."""
        self.drain()
        self.child.send("\r")
        self.expect(r"\n" + re.escape(PROMPT), timeout=timeout)
        self.drain(quiet=0.1)

    def _reap(self):
        if self.exitstatus is None and self.child is not None:
            try:
                self.child.expect(pexpect.EOF, timeout=5)
            except pexpect.ExceptionPexpect:
                pass
            self.child.close(force=True)
            self.exitstatus = self.child.exitstatus
            if self.exitstatus is None and self.child.signalstatus is not None:
                self.exitstatus = -self.child.signalstatus
        return self.exitstatus

    def wait_exit(self, timeout=30):
        """Waits for QEMU to exit; returns its exit status (33/35 from
        isa-debug-exit, -N when killed by signal N). Panics are not an error
        here: the caller checks the status and the log."""
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self._fail(KelpError, "QEMU still running after %ss" % timeout)
        return self._reap()


class _LogSink(object):
    """pexpect logfile_read target that keeps the text in memory."""

    def __init__(self, buf):
        self.buf = buf

    def write(self, s):
        self.buf.append(s)

    def flush(self):
        pass
