"""Kernel threads ignore signals, as in Linux: `kill` of the livepatch
transition worker or the patch channel's thread (any kernel thread) is
refused with a message and changes nothing. (It used to end the worker's
loop, so no transition ever finished again, and to leave the channel
thread spinning on a pending signal.) The shell's demo threads opt in."""
import re
import time

import pytest

from kelp import Kelp, blob_file, unload_builtin

LP = "/sys/kernel/livepatch"


@pytest.fixture(scope="module")
def k():
    k = Kelp("", name="kthread_kill")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def ps(k):
    rows = {}
    for line in k.run("ps").split("\n")[1:]:
        f = line.split()
        rows[f[4]] = (int(f[0]), int(f[3]))
    return rows


def refused(k, name):
    pid, _ = ps(k)[name]
    assert k.run("kill %d" % pid) == \
        "kill: %d: %s is a kernel thread, it ignores signals" % (pid, name)
    assert ps(k)[name][0] == pid


def test_transitions_finish_after_killing_the_worker(k):
    out = k.run("klp load test_klp_livepatch", timeout=20)
    assert out.count("'test_klp_livepatch': patching complete") == 1, out
    refused(k, "klp_transition")  # started by the first transition
    k.run("echo 0 > %s/test_klp_livepatch/enabled" % LP, timeout=20)
    end = time.time() + 20
    while k.run("ls %s" % LP) != "" and time.time() < end:
        time.sleep(0.5)
    assert k.run("ls %s" % LP) == ""
    assert unload_builtin(k, "test_klp_livepatch")
    out = k.run("klp load test_klp_livepatch", timeout=20)
    assert out.count("'test_klp_livepatch': patching complete") == 1, out
    k.run("echo 0 > %s/test_klp_livepatch/enabled" % LP, timeout=20)
    assert k.run("ls %s" % LP) == ""
    assert unload_builtin(k, "test_klp_livepatch")


def test_channel_serves_and_idles_after_a_kill(k):
    refused(k, "patchchan")
    assert k.klpctl("load", blob_file("hello_module"), "whom=after_kill").returncode == 0
    assert k.klpctl("unload", "hello_module").returncode == 0
    _, t0 = ps(k)["patchchan"]
    time.sleep(2)
    _, t1 = ps(k)["patchchan"]
    assert t1 - t0 < 200, (t0, t1)  # asleep, not spinning on a signal


def test_demo_threads_still_stop_on_kill(k):
    out = k.run("kthread sleep killme")
    pid = int(re.search(r"started sleep pid (\d+)", out).group(1))
    assert k.run("kill %d" % pid) == ""
    assert "killme" not in ps(k)
