"""The whole-system fuzzer (tools/fuzz-system.py) inside `make test`: a short
campaign with a fixed seed (KELP_FUZZ_SYSTEM_SECONDS, default 25 s), then
every saved reproducer in tests/fuzz-system/repro/, each on a fresh kernel.
A reproducer whose status is "open" (found, not fixed yet) is an expected
failure that must still fail (strict xfail): when it starts passing, mark it
"fixed". An open finding marked "racy" (a race the program does not win every
run) is skipped, not failed, on a run where it did not reproduce. `make fuzz-system FUZZ_SECONDS=N [SEED=S]` runs a long campaign."""
import glob
import importlib.util
import json
import os
import time

import pytest

from kelp import ROOT

_spec = importlib.util.spec_from_file_location("fuzz_system",
                                               os.path.join(ROOT, "tools", "fuzz-system.py"))
fs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fs)

SEED = 13
REPROS = sorted(glob.glob(os.path.join(fs.REPRO_DIR, "*.json")))


def test_short_campaign(capsys):
    budget = float(os.environ.get("KELP_FUZZ_SYSTEM_SECONDS", "25"))
    t0 = time.monotonic()
    done, programs, i = 0, 0, 0
    while time.monotonic() - t0 < budget:
        ops = fs.gen_program(SEED * 1000 + i, 12)
        i += 1
        found, n = fs.run_program(ops, "fuzz_system_short")
        done += n
        programs += 1
        listing = "\n".join("  [%d] %s" % (j, fs.fmt_op(o)) for j, o in enumerate(ops))
        assert found is None, "program seed %d, step %d: %s\n%s" % (
            SEED * 1000 + i - 1, found.step, found, listing)
    with capsys.disabled():
        print("\nfuzz-system: %d programs, %d operations in %.0f s" %
              (programs, done, time.monotonic() - t0))
    assert done > 0


@pytest.mark.parametrize("path", REPROS, ids=[os.path.basename(p)[:-5] for p in REPROS])
def test_reproducer(path):
    with open(path) as f:
        doc = json.load(f)
    found, _ = fs.run_program(doc["ops"], "fuzz_system_" + doc["name"])
    if doc.get("status") == "open":
        if found is not None:
            pytest.xfail("open finding %s still reproduces: %s" % (doc["name"], found))
        if doc.get("racy"):
            pytest.skip("open racy finding %s did not reproduce this run" % doc["name"])
        pytest.fail("open finding %s no longer reproduces: mark it fixed" % doc["name"])
    assert found is None, "%s (%s) is back: %s\n%s" % (doc["name"], doc["found"], found,
                                                        "\n".join(doc["program"]))
