"""The console's tokeniser through the real serial console: sh's quotes,
backslashes and comments."""


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
