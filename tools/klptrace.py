#!/usr/bin/python3
"""The function tracer's text (tracefs `trace`) as Chrome Trace Event JSON,
for `klpctl trace -o FILE.json`: tools/trace2json.py's conversion, plus the
metadata that names each thread (`comm-pid`, from the trace's TASK column)
and the process, so that Perfetto and chrome://tracing label the tracks.

    tools/klptrace.py TRACE.txt OUT.json      (OUT "-": stdout)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trace2json  # noqa: E402


def with_names(doc):
    names = {}
    for e in doc["traceEvents"]:
        comm = e.get("args", {}).get("comm")
        if comm and e.get("tid") is not None:
            names.setdefault(e["tid"], comm)
    meta = [{"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "kelp"}}]
    for tid, comm in sorted(names.items()):
        meta.append({"ph": "M", "name": "thread_name", "pid": 0, "tid": tid,
                     "args": {"name": "%s-%d" % (comm, tid)}})
    doc["traceEvents"] = meta + doc["traceEvents"]
    return doc


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        doc, skipped = trace2json.convert(f)
    doc = with_names(doc)
    out = sys.stdout if argv[2] == "-" else open(argv[2], "w")
    with out:
        json.dump(doc, out, separators=(",", ":"))
        out.write("\n")
    n = sum(1 for e in doc["traceEvents"] if e.get("ph") != "M")
    sys.stderr.write("klpctl trace: %d events from %d threads%s\n" % (
        n, len(doc["traceEvents"]) - n - 1,
        ", %d lines not understood" % skipped if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
