"""The channel's threat model (docs/SECURITY.md) through the real path: a
peer on COM2 without the signing key can read (list, dmesg, wait, status,
fs.read/stat/ls, kmsg.read) but every state-changing request (load with its
parameters, unload, enable, disable, fs.write, fs.append, kmsg.write) is
refused unless it carries an Ed25519 signature over a fresh kernel nonce;
a replayed, forged or tampered request is refused, counted and changes
nothing; module.sig_enforce=0 keeps the old unauthenticated channel."""
import os
import re
import subprocess

import pytest

from kelp import BUILD, KLPCTL, Kelp, blob_file
from klpproto import KlpClient, auth_message, ed25519_sign, load_body

EPERM, ESTALE, EKEYREJECTED = 1, 116, 129
OTHER_KEY = os.path.join(BUILD, "ktest", "other_key.pem")


@pytest.fixture(scope="module")
def k():
    kk = Kelp("", name="security")
    kk.boot()
    kk.wait_prompt()
    yield kk
    kk.close()


def client(k, key=None):
    c = KlpClient(k.com2_path, key=key)
    c.hello()
    return c


def blob(name):
    with open(blob_file(name), "rb") as f:
        return f.read()


def listed(k, name):
    return re.search(r"(?m)^%s\s" % name, k.run("lsmod")) is not None


def counters(c):
    st, text = c.cmd("status")
    assert st == 0, text
    return dict(ln.split(": ", 1) for ln in text.strip().split("\n"))


def loaded_ktest_mod(k, c, params="count=3"):
    if not listed(k, "ktest_mod"):
        st, text = c.load(blob("ktest_mod"), "ktest_mod", params)
        assert st == 0, text
    assert listed(k, "ktest_mod")


def unload_all(k, c):
    if listed(k, "ktest_mod"):
        st, text = c.cmd("unload ktest_mod")
        assert st == 0, text


def test_read_only_requests_need_no_key(k):
    c = client(k, key=False)
    try:
        for cmd in ("list", "dmesg", "status", "fs.stat /proc/version", "fs.read 0 /proc/version",
                    "fs.ls 0 /sys/kernel", "kmsg.read 0"):
            st, text = c.cmd(cmd)
            assert st == 0, "%s: %s" % (cmd, text)
        st, text = c.cmd("wait no_such_patch")
        assert st == -2, text
        assert counters(c)["auth"] == "required"
    finally:
        c.close()


def test_unsigned_load_is_refused(k):
    c = client(k, key=False)
    try:
        before = int(counters(c)["refused unauthenticated"])
        st, text = c.load(blob("ktest_mod"), "ktest_mod", "count=5")
        assert st == -EPERM and "unauthenticated request" in text, (st, text)
        assert not listed(k, "ktest_mod")
        assert int(counters(c)["refused unauthenticated"]) == before + 1
    finally:
        c.close()


def test_unsigned_state_changes_are_refused(k):
    signed = client(k)
    try:
        loaded_ktest_mod(k, signed)
        param = "/sys/module/ktest_mod/parameters/count"
        was = k.run("cat " + param).strip()
        for cmd in ("unload ktest_mod", "disable ktest_mod", "enable ktest_mod",
                    "fs.write %s 42" % param, "fs.append %s 42" % param,
                    "kmsg.write keyless-peer-was-here"):
            st, text = signed.cmd(cmd, sign=False)
            assert st == -EPERM and "unauthenticated request" in text, (cmd, st, text)
        assert listed(k, "ktest_mod")
        assert k.run("cat " + param).strip() == was
        assert "keyless-peer-was-here" not in k.run("dmesg")
        # the same with the key goes through
        st, text = signed.cmd("fs.write %s 42" % param)
        assert st == 0, text
        assert k.run("cat " + param).strip() == "42"
        st, text = signed.cmd("kmsg.write signed-peer-was-here")
        assert st == 0, text
        assert "signed-peer-was-here" in k.run("dmesg")
    finally:
        unload_all(k, signed)
        signed.close()


def test_replayed_request_is_refused(k):
    c = client(k)
    try:
        loaded_ktest_mod(k, c)
        text = "unload ktest_mod"
        recorded = c.auth_prefix(text) + text  # what a peer on the line saw
        st, out = c.cmd(recorded, sign=False)
        assert st == 0, out
        assert not listed(k, "ktest_mod")
        loaded_ktest_mod(k, c)
        before = int(counters(c)["refused stale nonce"])
        st, out = c.cmd(recorded, sign=False)
        assert st == -ESTALE and "stale nonce" in out, (st, out)
        assert listed(k, "ktest_mod")
        assert int(counters(c)["refused stale nonce"]) == before + 1
        # a nonce is also void once a newer one was handed out
        old = c.nonce()
        c.nonce()
        st, out = c.cmd(c.auth_prefix(text, nonce=old) + text, sign=False)
        assert st == -ESTALE, (st, out)
        assert listed(k, "ktest_mod")
    finally:
        unload_all(k, c)
        c.close()


def test_replayed_load_is_refused(k):
    c = client(k)
    try:
        data = blob("ktest_mod")
        nonce = c.nonce()
        auth = nonce + c.sign(nonce, load_body("ktest_mod", "count=3", data))
        st, text = c.load(data, "ktest_mod", "count=3", auth=auth)
        assert st == 0, text
        unload_all(k, c)
        st, text = c.load(data, "ktest_mod", "count=3", auth=auth)
        assert st == -ESTALE and "stale nonce" in text, (st, text)
        assert not listed(k, "ktest_mod")
    finally:
        unload_all(k, c)
        c.close()


def test_forged_request_is_refused(k):
    c = client(k)
    try:
        loaded_ktest_mod(k, c)
        before = int(counters(c)["refused bad signature"])
        text = "unload ktest_mod"
        nonce = c.nonce()
        # a valid Ed25519 signature, by a key the kernel does not trust
        sig = ed25519_sign(OTHER_KEY, auth_message(nonce, text.encode()))
        st, out = c.cmd("auth %s %s %s" % (nonce.hex(), sig.hex(), text), sign=False)
        assert st == -EKEYREJECTED and "does not verify" in out, (st, out)
        # a signature for another command does not carry over
        nonce = c.nonce()
        sig = c.sign(nonce, b"list")
        st, out = c.cmd("auth %s %s %s" % (nonce.hex(), sig.hex(), text), sign=False)
        assert st == -EKEYREJECTED, (st, out)
        assert listed(k, "ktest_mod")
        assert int(counters(c)["refused bad signature"]) == before + 2
    finally:
        unload_all(k, c)
        c.close()


def test_params_tampered_in_transit_are_refused(k):
    c = client(k)
    try:
        data = blob("ktest_mod")
        nonce = c.nonce()
        auth = nonce + c.sign(nonce, load_body("ktest_mod", "count=3", data))
        st, text = c.load(data, "ktest_mod", "count=3", auth=auth, sent_params="count=99")
        assert st == -EKEYREJECTED and "does not verify" in text, (st, text)
        assert not listed(k, "ktest_mod")
        st, text = c.load(data, "ktest_mod", "count=3")
        assert st == 0, text
        assert k.run("cat /sys/module/ktest_mod/parameters/count").strip() == "3"
    finally:
        unload_all(k, c)
        c.close()


def test_klpctl_signs_and_says_why_without_key(k):
    path = blob_file("ktest_mod")
    r = k.klpctl("load", path, "count=4")
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, KLP_KEY="")
    r = subprocess.run([KLPCTL, "-s", k.com2_path, "-q", "unload", "ktest_mod"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=60)
    assert r.returncode == 1 and "unauthenticated request" in r.stderr, r.stderr
    assert "no signing key" in r.stderr
    assert listed(k, "ktest_mod")
    r = k.klpctl("unload", "ktest_mod")
    assert r.returncode == 0, r.stderr
    assert not listed(k, "ktest_mod")
    r = k.klpctl("auth-status")
    assert r.returncode == 0 and "auth: required" in r.stdout, r.stdout + r.stderr


def test_sig_enforce_0_keeps_the_open_channel(kelp_factory):
    k = kelp_factory("module.sig_enforce=0")
    k.wait_prompt()
    c = client(k, key=False)
    try:
        assert counters(c)["auth"].startswith("off")
        st, text = c.load(blob("ktest_mod"), "ktest_mod", "count=6")
        assert st == 0, text
        assert k.run("cat /sys/module/ktest_mod/parameters/count").strip() == "6"
        st, text = c.cmd("fs.write /sys/module/ktest_mod/parameters/count 8")
        assert st == 0, text
        st, text = c.cmd("unload ktest_mod")
        assert st == 0, text
        assert not listed(k, "ktest_mod")
    finally:
        c.close()


def test_rollback_is_refused(k):
    """Per name, a version lower than one loaded since boot is refused (the
    version is in .modinfo, which the blob's signature covers)."""
    c = client(k)
    try:
        unload_all(k, c)
        st, text = c.load(blob("ktest_mod_v2"), "ktest_mod", "")
        assert st == 0, text
        unload_all(k, c)
        for older in ("ktest_mod_v1", "ktest_mod"):  # v1, and no klp_version= (0)
            st, text = c.load(blob(older), "ktest_mod", "")
            assert st == -EPERM, (older, st, text)
            assert "refusing version %d of ktest_mod: version 2 was loaded" % (
                1 if older.endswith("v1") else 0) in text, text
            assert not listed(k, "ktest_mod")
        # the same version again is fine
        st, text = c.load(blob("ktest_mod_v2"), "ktest_mod", "")
        assert st == 0, text
    finally:
        unload_all(k, c)
        c.close()


def test_make_patch_version(tmp_path):
    """mkpatch.sh --version N (make patch VERSION=N) stamps klp_version=N and
    refuses a version that is not a number."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    src = os.path.join(root, "tests", "modules", "ktest_mod.c")
    env = dict(os.environ, KCFLAGS="-O2 -mcmodel=kernel -ffreestanding -fno-pic")
    kernel = os.path.join(BUILD, "kernel.elf")
    r = subprocess.run([os.path.join(root, "tools", "mkpatch.sh"), src, str(tmp_path),
                        "--kernel", kernel, "--version", "7"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 0, r.stdout
    info = subprocess.run(["readelf", "-p", ".modinfo", str(tmp_path / "ktest_mod.o")],
                          stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert "klp_version=7" in info, info
    r = subprocess.run([os.path.join(root, "tools", "mkpatch.sh"), src, str(tmp_path),
                        "--kernel", kernel, "--version", "7a"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    assert r.returncode == 2 and "not a decimal number" in r.stdout, r.stdout


def test_nonces_are_fresh(k, kelp_factory):
    """Nonces never repeat within a boot, nor across boots (TSC jitter under
    qemu64); with -cpu max the CPU's RDRAND feeds them too."""
    c = client(k)
    try:
        seen = [c.nonce() for _ in range(20)]
        assert counters(c)["random"] == "TSC jitter"
    finally:
        c.close()
    assert len(set(seen)) == len(seen) and all(len(n) == 16 for n in seen)
    k2 = kelp_factory("", qemu_args=("-cpu", "max"))
    k2.wait_prompt()
    c = client(k2)
    try:
        assert counters(c)["random"] == "RDSEED/RDRAND + TSC jitter"
        other = c.nonce()
    finally:
        c.close()
    assert other not in seen
