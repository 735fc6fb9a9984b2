#!/usr/bin/python3
"""Serial load throughput of the patch channel: boots Kelp in QEMU with COM2
on a UNIX socket, builds a module of about SIZE bytes outside the tree
(`make VARIANT=test module P=...`), loads and unloads it with klpctl a few times,
and reports wall time per load and the kernel's own figure (guest time from
the first byte of the transfer to the blob handed to the loader).

Then the end-to-end apply latency of the cmdline sample
(Linux's samples/livepatch/livepatch-sample.c): from the first byte klpctl sends to the
kernel's "livepatch: 'livepatch_sample': patching complete" line, as wall
time (klpctl started -> the line read on the console) and as guest time
(that line's printk timestamp minus the transfer's start, which is the
channel's "received" line's timestamp minus its "in M ms"; 1 ms
resolution). Each run disables and unloads the patch again.

usage: tools/bench_serial.py [--size BYTES] [--runs N] [--icount] [--no-apply]"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "py"))
from kelp import BUILD, KLPCTL, Kelp  # noqa: E402


def build_blob(size, outdir):
    src = os.path.join(outdir, "bench_blob.c")
    words = max(1, (size - 4096) // 8)
    with open(src, "w") as f:
        f.write('#include <module.h>\n')
        f.write("const unsigned long bench_payload[%d] = {\n" % words)
        f.write(",".join("0x%xUL" % (i * 0x9e3779b97f4a7c15 & (2**64 - 1)) for i in range(words)))
        f.write("};\nstatic int __init b_init(void) { return bench_payload[1] ? 0 : -1; }\n")
        f.write("module_init(b_init);\nMODULE_LICENSE(\"GPL\");\n")
    subprocess.run(["make", "-s", "-C", ROOT, "VARIANT=test", "module", "P=" + src], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(BUILD, "patches", "bench_blob.klp")


STAMP = r"\[\s*(\d+\.\d+)\] "


def apply_latency(k, path, runs):
    """(wall seconds, guest seconds) per run of load -> patching complete."""
    walls, guests = [], []
    for _ in range(runs):
        k.drain()
        since = len(k.log)
        t0 = time.monotonic()
        p = subprocess.Popen([KLPCTL, "-s", k.com2_path, "-q",
                              "load", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True)
        k.expect(r"livepatch: 'livepatch_sample': patching complete", timeout=60)
        walls.append(time.monotonic() - t0)
        out, err = p.communicate(timeout=60)
        if p.returncode:
            sys.exit("load failed: " + err)
        k.drain(quiet=0.2)
        log = k.log[since:]
        rx = re.search(STAMP + r"patchchan: received livepatch_sample: \d+ bytes in (\d+) ms", log)
        done = re.search(STAMP + r"livepatch: 'livepatch_sample': patching complete", log)
        if rx and done:
            guests.append(float(done.group(1)) - (float(rx.group(1)) - int(rx.group(2)) / 1000.0))
        k.klpctl("disable", "livepatch_sample", check=True)
        k.klpctl("wait", "livepatch_sample", check=True)
        k.klpctl("unload", "livepatch_sample", check=True)
        time.sleep(1.2)  # a quiet gap: the next transfer is a new burst
    return walls, guests


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64 * 1024)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--icount", action="store_true", help="deterministic guest clock")
    ap.add_argument("--no-apply", action="store_true", help="skip the apply latency bench")
    a = ap.parse_args()
    sample = os.path.join(BUILD, "linux-modules", "livepatch-sample.klp")
    if not a.no_apply:
        subprocess.run(["make", "-s", "-C", ROOT, "VARIANT=test", os.path.relpath(sample, ROOT)],
                       check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as d:
        path = build_blob(a.size, d)
    size = os.path.getsize(path)
    # the channel's "received" line is a debug site: on from boot, and on
    # the console (loglevel=8), where the apply latency is read
    with Kelp("patchchan.dyndbg=+p loglevel=8", name="bench_serial", icount=a.icount) as k:
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
        if not a.no_apply:
            ap_walls, ap_guests = apply_latency(k, sample, a.runs)
    walls.sort()
    guests.sort()
    wall = walls[len(walls) // 2]
    print("blob: %d bytes, %d runs (median)" % (size, a.runs))
    print("wall time per load (klpctl start to exit): %.3f s = %.0f bytes/s" % (wall, size / wall))
    if guests:
        g = guests[len(guests) // 2]
        print("guest time, first byte to loader: %.3f s = %.0f bytes/s%s" %
              (g, size / g if g else 0, " (icount)" if a.icount else ""))
    if not a.no_apply:
        print("apply latency, cmdline sample (%d bytes), first byte sent to 'patching complete', "
              "%d runs (median, min-max):" % (os.path.getsize(sample), a.runs))
        print("  wall:  %.1f ms (%.1f-%.1f)" % (median(ap_walls) * 1e3, min(ap_walls) * 1e3,
                                              max(ap_walls) * 1e3))
        if ap_guests:
            print("  guest: %.1f ms (%.1f-%.1f)%s" % (median(ap_guests) * 1e3, min(ap_guests) * 1e3,
                                                    max(ap_guests) * 1e3,
                                                    " (icount)" if a.icount else ""))


if __name__ == "__main__":
    main()
