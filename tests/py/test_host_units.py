"""Host unit tests (plain C, ASan + UBSan) for the code that parses or checks
input: built from the same source files as the kernel. Each host program
prints TAP-style lines; this runs them through `make host-tests`."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_host_units():
    r = subprocess.run(["make", "--no-print-directory", "-s", "host-tests"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:]
    assert " 0 failed" in r.stdout.strip().splitlines()[-1], r.stdout[-4000:]
