"""A Python client of the COM2 patch protocol (docs/PROTOCOL.md), for tests
that send many blobs over one connection (tests/py/test_blob_storm.py): one
socket, one HELLO, then BEGIN/DATA/END per blob, without a klpctl process
per blob. Same frames, same retransmission rules as tools/klpctl.c.

    c = KlpClient(k.com2_path); c.hello()
    status, text = c.load(blob_bytes, "name", "a=1")
    status, text = c.cmd("unload name")

State-changing requests (load, unload, enable, disable, fs.write, fs.append,
kmsg.write) are signed as klpctl signs them (docs/SECURITY.md): a nonce from
the kernel, Ed25519 over domain || nonce || request with the blob-signing key
(keys/signing_key.pem, or key= / $KLP_KEY; key=False sends them unsigned),
through the openssl CLI.
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time
import zlib

# The signing scheme is the bridge's (tools/klpwire.py): one domain string,
# one list of what is signed, one openssl call. ed25519_sign is also this
# module's for the tests that forge or replay signatures.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from klpwire import AUTH_DOMAIN, STATE_CHANGING, ed25519_sign  # noqa: E402,F401

T_HELLO, T_BEGIN, T_DATA, T_END, T_CMD, T_ACK, T_NAK, T_RESULT = range(1, 9)
MAX_PAYLOAD = 4096
DATA_CHUNK = MAX_PAYLOAD - 4
ACK_TIMEOUT = 0.5
RETRIES = 8
WORK_SLACK = 2.0    # after a "working on it" ACK: its time, plus this
WORK_RESEND = 5.0   # ... re-sending the request this often
DEFAULT_KEY = os.environ.get("KLP_KEY") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "keys", "signing_key.pem")


def auth_message(nonce, body):
    return AUTH_DOMAIN + nonce + body


def load_body(name, params, blob):
    return b"load\0" + name.encode() + b"\0" + params.encode() + b"\0" + \
        hashlib.sha512(blob).digest()


def encode(ftype, seq, payload=b"", flags=0):
    body = struct.pack("<BBHI", ftype, flags, seq, len(payload)) + payload
    return b"KF" + body + struct.pack("<I", zlib.crc32(body) & 0xffffffff)


class Decoder(object):
    """Byte-stream decoder: yields (type, seq, payload) of good frames,
    resynchronising on the next magic after a bad one."""

    def __init__(self):
        self.buf = bytearray()
        self.errors = 0

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            i = self.buf.find(b"KF")
            if i < 0:
                del self.buf[:max(0, len(self.buf) - 1)]
                return out
            del self.buf[:i]
            if len(self.buf) < 10:
                return out
            ftype, flags, seq, ln = struct.unpack_from("<BBHI", self.buf, 2)
            if ln > MAX_PAYLOAD:
                self.errors += 1
                del self.buf[:1]
                continue
            if len(self.buf) < 14 + ln:
                return out
            body = bytes(self.buf[2:10 + ln])
            crc, = struct.unpack_from("<I", self.buf, 10 + ln)
            if zlib.crc32(body) & 0xffffffff != crc:
                self.errors += 1
                del self.buf[:1]
                continue
            out.append((ftype, seq, body[8:]))
            del self.buf[:14 + ln]


class KlpError(Exception):
    pass


class KlpClient(object):
    def __init__(self, path, timeout=ACK_TIMEOUT, retries=RETRIES, key=None):
        self.key = DEFAULT_KEY if key is None else key
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.dec = Decoder()
        self.pending = []
        self.seq = int.from_bytes(os.urandom(2), "little")
        self.timeout = timeout
        self.retries = retries
        self.retransmits = 0
        self.frames_sent = 0
        self.bytes_sent = 0

    def close(self):
        self.sock.close()

    def _recv(self, deadline):
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data = self.sock.recv(65536)
            if not data:
                raise KlpError("connection closed by the kernel")
            self.pending += self.dec.feed(data)
        return self.pending.pop(0)

    def request(self, ftype, payload=b"", want_result=False):
        """Returns (frame type, status, text) of the answer. An ACK to a
        request that wants a RESULT carries how long the kernel may take
        (u32 ms) and on what: wait that long, re-sending now and then."""
        seq = self.seq & 0xffff
        self.seq += 1
        frame = encode(ftype, seq, payload)
        tries = 0
        work_until = work_start = None
        what = "the request"
        while True:
            now = time.monotonic()
            if work_until is not None and work_until > now:
                deadline = min(work_until, now + WORK_RESEND)
            else:
                if tries > self.retries:
                    if work_start is not None:
                        raise KlpError("no answer from the kernel after waiting %d s for %s"
                                       % (now - work_start, what))
                    raise KlpError("no answer from the kernel after %d tries" % tries)
                tries += 1
                deadline = now + self.timeout
            if tries > 1 or work_start is not None:
                self.retransmits += 1
            self.sock.sendall(frame)
            self.frames_sent += 1
            self.bytes_sent += len(frame)
            while True:
                f = self._recv(deadline)
                if f is None:
                    break
                t, _, p = f
                if len(p) < 2 or struct.unpack_from("<H", p)[0] != seq:
                    continue
                if t in (T_NAK, T_RESULT) and len(p) >= 6:
                    status, = struct.unpack_from("<i", p, 2)
                    return t, status, p[6:].decode(errors="replace")
                if t != T_ACK:
                    continue
                if not want_result:
                    return T_ACK, 0, ""
                ms = 10000
                if len(p) >= 6:
                    ms, = struct.unpack_from("<I", p, 2)
                    what = p[6:].decode(errors="replace") or what
                now = time.monotonic()
                if work_start is None:
                    work_start = now
                work_until = now + ms / 1000.0 + WORK_SLACK
                tries = 1
                deadline = min(work_until, now + WORK_RESEND)

    def hello(self):
        t, st, text = self.request(T_HELLO, struct.pack("<HH", 1, MAX_PAYLOAD), True)
        if t != T_RESULT or st:
            raise KlpError("HELLO refused: %s (%d)" % (text, st))
        return text

    def nonce(self):
        st, text = self.cmd("nonce")
        if st:
            raise KlpError("no nonce: %s (%d)" % (text, st))
        return bytes.fromhex(text.strip())

    def sign(self, nonce, body):
        return ed25519_sign(self.key, auth_message(nonce, body))

    def auth_prefix(self, text, nonce=None):
        """"auth NONCE SIG " for CMD text (a fresh nonce unless given)."""
        nonce = self.nonce() if nonce is None else nonce
        return "auth %s %s " % (nonce.hex(), self.sign(nonce, text.encode()).hex())

    def load(self, blob, name, params="", auth=None, sent_params=None):
        """Sends a blob; returns (status, text): 0 and "loaded X" on success,
        -errno and the kernel's reason otherwise (NAKs included). auth: the
        END's nonce || signature (default: signed now, if there is a key);
        sent_params: parameters to put on the wire instead of params (a
        tampering peer)."""
        nb, pb = name.encode(), (params if sent_params is None else sent_params).encode()
        t, st, text = self.request(T_BEGIN, struct.pack("<IBBH", len(blob), len(nb), 0, len(pb))
                                   + nb + pb)
        if t == T_NAK:
            return st or -71, text
        for off in range(0, len(blob), DATA_CHUNK):
            t, st, text = self.request(T_DATA, struct.pack("<I", off) + blob[off:off + DATA_CHUNK])
            if t == T_NAK:
                return st or -71, text
        if auth is None and self.key:
            nonce = self.nonce()
            auth = nonce + self.sign(nonce, load_body(name, params, blob))
        end = struct.pack("<I", zlib.crc32(blob) & 0xffffffff) + (auth or b"")
        t, st, text = self.request(T_END, end, True)
        return st, text

    def cmd(self, text, sign=None):
        """A CMD; a state-changing one is signed when there is a key
        (sign=False: never)."""
        if sign is None:
            sign = bool(self.key) and text.split(" ", 1)[0] in STATE_CHANGING
        if sign:
            text = self.auth_prefix(text) + text
        t, st, out = self.request(T_CMD, text.encode(), True)
        return st, out
