#!/usr/bin/python3
"""Serial load throughput of the patch channel: boots Kelp in QEMU with COM2
on a UNIX socket, builds a module of about SIZE bytes outside the tree
(`make module P=...`), loads and unloads it with build/klpctl a few times,
and reports wall time per load and the kernel's own figure (guest time from
the first byte of the transfer to the blob handed to the loader).

usage: tools/bench_serial.py [--size BYTES] [--runs N] [--icount]"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from kelp import Kelp  # noqa: E402


def build_blob(size, outdir):
    src = os.path.join(outdir, "bench_blob.c")
    words = max(1, (size - 4096) // 8)
    with open(src, "w") as f:
        f.write('#include <module.h>\n')
        f.write("const unsigned long bench_payload[%d] = {\n" % words)
        f.write(",".join("0x%xUL" % (i * 0x9e3779b97f4a7c15 & (2**64 - 1)) for i in range(words)))
        f.write("};\nstatic int __init b_init(void) { return bench_payload[1] ? 0 : -1; }\n")
        f.write("module_init(b_init);\nMODULE_LICENSE(\"GPL\");\n")
    subprocess.run(["make", "-s", "-C", ROOT, "module", "P=" + src], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, "build", "patches", "bench_blob.klp")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--icount", action="store_true", help="deterministic guest clock")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = build_blob(a.size, d)
    size = os.path.getsize(path)
    with Kelp("", name="bench_serial", icount=a.icount) as k:
        k.wait_prompt()
        walls, guests = [], []
        for _ in range(a.runs):
            t = time.monotonic()
            r = k.klpctl("load", path, timeout=300)
            walls.append(time.monotonic() - t)
            if r.returncode:
                sys.exit("load failed: " + r.stderr)
            k.klpctl("unload", "bench_blob", check=True)
            time.sleep(1.2)  # a quiet gap so the kernel sees the next burst start
        for m in re.finditer(r"received bench_blob: (\d+) bytes in (\d+) ms", k.klpctl("dmesg").stdout):
            guests.append(int(m.group(2)) / 1000.0)
    walls.sort()
    guests.sort()
    wall = walls[len(walls) // 2]
    print("blob: %d bytes, %d runs (median)" % (size, a.runs))
    print("wall time per load (klpctl start to exit): %.3f s = %.0f bytes/s" % (wall, size / wall))
    if guests:
        g = guests[len(guests) // 2]
        print("guest time, first byte to loader: %.3f s = %.0f bytes/s%s" %
              (g, size / g if g else 0, " (icount)" if a.icount else ""))


if __name__ == "__main__":
    main()
