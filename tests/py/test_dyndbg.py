"""Kelp's default log is Linux's: its own extra lines (the loader's, the
channel's) are pr_debug sites, off until switched on through
/sys/kernel/debug/dynamic_debug/control with Linux's query syntax
(kernel/dynamic_debug.c), like Linux's own pr_debug lines; the transition
time is in /sys/kernel/livepatch/NAME/transition_us."""
import re

import pytest

from kelp import Kelp, blob_file

CONTROL = "/sys/kernel/debug/dynamic_debug/control"
LP = "/sys/kernel/livepatch"
KELP_ONLY = (r"patchchan: received ", r"module: loaded ", r"module: unloaded ")


@pytest.fixture(scope="module")
def k():
    k = Kelp("", name="dyndbg")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def ctl(k, query):
    return k.run('echo "%s" > %s' % (query, CONTROL))


def sites(k):
    """{(file, function, format): flags} from reading the control."""
    out = {}
    lines = k.run("cat %s" % CONTROL).splitlines()
    assert lines[0] == "# filename:lineno [module]function flags format", lines[:2]
    for line in lines[1:]:
        m = re.match(r'^(\S+):(\d+) \[(\w+)\](\w+) =(\w+) "(.*)"$', line)
        assert m, line
        out[(m.group(1), m.group(3), m.group(4), m.group(6))] = m.group(5)
    return out


def flags_of(k, text):
    found = [f for key, f in sites(k).items() if text in key[3]]
    assert found, text
    return found


def cycle(k):
    """Load, patch, unpatch and unload livepatch-sample over COM2."""
    k.klpctl("load", blob_file("livepatch-sample"), check=True)
    k.klpctl("wait", "livepatch_sample", check=True)
    us = k.run("cat %s/livepatch_sample/transition_us" % LP)
    k.klpctl("disable", "livepatch_sample", check=True)
    k.klpctl("wait", "livepatch_sample", check=True)
    k.klpctl("unload", "livepatch_sample", check=True)
    return us


def test_control_lists_sites_off_by_default(k):
    s = sites(k)
    assert len(s) >= 10
    mods = {key[1] for key in s}
    assert {"livepatch", "module", "patchchan"} <= mods, mods
    assert set(s.values()) == {"_"}, s
    key = [key for key in s if key[2] == "klp_try_switch_task" and "is sleeping" in key[3]]
    assert key and key[0][0] == "livepatch/transition.c" and key[0][1] == "livepatch", key
    # the format is shown escaped, newline as \012
    assert key[0][3].endswith("\\012"), key


def test_default_log_has_no_kelp_only_lines(k):
    seq0 = k.run("dmesg")
    us = cycle(k)
    log = k.run("dmesg")[len(seq0) - 200:]
    assert "livepatch: 'livepatch_sample': patching complete" in log
    for pat in KELP_ONLY + (r"initializing patching transition", r"transition took"):
        assert not re.search(pat, log), (pat, log[-2000:])
    # the duration moved to sysfs
    assert re.fullmatch(r"\d+", us) and int(us) > 0, us


def test_func_file_module_queries(k):
    ctl(k, "module patchchan +p")
    ctl(k, "file kernel/module/main.c +p")
    ctl(k, "func module_unload +p")
    ctl(k, "func klp_init_transition +p")
    assert flags_of(k, "received %s") == ["p"]
    assert flags_of(k, "loaded %s (") == ["p"]
    assert flags_of(k, "initializing %s transition") == ["p"]
    try:
        cycle(k)
        log = k.run("dmesg")
        assert re.search(r"patchchan: received livepatch_sample: \d+ bytes in \d+ ms", log)
        assert re.search(r"module: loaded livepatch_sample \(\d+ bytes", log)
        assert "livepatch: 'livepatch_sample': initializing patching transition" in log
        assert "module: unloaded livepatch_sample" in log
        # only what was asked for: the livepatch core's other sites stay off
        assert "completing patching transition" not in log
    finally:
        ctl(k, "module patchchan -p; file main.c -p")
        ctl(k, "func module_unload -p")
        ctl(k, "func klp_init_transition -p")
    assert set(sites(k).values()) == {"_"}
    n = len(k.run("dmesg"))
    cycle(k)
    assert "patchchan: received" not in k.run("dmesg")[n - 200:]


def test_linux_harness_query(k):
    """Linux's selftest harness (functions.sh, set_dynamic_debug) writes
    these two lines; Kelp's livepatch/ answers to Linux's kernel/livepatch/
    path, so they switch on the same lines as in Linux."""
    k.run("echo \"file kernel/livepatch/* +p\" > %s" % CONTROL)
    ctl(k, "func klp_try_switch_task -p")
    try:
        assert flags_of(k, "initializing %s transition") == ["p"]
        assert set(flags_of(k, "is sleeping on function")) == {"_"}
        assert flags_of(k, "received %s") == ["_"]
    finally:
        ctl(k, "file kernel/livepatch/* -p")
    assert set(sites(k).values()) == {"_"}


def test_bad_queries_refused(k):
    for q in ("frobnicate x +p", "func", "func x p", "func x +z", "line abc +p"):
        out = ctl(k, q)
        assert "Invalid argument" in out, (q, out)
    assert set(sites(k).values()) == {"_"}


def test_boot_parameter_module_dyndbg():
    """Linux's MODULE.dyndbg=FLAGS on the command line."""
    k = Kelp("patchchan.dyndbg=+p", name="dyndbg_boot")
    k.boot()
    k.wait_prompt()
    try:
        assert flags_of(k, "received %s") == ["p"]
        assert set(flags_of(k, "loaded %s (")) == {"_"}
    finally:
        k.close()
