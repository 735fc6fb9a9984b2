#!/usr/bin/python3
"""Makes docs/timeline.svg (README) from a real transition: boots the test
kernel (build/test, `make VARIANT=test all testblobs`), starts a user task
that sleeps and one that spins, loads Linux's livepatch-callbacks-busymod
(its work sleeps inside busymod_work_func) and then livepatch-callbacks-demo,
which patches that function: every task switches at once except the
worker, which holds the transition open until its sleep returns. Then
`klpctl timeline --svg` draws what the kernel recorded.

    tools/timeline-demo.py OUT.svg [OUT.json]      (make timeline-svg)
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "py"))
from kelp import TESTBLOBS, Kelp  # noqa: E402

DEMO = "livepatch_callbacks_demo"


def klpctl(k, *args):
    r = k.klpctl(*args)
    if r.returncode:
        raise SystemExit("klpctl %s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r.stdout


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    svg = os.path.abspath(argv[1])
    js = os.path.abspath(argv[2]) if len(argv) == 3 else svg[:-4] + ".json"
    blobs = [os.path.join(TESTBLOBS, b + ".klp")
             for b in ("livepatch-callbacks-busymod", "livepatch-callbacks-demo")]
    for b in blobs:
        if not os.path.exists(b):
            raise SystemExit("%s missing: run `make VARIANT=test all testblobs`" % b)
    with Kelp("kelp.timeline=1", name="timeline-demo") as k:
        k.wait_prompt()
        klpctl(k, "load", blobs[0], "sleep_secs=6")
        # both outlive the run: the VM goes with them
        k.run("spawn sleep 60000")
        k.run("spawn spin")
        time.sleep(0.3)  # the busy work is asleep in busymod_work_func now
        klpctl(k, "load", blobs[1])
        sys.stdout.write(klpctl(k, "status", DEMO))
        klpctl(k, "wait", DEMO)
        sys.stdout.write(klpctl(k, "status", DEMO))
        klpctl(k, "timeline", DEMO, "-o", js, "--svg", svg)
        klpctl(k, "remove", DEMO)
        klpctl(k, "remove", "livepatch_callbacks_busymod")
    print("wrote %s and %s" % (svg, js))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
