"""klpctl explains itself, end to end through a booted test kernel: a refused
load prints the kernel's own reason (the console's lines) and the errno once."""
import re

import pytest

from kelp import Kelp, blob_file

blob = blob_file


@pytest.fixture(scope="module")
def k():
    kk = Kelp("kelp.ux=1", name="klpctl_ux")
    kk.boot()
    kk.wait_prompt()
    yield kk
    kk.close()


def listed(k, name):
    return re.search(r"(?m)^%s\s" % name, k.run("lsmod")) is not None


@pytest.mark.parametrize("name,reason", [
    ("ux_typo", "livepatch: symbol 'cmdline_proc_shwo' not found in symbol table"),
    ("ux_notrace", "livepatch: failed to find location for function 'sched_running'"),
    ("ux_nomodinfo", "livepatch: module ux_nomodinfo is not marked as a livepatch module"),
])
def test_refused_load_says_why(k, name, reason):
    start = len(k.log)
    r = k.klpctl("load", blob(name))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "klpctl: %s\n" % reason in r.stderr, r.stderr
    assert "klpctl: %s: init failed: Invalid argument (-22)\n" % name in r.stderr, r.stderr
    assert r.stderr.count("-22") == 1, r.stderr
    # the same reason the console showed
    k.drain()
    assert reason in k.log[start:]
    assert not listed(k, name)
