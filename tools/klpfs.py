#!/usr/bin/python3
"""klpfs: the guest's pseudo-fs (/proc, /sys) as a FUSE filesystem on the
host, over the COM2 channel (the fs.* and kmsg.* verbs, docs/PROTOCOL.md).
`klpctl mount DIR` runs it.

    klpfs.py [-s SOCKET] [-f] DIR

DIR/proc and DIR/sys are the guest's; DIR/dev/kmsg is its log: a read gives
the whole log as dmesg prints it, each write() appends one record as a
write to Linux's /dev/kmsg does. A file's contents are fetched whole when it
is opened (as sysfs produces an attribute at its first read); each write()
is one store, as in sysfs. Nothing is cached: attributes and lookups expire
at once, so `watch cat DIR/sys/kernel/livepatch/*/transition` follows the
guest. Unmount with `umount DIR` (or `fusermount -u DIR`).
"""
import argparse
import errno
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from klpwire import Wire, WireError  # noqa: E402

from fusepy import FUSE, FuseOSError, Operations  # noqa: E402

KMSG = "/dev/kmsg"
FILE_SIZE = 4096  # what sysfs reports; reads ignore it (direct_io)


def _err(e):
    return FuseOSError(e.errno if isinstance(e.errno, int) and e.errno > 0 else errno.EIO)


class KelpFS(Operations):
    def __init__(self, wire):
        self.wire = wire
        self.handles = {}  # fh -> contents read at open (bytes) or None
        self.next_fh = 1
        self.t0 = time.time()

    def _attr(self, mode, size=0):
        return dict(st_mode=mode, st_nlink=2 if stat.S_ISDIR(mode) else 1, st_size=size,
                    st_uid=0, st_gid=0, st_atime=self.t0, st_mtime=self.t0, st_ctime=self.t0)

    def getattr(self, path, fh=None):
        if path == "/dev":
            return self._attr(stat.S_IFDIR | 0o755)
        if path == KMSG:
            return self._attr(stat.S_IFREG | 0o644)
        try:
            kind, mode = self.wire.stat(path)
        except WireError as e:
            raise _err(e)
        if kind == "dir":
            return self._attr(stat.S_IFDIR | mode)
        return self._attr(stat.S_IFREG | mode, FILE_SIZE)

    def readdir(self, path, fh):
        if path == "/dev":
            return [".", "..", "kmsg"]
        try:
            names = [n for n, _, _ in self.wire.listdir(path)]
        except WireError as e:
            raise _err(e)
        if path == "/":
            names.append("dev")
        return [".", ".."] + names

    def open(self, path, flags):
        data = None
        acc = flags & os.O_ACCMODE
        if acc in (os.O_RDONLY, os.O_RDWR):
            try:
                if path == KMSG:
                    data = self.wire.dmesg()[0].encode()
                else:
                    data = self.wire.read(path).encode()
            except WireError as e:
                # a write-only file opened read-write is still writable
                if not (acc == os.O_RDWR and e.errno == errno.EACCES):
                    raise _err(e)
        elif path != KMSG:
            self.getattr(path)  # ENOENT/EISDIR at open, as the kernel does
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = (data, bool(flags & os.O_APPEND))
        return fh

    def release(self, path, fh):
        self.handles.pop(fh, None)
        return 0

    def read(self, path, size, offset, fh):
        data = self.handles.get(fh, (None, False))[0]
        if data is None:
            raise FuseOSError(errno.EACCES)
        return data[offset:offset + size]

    def write(self, path, data, offset, fh):
        text = data.decode(errors="replace")
        try:
            if path == KMSG:
                self.wire.kmsg(text.rstrip("\n"))
            else:
                self.wire.write(path, text, append=self.handles.get(fh, (None, False))[1])
        except WireError as e:
            raise _err(e)
        return len(data)

    def truncate(self, path, length, fh=None):
        return 0  # `>` truncates first; sysfs ignores it too

    def create(self, path, mode, fi=None):
        raise FuseOSError(errno.EACCES)

    def mkdir(self, path, mode):
        raise FuseOSError(errno.EACCES)

    def unlink(self, path):
        raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        raise FuseOSError(errno.EPERM)

    def chown(self, path, uid, gid):
        raise FuseOSError(errno.EPERM)

    def utimens(self, path, times=None):
        return 0


def main():
    ap = argparse.ArgumentParser(description="mount the Kelp guest's /proc and /sys")
    ap.add_argument("-s", "--socket", default="build/klp.sock")
    ap.add_argument("-f", "--foreground", action="store_true")
    ap.add_argument("dir")
    a = ap.parse_args()
    wire = Wire(os.path.abspath(a.socket))
    try:
        wire.stat("/")
    except (WireError, OSError) as e:
        sys.exit("klpfs: %s: %s" % (a.socket, e))
    FUSE(KelpFS(wire), os.path.abspath(a.dir), foreground=a.foreground, nothreads=True,
         fsname="kelp", subtype="klpfs", direct_io=True, attr_timeout=0, entry_timeout=0,
         negative_timeout=0)


if __name__ == "__main__":
    main()
