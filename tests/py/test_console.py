"""The console as a shell user expects it, through the real serial console:
sh's quotes, backslashes and comments, and Ctrl-C for the command in the
foreground."""
import re

from kelp import PROMPT
from klpproto import KlpClient

CTRL_C = "\x03"


def test_quotes(kelp):
    assert kelp.run("echo 'a  b' \"c  d\"") == "a  b c  d"
    assert kelp.run("echo 'say \"hi\"' \"it's\"") == "say \"hi\" it's"
    assert kelp.run("echo \"back\\\\slash \\\"q\\\"\" 'no\\escape'") == "back\\slash \"q\" no\\escape"
    assert kelp.run("echo a\\ b") == "a b"
    # a quoted value with a blank, written to a file as one write
    assert kelp.run("echo \"1234\" > '/sys/kernel/kelp/test_int'") == ""
    assert kelp.run("cat /sys/kernel/kelp/test_int") == "1234"
    assert "unterminated quote" in kelp.run("echo 'open")
    assert kelp.run("echo ok") == "ok"


def test_comments(kelp):
    # as the README's examples write them
    out = kelp.run("cat /proc/cmdline                          # \"this has been live patched\"")
    assert "kelp.test=hello" in out and "No such file" not in out, out
    assert kelp.run("# a line that is only a comment") == ""
    assert kelp.run("echo \"#kept\" '#kept too' a#b # dropped") == "#kept #kept too a#b"
    assert kelp.run("echo 5 > /sys/kernel/kelp/test_int   # set it") == ""
    assert kelp.run("cat /sys/kernel/kelp/test_int") == "5"


def test_ctrl_c_interrupts_spawn_w(kelp):
    """A looping program in the foreground: Ctrl-C kills it as SIGINT does
    (exit status 128 + 2) and the shell is back; the program is gone."""
    kelp.drain()
    kelp.send("spawn -w spin\r")
    kelp.expect(r"spawned spin pid (\d+)")
    pid = int(kelp.child.match.group(1))
    # it runs (asked over the patch channel: the console is busy)
    c = KlpClient(kelp.com2_path)
    try:
        c.hello()
        assert c.cmd("fs.stat /proc/%d" % pid)[0] == 0
    finally:
        c.close()
    kelp.send(CTRL_C)
    kelp.expect(r"\^C\r*\nexit status 130\r*\n" + re.escape(PROMPT))
    ps = kelp.run("ps")
    assert not re.search(r"^\s*%d\s" % pid, ps, re.M), ps
    assert kelp.run("echo ok") == "ok"
    # without Ctrl-C the program runs to its end as before
    out = kelp.run("spawn -w spin 1", timeout=30)
    assert "exit status 0" in out


def test_ctrl_c_keeps_the_shell_and_typeahead(kelp):
    """What is typed while a command runs waits for the prompt; Ctrl-C
    throws away what was typed before it, as a tty does."""
    kelp.drain()
    kelp.send("spawn -w sleep 1500\r")
    kelp.expect(r"spawned sleep pid \d+")
    kelp.send("echo typed-ahead\r")
    kelp.expect(r"exit status 0\r*\n" + re.escape(PROMPT), timeout=10)
    kelp.expect(r"typed-ahead\r*\n" + re.escape(PROMPT))
    kelp.drain()
    kelp.send("spawn -w spin\r")
    kelp.expect(r"spawned spin pid \d+")
    start = len(kelp.log)
    kelp.send("echo discarded\r" + CTRL_C)
    kelp.expect(r"exit status 130\r*\n" + re.escape(PROMPT))
    assert kelp.run("echo after") == "after"
    assert "discarded" not in kelp.log[start:], kelp.log[start:]
