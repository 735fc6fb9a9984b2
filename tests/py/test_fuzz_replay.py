"""Replays every committed fuzz corpus file (tests/fuzz/corpus/) through its
libFuzzer target once (make fuzz-replay): the crash regressions and seeds
must all pass under ASan + UBSan. Real campaigns are `make fuzz`."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_fuzz_replay():
    r = subprocess.run(["make", "--no-print-directory", "-s", "fuzz-replay"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:]
    last = r.stdout.strip().splitlines()[-1]
    assert last.endswith(" 0 failed") and not last.startswith("0 passed"), r.stdout[-4000:]
