"""End to end over the real patch channel: blobs sent with build/klpctl
through QEMU's COM2 socket to a running kernel (drivers/patchchan/channel.c).
Blobs: build/test/testblobs/ (make VARIANT=test testblobs), signed for the test kernel."""
import os
import re

import pytest

from kelp import BUILD, Kelp, blob_file


blob = blob_file


@pytest.fixture(scope="module")
def kelp_chan():
    k = Kelp("", name="blobs")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def heap_in_use(k):
    out = k.run("cat /proc/meminfo")
    m = re.search(r"(?im)^\s*(?:heap|kmalloc)[^\n]*?bytes[^\n]*?:\s*(\d+)", out)
    return int(m.group(1)) if m else None


def listed(out, name):
    return re.search(r"(?m)^%s\s+\d+\s+\d+\s+\w+" % name, out) is not None


def test_hello_module_load_lsmod_dmesg_unload(kelp_chan):
    k = kelp_chan
    r = k.klpctl("load", blob("hello_module"), "whom=serial", "times=2", "shout=1")
    assert r.returncode == 0, r.stderr
    assert "loaded hello_module" in r.stdout
    k.expect_exact("hello_module: Hello, serial!")
    out = k.run("lsmod")
    assert re.search(r"hello_module\s+\d+\s+0\s+live", out), out
    assert "live" in k.run("cat /sys/module/hello_module/initstate")
    # module_param files with a nonzero perm, as in Linux
    prm = "/sys/module/hello_module/parameters"
    assert k.run("cat %s/whom" % prm) == "serial"
    assert k.run("cat %s/times" % prm) == "2"
    assert k.run("cat %s/shout" % prm) == "Y"
    k.run("echo 5 > %s/times" % prm)
    assert k.run("cat %s/times" % prm) == "5"
    assert sorted(k.run("ls %s" % prm).split()) == ["shout", "times", "whom"]
    k.run("echo other > %s/whom" % prm)  # charp: read-only here
    assert k.run("cat %s/whom" % prm) == "serial"
    lst = k.klpctl("list")
    assert lst.returncode == 0 and "hello_module" in lst.stdout
    dm = k.klpctl("dmesg")
    assert dm.returncode == 0
    assert dm.stdout.count("hello_module: Hello, serial!") == 2
    r = k.klpctl("unload", "hello_module")
    assert r.returncode == 0, r.stderr
    k.expect_exact("hello_module: Goodbye, serial.")
    assert not listed(k.run("lsmod"), "hello_module")
    assert not listed(k.klpctl("list").stdout, "hello_module")


def test_unknown_param_warned_and_ignored(kelp_chan):
    """As in Linux: the load goes on without it, with a warning."""
    k = kelp_chan
    r = k.klpctl("load", blob("hello_module"), "nosuch=1", "whom=param")
    try:
        assert r.returncode == 0, r.stderr
        k.expect_exact("hello_module: unknown parameter 'nosuch' ignored")
        k.expect_exact("hello_module: Hello, param.")
    finally:
        k.klpctl("unload", "hello_module")
    assert not listed(k.run("lsmod"), "hello_module")


def test_bad_params_rejected(kelp_chan):
    k = kelp_chan
    r = k.klpctl("load", blob("hello_module"), "times=lots")
    assert r.returncode == 1
    assert "bad value 'lots' for parameter 'times' (int)" in r.stderr
    r = k.klpctl("load", blob("hello_module"), "times=11")
    assert r.returncode == 1 and "init failed" in r.stderr
    assert not listed(k.run("lsmod"), "hello_module")


def test_rmmod_from_the_shell(kelp_chan):
    k = kelp_chan
    assert k.klpctl("load", blob("ktest_mod")).returncode == 0
    r = k.klpctl("load", blob("ktest_mod"))
    assert r.returncode == 1 and "already loaded" in r.stderr
    k.run("rmmod ktest_mod")
    assert not listed(k.run("lsmod"), "ktest_mod")
    out = k.run("rmmod ktest_mod")
    assert "not loaded" in out
    r = k.klpctl("unload", "ktest_mod")
    assert r.returncode == 1 and "ktest_mod is not loaded" in r.stderr


def _mutated(tmp_path, name, fn):
    data = bytearray(open(blob(name), "rb").read())
    data = fn(data)
    p = tmp_path / ("%s.klp" % name)
    p.write_bytes(bytes(data))
    return str(p)


BAD = [
    ("truncated", lambda t: _mutated(t, "ktest_mod", lambda d: d[:len(d) // 2]), "no signature"),
    ("bit-flip", lambda t: _mutated(t, "ktest_mod", lambda d: d[:300] + bytes([d[300] ^ 4]) + d[301:]),
     "signature does not verify"),
    ("bad-signature", lambda t: _mutated(t, "ktest_mod", lambda d: d[:-60] + bytes([d[-60] ^ 1]) + d[-59:]),
     "signature does not verify"),
    ("no-signature", lambda t: _mutated(t, "ktest_mod", lambda d: d[:-96]), "no signature"),
    ("other-key", lambda t: blob("ktest_mod_otherkey"), "unknown key"),
    ("other-build-id", lambda t: os.path.join(BUILD, "ktest", "ktest_mod.klp"), "build ID mismatch"),
    ("section-oob", lambda t: blob("ktest_oob"), "out of bounds"),
    ("unknown-symbol", lambda t: blob("ktest_unknown"), "unknown symbol kelp_no_such_function"),
    ("ambiguous-symbol", lambda t: blob("ktest_ambig"), "ambiguous symbol"),
    ("unsupported-reloc", lambda t: blob("ktest_reloc"), "relocation"),
    ("reloc-overflow", lambda t: blob("ktest_far"), "relocation overflow"),
    ("oversized", lambda t: _mutated(t, "ktest_mod", lambda d: d + bytes(1100 * 1024)), "blob too big"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_blob_rejected_kernel_keeps_serving(kelp_chan, tmp_path, case):
    k = kelp_chan
    what, make, msg = case
    path = make(tmp_path)
    r = k.klpctl("load", path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert msg in r.stderr, r.stderr
    assert "klpctl" in r.stderr
    assert not re.search(r"ktest_\w+\s+\d+\s+\d+\s+\w+", k.klpctl("list").stdout)
    # still serving: a good module loads and unloads
    assert k.klpctl("load", blob("ktest_mod"), "count=1").returncode == 0
    assert k.klpctl("unload", "ktest_mod").returncode == 0


def test_unknown_command_and_missing_livepatch(kelp_chan):
    k = kelp_chan
    r = k.klpctl("enable", "nosuchpatch")
    assert r.returncode == 1 and "no livepatch nosuchpatch" in r.stderr
    r = k.klpctl("wait", "nosuchpatch")
    assert r.returncode == 1 and "no livepatch nosuchpatch" in r.stderr


def test_first_transfer_timed_from_its_first_byte():
    """The channel's "received NAME: N bytes in M ms of guest time" counts
    from the transfer's first byte also when it starts within a second of
    boot (regression: the first burst was timed from boot). The first byte
    arrives after the last boot message, so the start (the line's
    timestamp minus M) cannot be before it."""
    # the line is a debug site (Linux's default log has no such line):
    # switched on from boot, read back with dmesg
    with Kelp("patchchan.dyndbg=+p", name="blobs_first_burst") as k:
        k.wait_prompt()
        boot = [float(t) for t in re.findall(r"\[\s*(\d+\.\d+)\]", k.log)]
        assert boot, k.log
        r = k.klpctl("load", blob("hello_module"))
        assert r.returncode == 0, r.stderr
        m = re.search(r"\[\s*(\d+\.\d+)\] patchchan: received hello_module: \d+ bytes in (\d+) ms",
                      k.run("dmesg"))
        assert m
        ts, ms = float(m.group(1)), int(m.group(2))
        assert ts - ms / 1000.0 >= boot[-1] - 0.002, (ts, ms, boot[-1])
