"""The host bridge's client of the COM2 protocol (docs/PROTOCOL.md): CMD
requests only, one connection per request (HELLO, CMD, close), or per
chunked read, under an flock on SOCKET.lock, so the FUSE daemon (tools/klpfs.py), the shims and
klpctl can share the guest's one COM2 socket. The same frames and
retransmission rules as tools/klpctl.c (and tests/py/klpproto.py, the tests'
multi-blob client).

    w = Wire("build/klp.sock")
    text = w.read("/proc/version")        # raises WireError(errno, text)

The verbs that change the guest (fs.write, fs.append, kmsg.write) are signed
(docs/SECURITY.md): a nonce from the kernel, then Ed25519 over
"KELP-AUTH-1\0" || nonce || the command with the blob-signing key
($KLP_KEY, else keys/signing_key.pem of this tree), by the openssl CLI.
Without a key they go unsigned (only a module.sig_enforce=0 kernel takes them).
"""
import contextlib
import errno
import fcntl
import os
import select
import socket
import struct
import subprocess
import tempfile
import time
import zlib

T_HELLO, T_CMD, T_ACK, T_NAK, T_RESULT = 1, 5, 6, 7, 8
MAX_PAYLOAD = 4096
TEXT_MAX = MAX_PAYLOAD - 6
ACK_TIMEOUT = 0.5
RETRIES = 8
# a long request (a blocking sysfs write) is ACKed and answered later
RESULT_TIMEOUT = 120
AUTH_DOMAIN = b"KELP-AUTH-1\0"
STATE_CHANGING = ("unload", "enable", "disable", "fs.write", "fs.append", "kmsg.write")


def signing_key():
    """$KLP_KEY (empty: none), else keys/signing_key.pem of this tree, if readable."""
    env = os.environ.get("KLP_KEY")
    if env is not None:
        return env or None
    key = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "keys",
                       "signing_key.pem")
    return key if os.access(key, os.R_OK) else None


def ed25519_sign(key, msg):
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "msg"), os.path.join(d, "sig")
        with open(src, "wb") as f:
            f.write(msg)
        subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", src,
                        "-out", dst], check=True)
        with open(dst, "rb") as f:
            return f.read()


class WireError(OSError):
    pass


def _frame(ftype, seq, payload):
    body = struct.pack("<BBHI", ftype, 0, seq, len(payload)) + payload
    return b"KF" + body + struct.pack("<I", zlib.crc32(body) & 0xffffffff)


def _frames(buf):
    """Good frames at the front of buf as (type, payload); consumes them."""
    out = []
    while True:
        i = buf.find(b"KF")
        if i < 0:
            del buf[:max(0, len(buf) - 1)]
            return out
        del buf[:i]
        if len(buf) < 10:
            return out
        ftype, _, _, ln = struct.unpack_from("<BBHI", buf, 2)
        if ln > MAX_PAYLOAD:
            del buf[:1]
            continue
        if len(buf) < 14 + ln:
            return out
        body = bytes(buf[2:10 + ln])
        if zlib.crc32(body) & 0xffffffff != struct.unpack_from("<I", buf, 10 + ln)[0]:
            del buf[:1]
            continue
        out.append((ftype, body[8:]))
        del buf[:14 + ln]


class Wire(object):
    def __init__(self, path):
        self.path = path
        self.lock_path = path + ".lock"
        self._sock = None
        self.key = signing_key()

    def _request(self, sock, buf, ftype, seq, payload):
        frame = _frame(ftype, seq, payload)
        pending = []
        end = time.monotonic() + RESULT_TIMEOUT
        tries = 0
        # an ACK means "working on it": retransmissions then only recover a
        # lost RESULT, and the count starts again
        while tries <= RETRIES and time.monotonic() < end:
            tries += 1
            sock.sendall(frame)
            deadline = time.monotonic() + ACK_TIMEOUT
            while time.monotonic() < deadline:
                r, _, _ = select.select([sock], [], [], max(0, deadline - time.monotonic()))
                if not r:
                    continue
                data = sock.recv(65536)
                if not data:
                    raise WireError(errno.ECONNRESET, "connection closed by the kernel")
                buf += data
                pending += _frames(buf)
                while pending:
                    t, p = pending.pop(0)
                    if len(p) < 2 or struct.unpack_from("<H", p)[0] != seq:
                        continue
                    if t == T_ACK:
                        tries = 0
                        deadline = time.monotonic() + ACK_TIMEOUT * 4
                        continue
                    if t in (T_NAK, T_RESULT) and len(p) >= 6:
                        return struct.unpack_from("<i", p, 2)[0], p[6:].decode(errors="replace")
        raise WireError(errno.ETIMEDOUT, "no answer from the kernel")

    @contextlib.contextmanager
    def session(self):
        """One locked connection for several requests: `with w.session(): ...`"""
        if self._sock:
            yield
            return
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
                self._sock, self._buf = sock, bytearray()
                self._seq = int.from_bytes(os.urandom(2), "little")
                st, out = self._next(T_HELLO, struct.pack("<HH", 1, MAX_PAYLOAD))
                if st:
                    raise WireError(-st, "HELLO refused: " + out)
                yield
            finally:
                self._sock = None
                sock.close()

    def _next(self, ftype, payload):
        self._seq = (self._seq + 1) & 0xffff
        return self._request(self._sock, self._buf, ftype, self._seq, payload)

    def cmd(self, text):
        """Returns the RESULT text; raises WireError(-status, text) on error."""
        payload = text.encode()
        with self.session():
            if self.key and text.split(" ", 1)[0] in STATE_CHANGING:
                st, nonce = self._next(T_CMD, b"nonce")
                if st:
                    raise WireError(-st if st < 0 else errno.EIO, "no nonce: " + nonce)
                nonce = bytes.fromhex(nonce.strip())
                sig = ed25519_sign(self.key, AUTH_DOMAIN + nonce + payload)
                payload = b"auth %s %s " % (nonce.hex().encode(), sig.hex().encode()) + payload
            if len(payload) > TEXT_MAX:
                raise WireError(errno.EFBIG, "request longer than %d bytes" % TEXT_MAX)
            st, out = self._next(T_CMD, payload)
        if st:
            raise WireError(-st if st < 0 else errno.EIO, out)
        return out

    # -- the pseudo-fs verbs ----------------------------------------------

    def stat(self, path):
        """('dir'|'file', mode)"""
        kind, mode = self.cmd("fs.stat " + path).split()
        return kind, int(mode, 8)

    def read(self, path):
        with self.session():
            return self._read(path)

    def _read(self, path):
        data, off = "", 0
        while True:
            head, _, chunk = self.cmd("fs.read %d %s" % (off, path)).partition("\n")
            size = int(head)
            data += chunk
            off += len(chunk.encode())
            if off >= size or not chunk:
                return data

    def write(self, path, data, append=False):
        return int(self.cmd("fs.%s %s %s" % ("append" if append else "write", path, data)))

    def listdir(self, path):
        """[(name, 'd'|'f', mode)]"""
        with self.session():
            return self._listdir(path)

    def _listdir(self, path):
        out, idx = [], 0
        while True:
            lines = self.cmd("fs.ls %d %s" % (idx, path)).split("\n")
            for ln in lines[1:]:
                if ln:
                    kind, mode, name = ln.split(" ", 2)
                    out.append((name, kind, int(mode, 8)))
            if lines[0] == "end":
                return out
            idx = int(lines[0])

    def kmsg(self, text):
        return self.cmd("kmsg.write " + text)

    def dmesg(self, seq=0):
        """(the log from record seq on, next seq)"""
        with self.session():
            return self._dmesg(seq)

    def _dmesg(self, seq):
        text = ""
        while True:
            head, _, chunk = self.cmd("kmsg.read %d" % seq).partition("\n")
            nxt = int(head)
            text += chunk
            if nxt == seq or not chunk:
                return text, nxt
            seq = nxt
