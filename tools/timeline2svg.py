#!/usr/bin/python3
"""Draws a livepatch transition (the Chrome Trace Event JSON of
`klpctl timeline NAME -o t.json`) as an SVG picture, for
`klpctl timeline NAME --svg t.svg`:

    tools/timeline2svg.py t.json t.svg

One row per task, time across (ms of guest time from the transition's
start); a grey bar while the task is marked and not yet switched, over it
the intervals its checks found it blocked, coloured by the reason, and a
green mark where it switched. The top row is the transition itself: its
span, start, reversals and completion. A legend names the colours.
"""
import json
import sys
from xml.sax.saxutils import escape

COLOURS = {
    "running": "#f28e2b",
    "sleeping": "#e15759",
    "unreliable_stack": "#b07aa1",
    "error": "#7f7f7f",
}
LEGEND = [("pending (marked, not switched)", "#d9d9d9"),
          ("blocked: running", COLOURS["running"]),
          ("blocked: sleeping in a patched function", COLOURS["sleeping"]),
          ("blocked: unreliable stack", COLOURS["unreliable_stack"]),
          ("blocked: other error", COLOURS["error"]),
          ("switched", "#59a14f")]
ROW, LEFT, RIGHT, TOP = 22, 190, 30, 58
WIDTH = 1000


def load(path):
    with open(path) as f:
        doc = json.load(f)
    names, rows = {}, {}
    events = []
    for e in doc["traceEvents"]:
        if e.get("ph") == "M":
            if e["name"] == "thread_name":
                names[(e["pid"], e["tid"])] = e["args"]["name"]
            elif e["name"] == "process_name" and e["pid"] == 0:
                names["title"] = e["args"]["name"]
            continue
        events.append(e)
        rows.setdefault((e["pid"], e["tid"]), []).append(e)
    return doc, names, rows, events


def seconds(us):
    """A duration as a person reads it: 17.999 s, not 17999015 us."""
    return "%.3f s" % (us / 1e6) if us >= 1e6 else "%.3f ms" % (us / 1e3)


def draw(doc, names, rows, events):
    if not events:
        raise SystemExit("timeline2svg: no events")
    t0 = min(e["ts"] for e in events)
    t1 = max(e["ts"] + e.get("dur", 0) for e in events)
    span = max(t1 - t0, 1.0)
    # the transition's own row (process 0) first, then the tasks by pid
    order = sorted(rows)
    height = TOP + ROW * len(order) + 40 + 18 * ((len(LEGEND) + 2) // 3)
    plot = WIDTH - LEFT - RIGHT

    def x(ts):
        return LEFT + (ts - t0) / span * plot

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (WIDTH, height),
           '<rect width="100%" height="100%" fill="white"/>']
    other = doc.get("otherData", {})
    title = names.get("title", "livepatch transition")
    out.append('<text x="10" y="20" font-size="15" font-weight="bold">%s</text>' %
               escape("%s, %s in %s of guest time" % (title, other.get("state", ""),
                                                     seconds(span))))
    # time axis: at most 10 ticks, 1, 2 or 5 times a power of ten ms apart
    span_ms, step = span / 1000.0, 0.001
    while span_ms / step > 10:
        for m in (2, 2.5, 2):
            step *= m
            if span_ms / step <= 10:
                break
    tick, y_axis = 0.0, TOP - 8
    while tick * 1000.0 <= span + 1e-9:
        xx = x(t0 + tick * 1000.0)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>' %
                   (xx, y_axis, xx, TOP + ROW * len(order)))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%g ms</text>' %
                   (xx, y_axis - 4, round(tick, 6)))
        tick += step
    for i, tid in enumerate(order):
        y = TOP + ROW * i
        label = names.get(tid, "pid %d" % tid[1])
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' %
                   (LEFT - 8, y + 15, escape(label)))
        evs = sorted(rows[tid], key=lambda e: e["ts"])
        if tid[0] == 0:
            for e in evs:
                if e["ph"] == "X":
                    out.append('<rect x="%.1f" y="%d" width="%.1f" height="8" fill="#4e79a7">'
                               '<title>%s</title></rect>' %
                               (x(e["ts"]), y + 7, max(x(e["ts"] + e["dur"]) - x(e["ts"]), 1),
                                escape(e["name"])))
            for e in evs:
                if e["ph"] == "i":
                    xx = x(e["ts"])
                    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#1f3b5a" '
                               'stroke-width="2"><title>%s</title></line>' %
                               (xx, y + 2, xx, y + 20, escape(e["name"])))
            continue
        marked = [e["ts"] for e in evs if e["name"] == "marked"]
        switched = [e for e in evs if e["name"] == "switched"]
        for m in marked:
            end = next((s["ts"] for s in switched if s["ts"] >= m), t1)
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="12" fill="%s"/>' %
                       (x(m), y + 5, max(x(end) - x(m), 1), LEGEND[0][1]))
        for e in evs:
            if e["ph"] != "X":
                continue
            reason = e["args"].get("reason", "error")
            w = max(x(e["ts"] + e["dur"]) - x(e["ts"]), 2)
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="12" fill="%s"><title>%s '
                       '(%d checks)</title></rect>' %
                       (x(e["ts"]), y + 5, w, COLOURS.get(reason, COLOURS["error"]),
                        escape(e["name"]), e["args"].get("checks", 0)))
            if w > 7 * len(e["name"]):
                out.append('<text x="%.1f" y="%d" fill="white" font-size="10">%s</text>' %
                           (x(e["ts"]) + 3, y + 15, escape(e["name"])))
        for s in switched:
            xx = x(s["ts"])
            out.append('<path d="M%.1f %d l5 6 l-5 6 l-5 -6 z" fill="%s"><title>switched (%s)'
                       '</title></path>' % (xx, y + 5, LEGEND[-1][1],
                                           escape(s.get("args", {}).get("how", ""))))
    ly = TOP + ROW * len(order) + 24
    for k, (text, colour) in enumerate(LEGEND):
        lx = 10 + (k % 3) * 330
        yy = ly + 18 * (k // 3)
        out.append('<rect x="%d" y="%d" width="14" height="10" fill="%s"/>' %
                   (lx, yy - 9, colour))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 20, yy, escape(text)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    svg = draw(*load(argv[1]))
    with open(argv[2], "w") as f:
        f.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
