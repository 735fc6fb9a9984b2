"""The console as a shell user expects it, through the real serial console:
history, cursor editing, Tab completion, Ctrl-W/Ctrl-U, sh's quotes and
comments, `clear`, and Ctrl-C for the command in the foreground."""
import re

from kelp import PROMPT
from klpproto import KlpClient


def keys(k, seq, timeout=10):
    """Types seq (ending in Enter) and returns what the command printed: the
    text between the line the editor drew (its first row) and the prompt."""
    k.drain()
    k.send(seq)
    k.expect(r"\n" + re.escape(PROMPT), timeout=timeout)
    out = k.child.before.replace("\r", "")
    return out.split("\n", 1)[1].rstrip("\n") if "\n" in out else ""


UP, DOWN, LEFT, RIGHT = "\x1b[A", "\x1b[B", "\x1b[D", "\x1b[C"
HOME, END = "\x1b[H", "\x1b[F"
CTRL_A, CTRL_E, CTRL_U, CTRL_W, CTRL_C = "\x01", "\x05", "\x15", "\x17", "\x03"


def test_history_recall(kelp):
    assert kelp.run("echo hist-first") == "hist-first"
    assert kelp.run("echo hist-second") == "hist-second"
    assert keys(kelp, UP + "\r") == "hist-second"
    # the repeat just entered was kept once: two up is the first again
    assert keys(kelp, UP + UP + "\r") == "hist-first"
    # down comes back to what was being typed
    assert keys(kelp, "echo typed" + UP + UP + DOWN + DOWN + "\r") == "typed"
    # a recalled line can be edited
    assert keys(kelp, UP + CTRL_W + "edited\r") == "edited"


def test_cursor_editing(kelp):
    assert keys(kelp, "echo helo" + LEFT + "l\r") == "hello"
    assert keys(kelp, "cho x" + CTRL_A + "e" + CTRL_E + "y\r") == "xy"
    assert keys(kelp, "cho 1" + HOME + "e" + END + "2\r") == "12"
    assert keys(kelp, "echo abc" + LEFT + LEFT + "\x7f" + RIGHT + RIGHT + "d\r") == "bcd"
    # Delete (ESC [ 3 ~) takes the byte under the cursor
    assert keys(kelp, "echo abc" + HOME + "\x1b[3~" * 6 + "echo \r") == "bc"


def test_ctrl_w_and_ctrl_u(kelp):
    assert keys(kelp, "echo one two" + CTRL_W + "three\r") == "one three"
    assert keys(kelp, "echo one two   " + CTRL_W + CTRL_W + "four\r") == "four"
    assert keys(kelp, "junk junk" + CTRL_U + "echo ok\r") == "ok"
    # Ctrl-U takes what is before the cursor only
    assert keys(kelp, "xxecho ok" + CTRL_A + RIGHT + RIGHT + CTRL_U + "\r") == "ok"


def test_tab_completes_commands(kelp):
    out = keys(kelp, "upt\t\r")
    assert re.match(r"up \d+\.\d\d seconds$", out), out
    # ambiguous: the second Tab lists the candidates (in name order), the
    # line stays
    names = [l.split()[0] for l in kelp.run("help").splitlines() if l.strip()]
    ks = sorted(n for n in names if n.startswith("k"))
    assert len(ks) > 1, names
    kelp.drain()
    kelp.send("k\t\t")
    kelp.expect(r"\n" + r" +".join(map(re.escape, ks)) + r" *\r*\n")
    kelp.expect(re.escape(PROMPT) + "k")
    kelp.send(CTRL_U + "echo still\r")
    kelp.expect(r"still\r*\n" + re.escape(PROMPT))


def test_tab_completes_paths(kelp):
    out = keys(kelp, "cat /proc/cmdl\t\r")
    assert "kelp.test=hello" in out
    # directories end in /, the file then gets a blank
    kelp.drain()
    kelp.send("ls /sys/ke\t")
    kelp.expect_exact("ls /sys/kernel/")
    kelp.send("tr\t")
    kelp.expect_exact("tracing/")
    kelp.send("trace_p\t")
    kelp.expect_exact("trace_pipe ")
    kelp.send("\r")
    kelp.expect(r"/sys/kernel/tracing/trace_pipe\r*\n" + re.escape(PROMPT))
    # after a redirection too
    assert keys(kelp, "echo 77 > /sys/kernel/kelp/test_i\t\r") == ""
    assert kelp.run("cat /sys/kernel/kelp/test_int") == "77"


def test_tab_completes_spawn_programs(kelp):
    out = keys(kelp, "spawn -w hel\t\r")
    assert "spawned hello pid" in out and "exit status 0" in out, out
    kelp.drain()
    kelp.send("spawn -\t")
    kelp.expect_exact("spawn -w ")
    kelp.send(CTRL_U + "echo ok\r")
    kelp.expect(r"ok\r*\n" + re.escape(PROMPT))


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


def test_clear(kelp):
    kelp.drain()
    kelp.send("clear\r")
    kelp.expect(re.escape("\x1b[H\x1b[2J") + r".*" + re.escape(PROMPT))
    assert "clear: usage" in kelp.run("clear now")


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
