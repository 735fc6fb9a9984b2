"""Boot: banner, prompt, command line, kernel log."""
import re

from conftest import SHARED_CMDLINE
from kelp import BANNER, PROMPT


def test_banner_and_prompt(kelp_factory):
    k = kelp_factory("")
    k.expect_exact(BANNER, timeout=60)
    k.wait_prompt()
    assert PROMPT in k.log


def test_proc_cmdline(kelp):
    out = kelp.run("cat /proc/cmdline")
    assert SHARED_CMDLINE in out


def test_proc_cmdline_own_boot(kelp_factory):
    k = kelp_factory("kelp.test=bananas answer=7 loglevel=7")
    k.wait_prompt()
    assert "kelp.test=bananas answer=7 loglevel=7" in k.run("cat /proc/cmdline")


def test_dmesg_has_banner(kelp):
    out = kelp.run("dmesg")
    assert BANNER in out
    assert "Command line: " + SHARED_CMDLINE in out


def test_version(kelp):
    # Linux's wording: "<name> version <release> ..."
    assert "Kelp version 0.1" in kelp.run("version")
    assert "Kelp version 0.1" in kelp.run("cat /proc/version")


def _seconds(text):
    m = re.search(r"\d+(?:\.\d+)?", text)
    assert m, "no number in %r" % text
    return float(m.group(0))


def test_uptime(kelp):
    first = _seconds(kelp.run("uptime"))
    second = _seconds(kelp.run("uptime"))
    assert 0 <= first <= second < 3600


def test_proc_uptime(kelp):
    assert _seconds(kelp.run("cat /proc/uptime")) >= 0


def test_proc_meminfo(kelp):
    out = kelp.run("cat /proc/meminfo")
    assert re.search(r"\d", out), out
    assert "not found" not in out and "No such file" not in out, out
