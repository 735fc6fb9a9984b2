#!/usr/bin/python3
"""make bench-compare: boots Linux (with our kbench modules, see linux/ and
init.sh) and Kelp's bench kernel under the same QEMU flags in one run,
parses both consoles and prints one table: figure, Linux, Kelp, ratio, goal.
With --out it also writes the Markdown report (docs/bench-vs-linux.md), with
--readme it replaces the table between README's bench-compare markers.
--from-logs DIR skips the boots and parses DIR/linux.txt and DIR/kelp.txt.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import threading

# (key, figure, unit, goal). key names the Kelp figure (`bench: KEY ...`)
# and its Linux twin (kbench's "fig KEY" or a transition of a workload).
ROWS = [
    ("call_plain", "plain noinline call", "insns", "floor"),
    ("call_nop", "ftrace NOP site, unpatched", "insns", "floor + 1"),
    ("lp_call_unpatched", "the patch target's NOP site, unpatched (no frame on Linux, see below)",
     "insns", "floor + 1"),
    ("lp_call_steady", "patched call after the transition completed", "insns", "floor + 1 (held)"),
    ("lp_call_transition", "patched call during a transition (handler path)", "insns", "≤ 40"),
    ("lp_call_after_replace_nop", "after an atomic replace dropped the function (nop removed)",
     "insns", "= NOP site (held)"),
    ("lp_transition_10_kthreads", "transition over 10 sleeping kthreads, start → complete", "µs", "—"),
    ("lp_transition_1000_kthreads", "transition over 1,000 sleeping kthreads, start → complete",
     "µs", "≤ 1,000 µs"),
    ("lp_transition_10_kthreads_4_user_getpid",
     "10 kthreads + 4 user getpid loopers, start → complete", "µs", "≤ 1,000 µs"),
    ("lp_enable_to_complete_1func", "klp_enable_patch() → complete, one function", "µs", "≤ 300 µs"),
    ("lp_unpatch_10_kthreads_4_user_getpid",
     "unpatching transition (10 kthreads + 4 user getpid loopers)", "µs", "≤ 1,000 µs"),
    ("lp_straggler_exit_to_complete",
     "a straggler sleeping in the patched function wakes and leaves it: its exit → complete",
     "µs", "≤ 100 µs"),
    ("lp_transition_10000_kthreads", "transition over 10,000 sleeping kthreads (Kelp only)", "µs", "—"),
    ("lp_enable_to_complete_stacked_100",
     "enable → complete, one function, on 100 installed patches (Kelp only)", "µs", "—"),
]

# Linux figures taken from the transition lines of a workload (init.sh's
# "kbench: workload NAME" marks): key -> (workload, direction).
LINUX_TRANSITIONS = {
    "lp_transition_10_kthreads": ("k10", "patching"),
    "lp_transition_1000_kthreads": ("k1000", "patching"),
    "lp_transition_10_kthreads_4_user_getpid": ("k10u4", "patching"),
    "lp_unpatch_10_kthreads_4_user_getpid": ("k10u4", "unpatching"),
}

KELP_FIG = re.compile(r"^bench:\s+(\w+)\s+(\d+)\s+(\S+)\s*$")
KELP_SKIP = re.compile(r"^bench:\s+(\w+)\s+skipped:\s*(.*)$")
DMESG = re.compile(r"^\[\s*(\d+)\.(\d{6})\]\s(.*)$")
LX_FIG = re.compile(r"^kbench: fig (\w+) (\d+) (\S+)$")
LX_SKIP = re.compile(r"^kbench: skip (\w+): (.*)$")
LX_TRANS = re.compile(r"^livepatch: '(\w+)': (starting (patching|unpatching) transition|"
                      r"(patching|unpatching) complete)$")


def parse_kelp(text):
    """{figure: value} and {figure: why} from a Kelp bench console."""
    figs, skips = {}, {}
    for line in text.splitlines():
        line = line.strip()
        m = KELP_FIG.match(line)
        if m:
            figs.setdefault(m.group(1), int(m.group(2)))
            continue
        m = KELP_SKIP.match(line)
        if m:
            skips[m.group(1)] = m.group(2)
    return figs, skips


def parse_linux(text):
    """({figure: value}, {figure: why}, release) from the Linux guest's
    console: the kernel log init.sh prints between its markers."""
    lines = text.splitlines()
    try:
        lines = lines[lines.index("KBENCH-DMESG-BEGIN") + 1:lines.index("KBENCH-DMESG-END")]
    except ValueError:
        lines = [l.strip() for l in lines]
    figs, skips, release = {}, {}, None
    workload, starts, trans, debian = None, {}, {}, None
    for raw in lines:
        m = DMESG.match(raw.strip())
        if not m:
            continue
        us = int(m.group(1)) * 1000000 + int(m.group(2))
        msg = m.group(3)
        if msg.startswith("kbench: workload "):
            workload, starts = msg.split()[2], {}
        elif msg.startswith("kbench: linux "):
            release = msg.split()[2] + (f" ({debian})" if debian else "")
        elif msg.startswith("Linux version "):
            # the kernel's own Debian version, not gcc's before it
            m = re.findall(r"Debian (\S+) \(\d", msg)
            debian = m and "Debian " + m[-1]
        elif LX_FIG.match(msg):
            f = LX_FIG.match(msg)
            figs.setdefault(f.group(1), int(f.group(2)))
        elif LX_SKIP.match(msg):
            f = LX_SKIP.match(msg)
            skips[f.group(1)] = f.group(2)
        elif LX_TRANS.match(msg) and workload:
            f = LX_TRANS.match(msg)
            if f.group(3):
                starts[f.group(3)] = us
            elif f.group(4) in starts:
                trans.setdefault((workload, f.group(4)), us - starts.pop(f.group(4)))
    for key, wd in LINUX_TRANSITIONS.items():
        if wd in trans:
            figs[key] = trans[wd]
    return figs, skips, release


def fmt(v):
    return "—" if v is None else f"{v:,}"


def ratio(lx, kelp):
    if lx is None or kelp is None or kelp == 0:
        return "—"
    r = lx / kelp
    return f"{r:,.0f}×" if r >= 100 else f"{r:.2f}×"


def table(linux, kelp, release):
    """The Markdown table; linux and kelp are (figs, skips) pairs."""
    lx_rel = release or "?"
    out = [f"| figure | Linux {lx_rel} | Kelp | ratio (Linux ÷ Kelp) | goal |",
           "|---|---|---|---|---|"]
    for key, label, unit, goal in ROWS:
        lv, kv = linux[0].get(key), kelp[0].get(key)
        lcell = fmt(lv) if lv is not None else ("skipped" if key in linux[1] else "—")
        kcell = fmt(kv) if kv is not None else ("skipped" if key in kelp[1] else "—")
        suffix = f" {unit}" if unit == "µs" else ""
        out.append(f"| {label}, {unit} | {lcell}{suffix if lv is not None else ''} | "
                   f"{kcell}{suffix if kv is not None else ''} | {ratio(lv, kv)} | {goal} |")
    return "\n".join(out)


def growth(kelp, linux):
    """The closing note's growth figures, from the table's own numbers."""
    k, l = kelp[0], linux[0]
    notes = []
    if "lp_transition_10000_kthreads" in k and "lp_transition_1000_kthreads" in k:
        per = (k["lp_transition_10000_kthreads"] - k["lp_transition_1000_kthreads"]) / 9000
        notes.append(f"Kelp: {per:.2f} µs per extra sleeping thread (1,000 → 10,000 threads)")
    if "lp_transition_1000_kthreads" in l and "lp_transition_10_kthreads" in l:
        per = (l["lp_transition_1000_kthreads"] - l["lp_transition_10_kthreads"]) / 990
        notes.append(f"Linux: {per:.2f} µs per extra sleeping thread (10 → 1,000 threads)")
    if "lp_enable_to_complete_stacked_100" in k and "lp_enable_to_complete_1func" in k:
        per = (k["lp_enable_to_complete_stacked_100"] - k["lp_enable_to_complete_1func"]) / 100
        notes.append(f"Kelp: {per:+.2f} µs per installed patch below the new one "
                     "(enable → complete, 0 → 100 patches)")
    return notes


README_BEGIN = "<!-- bench-compare table: make bench-compare rewrites it -->"
README_END = "<!-- /bench-compare table -->"


def replace_readme_table(readme, tab):
    """readme's text with the table between its markers replaced by tab."""
    a, b = readme.find(README_BEGIN), readme.find(README_END)
    if a < 0 or b < a:
        raise ValueError("no bench-compare table markers")
    return readme[:a + len(README_BEGIN)] + "\n" + tab + "\n" + readme[b:]


def boot(cmd, log, timeout):
    with open(log, "w") as f:
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"killed after {timeout} s"
    return p.returncode


def report(args, linux, kelp, release, qemu):
    lines = [
        "# Kelp and Linux side by side (`make bench-compare`)",
        "",
        "Written by `make bench-compare` (tools/bench-compare/): Linux "
        f"{release or '?'} (Debian's `linux-image-amd64`, CONFIG_LIVEPATCH=y, ORC, HZ=250) "
        "with our measurement modules (tools/bench-compare/linux/, built against "
        "`linux-headers-amd64`) and Kelp's bench kernel (`make bench`), booted in one run "
        "under the same QEMU flags (TCG, one vCPU):",
        "",
        "```",
        f"{' '.join(qemu)}",
        f"  Linux: -kernel /boot/vmlinuz-{(release or '?').split()[0]} -initrd initramfs.gz "
        f"-append '{args.append}'",
        "  Kelp:  -cdrom build/bench-compare/kelp.iso (the bench kernel, command line "
        "`bench loglevel=4`)",
        "```",
        "",
        "Call costs are guest instructions per call (1,000 calls through a volatile function "
        "pointer between two `rdtsc` reads); transitions are guest µs under icount "
        "(≈ 1,000 instructions): on Linux its printk timestamps of `starting ... transition` → "
        "`... complete`, on Kelp `klp_last_transition_us`; enable → complete and the straggler "
        "are stamped by the patch's post_patch callback on both. Ratio: Linux ÷ Kelp (above 1, "
        "Kelp is faster).",
        "",
        table(linux, kelp, release),
        "",
    ]
    behind = [label for key, label, *_ in ROWS
              if key in linux[0] and key in kelp[0] and kelp[0][key] > linux[0][key]]
    if behind:
        lines += ["Kelp is behind Linux on: " + "; ".join(behind) + ".", ""]
    notes = growth(kelp, linux)
    if notes:
        lines += ["Growth:", ""] + [f"- {n}" for n in notes] + [""]
    skips = [f"- Linux {k}: {w}" for k, w in sorted(linux[1].items())] + \
            [f"- Kelp {k}: {w}" for k, w in sorted(kelp[1].items())]
    if skips:
        lines += ["Skipped (a precondition did not hold):", ""] + skips + [""]
    lines += [
        "Frames: Kelp is built with frame pointers (its unwinder walks them), Debian's Linux "
        "with ORC and none, so a leaf like the patch target (`barrier(); return x + 1`) has a "
        "`push %rbp` prologue on Kelp only; the first two rows give both functions one "
        "(`__builtin_frame_address(0)` stored), which is the like-for-like floor.",
        "",
        "Repeatable: under `-icount shift=0,sleep=off` Kelp's figures are the same run to run "
        "(instruction counts), and so are Linux's call figures. Linux's transition figures "
        "moved by up to 7 µs (under 0.1 %) between runs of the same tree, and its straggler "
        "figure by one 4 ms tick (HZ=250: 1,539,1xx or 1,543,1xx µs seen); not pinned "
        "down, its boot reads the host's clock through the RTC, for one. The straggler "
        "figure is the wait for Linux's next 1 s retry (`round_jiffies_relative(HZ)`, which "
        "rounds to a whole second of jiffies): it depends on where the release falls in "
        "that second, so anything that moves Linux's timeline (another init script, another "
        "kernel build) moves it between about 0.25 and 1.75 s.",
        "",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qemu", help="QEMU and the flags both guests share")
    ap.add_argument("--kelp-iso")
    ap.add_argument("--linux-kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--append", default="console=ttyS0 loglevel=4 mitigations=off")
    ap.add_argument("--logs", default="build/bench-compare", help="where the consoles go")
    ap.add_argument("--from-logs", action="store_true", help="parse the logs, boot nothing")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--out", help="the Markdown report to write")
    ap.add_argument("--readme", help="a README whose bench-compare table to rewrite")
    args = ap.parse_args()

    qemu = shlex.split(args.qemu or "")
    lx_log = os.path.join(args.logs, "linux.txt")
    kelp_log = os.path.join(args.logs, "kelp.txt")
    if not args.from_logs:
        os.makedirs(args.logs, exist_ok=True)
        lx_cmd = qemu + ["-kernel", args.linux_kernel, "-initrd", args.initrd,
                         "-append", args.append, "-serial", "stdio"]
        kelp_cmd = qemu + ["-cdrom", args.kelp_iso, "-serial", "stdio"]
        rc = {}
        # two guests on two threads: icount makes each one's figures
        # independent of the host's load
        jobs = [threading.Thread(target=lambda n=n, c=c, l=l: rc.__setitem__(n, boot(c, l, args.timeout)))
                for n, c, l in (("linux", lx_cmd, lx_log), ("kelp", kelp_cmd, kelp_log))]
        for j in jobs:
            j.start()
        for j in jobs:
            j.join()
        if rc.get("kelp") != 33:
            print(f"bench-compare: Kelp's bench kernel exited {rc.get('kelp')} (see {kelp_log})",
                  file=sys.stderr)
        if rc.get("linux") != 0:
            print(f"bench-compare: Linux's QEMU exited {rc.get('linux')} (see {lx_log})",
                  file=sys.stderr)
    for log in (lx_log, kelp_log):
        if not os.path.exists(log):
            print(f"bench-compare: no console log {log}", file=sys.stderr)
            return 1
    with open(lx_log, errors="replace") as f:
        lfigs, lskips, release = parse_linux(f.read())
    with open(kelp_log, errors="replace") as f:
        kelp = parse_kelp(f.read())
    linux = (lfigs, lskips)
    text = report(args, linux, kelp, release, qemu)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.readme:
        with open(args.readme) as f:
            readme = f.read()
        try:
            readme = replace_readme_table(readme, table(linux, kelp, release))
        except ValueError as e:
            print(f"bench-compare: {args.readme}: {e}", file=sys.stderr)
            return 1
        with open(args.readme, "w") as f:
            f.write(readme)
    missing = [f"Kelp {k}" for k, *_ in ROWS if k not in kelp[0]] + \
        [f"Linux {k}" for k, label, *_ in ROWS if k not in lfigs and "Kelp only" not in label]
    if missing:
        print("bench-compare: no figure for " + ", ".join(missing), file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
