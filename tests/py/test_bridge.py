"""The host bridge (`klpctl mount`, tools/klpfs.py over the fs.*/kmsg.* COM2
verbs): the guest's /proc and /sys read and written from the host through a
real FUSE mount, the guest's log appended to through DIR/dev/kmsg, the
guest's own errors for bad paths, and a clean unmount."""
import errno
import os
import subprocess
import tempfile
import time

import pytest

from kelp import KLPCTL, ROOT, Kelp, blob_file

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/fuse") or os.geteuid() != 0,
                                reason="needs /dev/fuse and root (FUSE mounts)")


@pytest.fixture(scope="module")
def bridge():
    with Kelp(name="bridge") as k:
        k.wait_prompt()
        d = tempfile.mkdtemp(prefix="klpfs-")
        r = subprocess.run([KLPCTL, "-s", k.com2_path, "mount", d], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
        assert r.returncode == 0, r.stdout
        assert os.path.ismount(d)
        try:
            yield k, d
        finally:
            if os.path.ismount(d):
                subprocess.run(["umount", "-l", d])
            os.rmdir(d)


def read(path):
    with open(path) as f:
        return f.read()


def test_reads_proc_and_lists_dirs(bridge):
    k, d = bridge
    assert read(os.path.join(d, "proc/version")) == k.run("cat /proc/version").strip() + "\n"
    assert {"proc", "sys", "dev"} <= set(os.listdir(d))
    assert {"livepatch", "tracing"} <= set(os.listdir(os.path.join(d, "sys/kernel")))
    st = os.stat(os.path.join(d, "proc/version"))
    assert oct(st.st_mode & 0o777) == "0o444"
    assert os.path.isdir(os.path.join(d, "sys/kernel/livepatch"))
    # a file longer than one RESULT comes in chunks, whole
    funcs = read(os.path.join(d, "sys/kernel/tracing/available_filter_functions"))
    assert len(funcs) > 8192 and funcs.endswith("\n")
    assert "cmdline_proc_show" in funcs.split()


def test_directory_modes_are_linuxs(bridge):
    """sysfs directories are drwxr-xr-x, /sys itself and procfs's dr-xr-xr-x
    (Linux's test-sysfs.sh checks a patch's directory)."""
    k, d = bridge
    mode = lambda p: oct(os.stat(os.path.join(d, p)).st_mode & 0o777)
    assert mode("sys") == "0o555"
    assert mode("proc") == "0o555"
    assert mode("sys/kernel") == "0o755"
    assert mode("sys/kernel/livepatch") == "0o755"
    assert mode("sys/kernel/tracing") == "0o755"


def test_livepatch_sysfs_follows_the_guest(bridge):
    k, d = bridge
    lp = os.path.join(d, "sys/kernel/livepatch/livepatch_sample")
    assert not os.path.exists(lp)
    k.klpctl("load", blob_file("livepatch-sample"), check=True)
    k.klpctl("wait", "livepatch_sample", check=True)
    assert read(os.path.join(lp, "enabled")) == "1\n"
    assert read(os.path.join(lp, "transition")) == "0\n"
    assert oct(os.stat(lp).st_mode & 0o777) == "0o755"
    # a write from the host disables the patch in the guest
    with open(os.path.join(lp, "enabled"), "w") as f:
        f.write("0\n")
    for _ in range(100):
        if not os.path.exists(lp):
            break
        time.sleep(0.1)
    assert not os.path.exists(lp)
    k.klpctl("unload", "livepatch_sample", check=True)


def test_write_reaches_the_guest(bridge):
    k, d = bridge
    with open(os.path.join(d, "sys/kernel/kelp/test_int"), "w") as f:
        f.write("1234\n")
    assert k.run("cat /sys/kernel/kelp/test_int").strip() == "1234"
    assert read(os.path.join(d, "sys/kernel/kelp/test_int")) == "1234\n"


def test_kmsg_append_appears_in_dmesg(bridge):
    k, d = bridge
    marker = "bridge-note-%d" % os.getpid()
    with open(os.path.join(d, "dev/kmsg"), "w") as f:
        f.write(marker + "\n")
    assert marker in k.run("dmesg")
    assert marker in read(os.path.join(d, "dev/kmsg"))


def test_errors_are_the_guests(bridge):
    k, d = bridge
    with pytest.raises(FileNotFoundError):
        read(os.path.join(d, "proc/nonexistent"))
    with pytest.raises(FileNotFoundError):
        os.stat(os.path.join(d, "sys/kernel/livepatch/nope/enabled"))
    with pytest.raises(IsADirectoryError):
        read(os.path.join(d, "proc"))
    with pytest.raises(NotADirectoryError):
        os.listdir(os.path.join(d, "proc/version"))
    with pytest.raises(PermissionError):
        with open(os.path.join(d, "proc/version"), "w") as f:
            f.write("x")
    with pytest.raises(OSError) as e:
        with open(os.path.join(d, "sys/kernel/kelp/test_int"), "w") as f:
            f.write("not a number\n")
    assert e.value.errno == errno.EINVAL
    with pytest.raises(PermissionError):
        open(os.path.join(d, "sys/kernel/newfile"), "w")
    # the guest is fine afterwards
    assert "Kelp" in read(os.path.join(d, "proc/version"))


def test_unmount_is_clean(bridge):
    k, d = bridge
    r = subprocess.run(["umount", d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 0, r.stdout
    assert not os.path.ismount(d)
    assert os.listdir(d) == []
    # the daemon has gone: the socket serves klpctl alone again
    for _ in range(50):
        if "klpfs.py" not in subprocess.run(["ps", "-eo", "args"], stdout=subprocess.PIPE,
                                            universal_newlines=True).stdout:
            break
        time.sleep(0.1)
    assert k.klpctl("list").returncode == 0


def test_verbs_on_the_wire():
    """The fs.*/kmsg.* verbs themselves: chunked listing and log reads, and
    a clear error for each malformed request, with the channel still
    serving afterwards."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from klpwire import Wire, WireError
    with Kelp(name="bridge-verbs") as k:
        k.wait_prompt()
        w = Wire(k.com2_path)
        # a directory longer than one answer: fs.ls hands out an index to go on from
        funcs = w.read("/sys/kernel/tracing/available_filter_functions")
        assert len(funcs) > 3 * 4090
        first = w.cmd("fs.ls 0 /proc").split("\n")
        assert first[0] == "end" and "f 0444 version" in first
        # the log from a sequence number: the next number, then the records
        head, _, chunk = w.cmd("kmsg.read 0").partition("\n")
        assert int(head) > 0 and chunk.startswith("[")
        w.kmsg("<3>wire-marker one\nwire-marker two")
        text, nxt = w.dmesg(int(head) - 1)
        assert text.count("wire-marker") == 2 and nxt >= int(head) + 2
        out = k.run("dmesg")
        assert "wire-marker one" in out and "wire-marker two" in out
        bad = {
            "fs.read": errno.EINVAL,
            "fs.read x /proc/version": errno.EINVAL,
            "fs.read 0": errno.EINVAL,
            "fs.ls /proc": errno.EINVAL,
            "fs.stat": errno.EINVAL,
            "fs.write /sys/kernel/kelp/test_int": errno.EINVAL,
            "fs.write %s 1" % ("/x" * 200): errno.ENAMETOOLONG,
            # the file's own error comes back as it is
            "fs.write /sys/kernel/kelp/test_int " + "1" * 3800: errno.ERANGE,  # a signed CMD keeps 3923 bytes
            # longer than one CMD: refused before anything is sent
            "fs.write /sys/kernel/kelp/test_int " + "1" * 5000: errno.EFBIG,
            "kmsg.read -1": errno.EINVAL,
            "fs.ls 0 /proc/version": errno.ENOTDIR,
            "fs.stat /proc/nope": errno.ENOENT,
            "fs.read 0 /sys/kernel/livepatch": errno.EISDIR,
            "fs.write /proc/version x": errno.EACCES,
        }
        for req, err in bad.items():
            with pytest.raises(WireError) as e:
                w.cmd(req)
            assert e.value.errno == err, (req, e.value)
        assert w.read("/proc/version").startswith("Kelp")
        assert w.read("/sys/kernel/kelp/test_int") == "0\n"


def test_selftest_namespace_and_shims(tmp_path):
    """tools/linux-selftests/run.sh: inside its mount namespace /sys,
    /proc/version and /dev/kmsg are the guest's and the shims drive Kelp;
    outside, the host's are untouched."""
    from kelp import TESTBLOBS
    blob_file("test_klp_livepatch")
    script = tmp_path / "test-probe.sh"
    script.write_text("""
set -e
grep -q Kelp /proc/version
modprobe --dry-run test_klp_livepatch
modinfo test_klp_livepatch | grep -q '^livepatch: *Y'
modprobe test_klp_livepatch
until grep -q '^0$' /sys/kernel/livepatch/test_klp_livepatch/transition; do sleep 0.1; done
[ "$(stat -c %A /sys/kernel/livepatch/test_klp_livepatch)" = drwxr-xr-x ]
grep -q 'this has been live patched' /proc/cmdline
echo "probe-marker" > /dev/kmsg
dmesg | grep -q '\\] probe-marker$'
echo 0 > /sys/kernel/livepatch/test_klp_livepatch/enabled
while [ -e /sys/kernel/livepatch/test_klp_livepatch ]; do sleep 0.1; done
rmmod test_klp_livepatch
[ ! -e /sys/module/test_klp_livepatch ]
! rmmod test_klp_livepatch 2>/dev/null
sysctl kernel.no_such_knob 2>&1 | grep -q 'cannot stat /proc/sys/kernel/no_such_knob'
echo probe-done
""")
    host_version = read("/proc/version")
    with Kelp(name="bridge-ns") as k:
        k.wait_prompt()
        env = dict(os.environ, KELP_SOCK=k.com2_path, KLPCTL=KLPCTL, KELP_MODULES=TESTBLOBS)
        r = subprocess.run([os.path.join(ROOT, "tools/linux-selftests/run.sh"), str(tmp_path),
                            "test-probe.sh"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
        assert r.returncode == 0 and "probe-done" in r.stdout, r.stdout
        assert "probe-marker" in k.run("dmesg")
        assert "test_klp_livepatch" not in k.run("lsmod")
    assert read("/proc/version") == host_version
    assert not os.path.exists("/sys/kernel/livepatch/test_klp_livepatch")
    assert not any("klpfs" in ln for ln in read("/proc/self/mounts").split("\n"))
