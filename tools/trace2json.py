#!/usr/bin/python3
"""Convert a captured tracefs `trace` (or trace_pipe) text into Chrome Trace
Event JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing open.

    tools/trace2json.py trace.txt > trace.json     (or: ... < trace.txt)

Every trace line `comm-pid [cpu] flags sec.usec: func <-parent` becomes one
instant event ("ph": "i") on thread pid of process 0, named after func, with
the parent, CPU and flags as args. Comment lines (#...) and anything else are
skipped; the count of skipped non-comment lines goes to stderr.
"""
import json
import re
import sys

LINE = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<flags>\S+)\s+"
    r"(?P<sec>\d+)\.(?P<usec>\d+):\s+(?P<func>\S+)(?:\s+<-(?P<parent>\S+))?\s*$")


def parse(lines):
    """Yields one dict per trace line."""
    for line in lines:
        m = LINE.match(line.rstrip("\n"))
        if m:
            yield m.groupdict()


def convert(lines):
    events, skipped = [], 0
    for line in lines:
        text = line.rstrip("\n")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        m = LINE.match(text)
        if not m:
            skipped += 1
            continue
        d = m.groupdict()
        ts_us = int(d["sec"]) * 1000000 + int(d["usec"].ljust(6, "0")[:6])
        events.append({
            "name": d["func"],
            "cat": "function",
            "ph": "i",
            "s": "t",
            "ts": ts_us,
            "pid": 0,
            "tid": int(d["pid"]),
            "args": {"parent": d["parent"] or "", "cpu": int(d["cpu"]),
                     "flags": d["flags"], "comm": d["comm"].strip()},
        })
    return {"traceEvents": events, "displayTimeUnit": "ns"}, skipped


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        sys.stderr.write(__doc__)
        return 2
    src = open(argv[1]) if len(argv) == 2 else sys.stdin
    with src:
        doc, skipped = convert(src)
    json.dump(doc, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")
    if skipped:
        sys.stderr.write("trace2json: skipped %d unrecognised lines\n" % skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
