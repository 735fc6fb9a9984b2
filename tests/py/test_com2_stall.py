"""A COM2 peer that stops reading (docs/PROTOCOL.md, kelp/serial.h): it asks
for the log over and over and never reads the answers, so QEMU's socket to it
fills and the UART cannot send. Only that peer's answers may suffer: the
console answers, the clock and the scheduler run, a livepatch transition
completes, and once the peer goes the channel serves the next client."""
import re
import socket
import struct
import time

import pytest

from kelp import Kelp, unload_builtin
from klpproto import T_CMD, T_HELLO, MAX_PAYLOAD, encode


@pytest.fixture(scope="module")
def k():
    k = Kelp("", name="com2_stall")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def serial_stats(k, port):
    m = re.search(r"(?m)^%d: uart:16550A .*txdrop:(\d+) txstall:(\d+)" % port,
                  k.run("cat /proc/tty/driver/serial"))
    assert m, k.run("cat /proc/tty/driver/serial")
    return int(m.group(1)), int(m.group(2))


def uptime(k):
    return float(k.run("cat /proc/uptime").split()[0])


def test_peer_that_stops_reading_stalls_only_itself(k):
    assert serial_stats(k, 1) == (0, 0)
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    peer.connect(k.com2_path)
    peer.sendall(encode(T_HELLO, 1, struct.pack("<HH", 1, MAX_PAYLOAD)))
    # Each dmesg answer is up to 4 KiB, sent a byte at a time by QEMU:
    # far more than its socket to us holds. Never read any of it.
    for seq in range(2, 200):
        peer.sendall(encode(T_CMD, seq, b"dmesg"))
    time.sleep(3)
    try:
        t0 = uptime(k)
        assert k.run("echo still here", timeout=5) == "still here"
        time.sleep(1.5)
        t1 = uptime(k)
        assert t1 - t0 >= 1.0, (t0, t1)  # the clock and the scheduler run
        out = k.run("klp load test_klp_livepatch", timeout=20)
        assert out.count("patching complete") == 1, out
        assert k.run("cat /proc/cmdline") == "test_klp_livepatch: this has been live patched"
        k.run("echo 0 > /sys/kernel/livepatch/test_klp_livepatch/enabled", timeout=20)
        assert k.run("ls /sys/kernel/livepatch") == ""
        assert unload_builtin(k, "test_klp_livepatch")
        dropped, stalls = serial_stats(k, 1)
        assert dropped > 0 and stalls > 0, (dropped, stalls)
        assert serial_stats(k, 0) == (0, 0)  # the console lost nothing
    finally:
        peer.close()
    # The stalled peer is gone: the next client is served.
    deadline = time.monotonic() + 30
    while True:
        r = k.klpctl("list", timeout=60)
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert r.returncode == 0, r.stderr
