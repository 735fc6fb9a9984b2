"""Serial faults end to end: klpctl --fault (drop, duplicate, flip bytes,
stall, disconnect) against a real kernel over COM2. A load either succeeds
with the right content (the module's greeting names the parameter sent,
its size is that of a clean load) or fails cleanly; a corrupted frame or
blob is never accepted; after a disconnect mid-transfer a new client loads.

The kernel runs with module.sig_enforce=0 so that the signature cannot
hide a corruption the channel let through: only the frame CRC and the
whole-blob CRC stand between a flipped bit and a loaded module."""
import re
import socket
import struct
import time
import zlib

import pytest

from kelp import Kelp, blob_file
from klpproto import T_BEGIN, T_DATA, T_END, KlpClient, encode


blob = blob_file


@pytest.fixture(scope="module")
def kf():
    k = Kelp("loglevel=3 module.sig_enforce=0", name="serial_faults")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def module_size(k, name):
    m = re.search(r"(?m)^%s\s+(\d+)\s+\d+\s+live" % name, k.run("lsmod"))
    return int(m.group(1)) if m else None


def not_loaded(k):
    return module_size(k, "hello_module") is None


_n = [0]


def fault_load(k, spec):
    """A load under --fault spec; returns (exit status, stderr, the word sent)."""
    _n[0] += 1
    word = "w%dx%s" % (_n[0], re.sub(r"\W", "", spec))
    r = k.klpctl("--fault", spec, "load", blob("hello_module"), "whom=" + word, timeout=120)
    return r, word


CLEAN_SIZE = {}

SPECS = ["drop=2", "drop=3", "dup=1", "dup=2", "flip=2", "flip=3", "stall=300",
         "drop=3,dup=2,flip=5", "flip=1", "drop=1"]


@pytest.mark.parametrize("spec", SPECS)
def test_load_under_fault(kf, spec):
    k = kf
    if "size" not in CLEAN_SIZE:
        assert k.klpctl("load", blob("hello_module"), "whom=clean").returncode == 0
        CLEAN_SIZE["size"] = module_size(k, "hello_module")
        assert k.klpctl("unload", "hello_module").returncode == 0
    r, word = fault_load(k, spec)
    dm = k.klpctl("dmesg").stdout
    if r.returncode == 0:
        assert "loaded hello_module" in r.stdout
        assert dm.count("hello_module: Hello, %s." % word) == 1, dm[-2000:]
        assert module_size(k, "hello_module") == CLEAN_SIZE["size"]
        assert k.klpctl("unload", "hello_module").returncode == 0
    else:
        # clean failure: a reason from the channel, nothing loaded
        assert r.returncode in (1, 2), r
        assert re.search(r"klpctl: (no answer from the kernel|fault injection|"
                         r"blob CRC mismatch|incomplete transfer|out of order)", r.stderr), r.stderr
        assert not_loaded(k)
        assert "Hello, %s" % word not in dm
    if spec in ("flip=1", "drop=1"):
        # every frame damaged or lost: nothing can get through
        assert r.returncode == 1 and "no answer from the kernel" in r.stderr
    elif "," not in spec:
        assert r.returncode == 0, r.stderr
    # the channel is fine afterwards
    assert k.klpctl("load", blob("hello_module"), "whom=after").returncode == 0
    assert k.klpctl("unload", "hello_module").returncode == 0


def test_duplicated_frames_back_to_back(kf):
    """Every frame sent twice, load after load: a 3.4 KiB DATA frame and its
    duplicate arrive together. With a 4 KiB receive ring they overran it now
    and then, and the channel then went quiet until klpctl gave up; the ring
    now holds a frame and its duplicate."""
    for i in range(25):
        r, word = fault_load(k=kf, spec="dup=1")
        assert r.returncode == 0, "load %d: %s" % (i, r.stderr)
        assert kf.klpctl("unload", "hello_module").returncode == 0


def test_disconnect_mid_transfer_then_reconnect(kf):
    k = kf
    for frame in (2, 3, 4):      # after BEGIN, after DATA, before END
        r, word = fault_load(k, "disconnect=%d" % frame)
        assert r.returncode == 2 and "disconnecting at frame" in r.stderr, r
        assert not_loaded(k)
        r = k.klpctl("load", blob("hello_module"), "whom=again%d" % frame)
        assert r.returncode == 0, r.stderr
        assert "hello_module: Hello, again%d." % frame in k.klpctl("dmesg").stdout
        assert k.klpctl("unload", "hello_module").returncode == 0


def test_corrupted_blob_that_passes_frame_crc_is_refused(kf):
    """A DATA frame whose payload was altered before its frame CRC was
    computed (a corruption no frame check can see): END's whole-blob CRC
    refuses it, and nothing is loaded."""
    k = kf
    data = bytearray(open(blob("hello_module"), "rb").read())
    good_crc = zlib.crc32(bytes(data)) & 0xffffffff
    i = data.index(b"whom")
    data[i] ^= 0x20          # "Whom": a different, still loadable module
    c = KlpClient(k.com2_path)
    try:
        c.hello()
        t, st, text = c.request(T_BEGIN, struct.pack("<IBBH", len(data), 12, 0, 0) + b"hello_module")
        assert st == 0, text
        for off in range(0, len(data), 4092):   # DATA carries at most 4092 bytes
            t, st, text = c.request(T_DATA, struct.pack("<I", off) + bytes(data[off:off + 4092]))
            assert st == 0, text
        t, st, text = c.request(T_END, struct.pack("<I", good_crc), True)
        assert st == -74 and "blob CRC mismatch" in text, (st, text)   # -EBADMSG
    finally:
        c.close()
    assert not_loaded(k)


def test_stall_mid_frame_then_continue(kf):
    """Half a frame, silence, then a new client: the decoder resynchronises
    and the half frame is never taken for a request."""
    k = kf
    frame = encode(T_BEGIN, 0x4242, struct.pack("<IBBH", 100, 5, 0, 0) + b"abcde")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(k.com2_path)
    s.sendall(frame[:9])
    time.sleep(1.5)
    s.close()
    r = k.klpctl("load", blob("hello_module"), "whom=resync")
    assert r.returncode == 0, r.stderr
    assert "hello_module: Hello, resync." in k.klpctl("dmesg").stdout
    assert k.klpctl("unload", "hello_module").returncode == 0
