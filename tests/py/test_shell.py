"""The shell: commands, error messages, and robustness against odd input.
After every error the shell must still answer (`echo ok`)."""
import pytest


def still_answers(k):
    assert k.run("echo ok") == "ok"


def test_help_lists_commands(kelp):
    out = kelp.run("help")
    for cmd in ("help", "dmesg", "ls", "cat", "echo", "uptime", "poweroff", "selftest",
                "panic", "version"):
        assert cmd in out, "help does not mention %s:\n%s" % (cmd, out)


def test_echo(kelp):
    still_answers(kelp)


def test_ls_proc(kelp):
    names = kelp.run("ls /proc").split()
    for f in ("cmdline", "meminfo", "uptime", "version"):
        assert f in names, names


def test_unknown_command(kelp):
    assert "foo: command not found" in kelp.run("foo")
    still_answers(kelp)


def test_cat_missing_file(kelp):
    assert "cat: /x/y: No such file or directory" in kelp.run("cat /x/y")
    still_answers(kelp)


def test_write_read_only(kelp):
    out = kelp.run("echo 1 > /proc/cmdline")
    assert "echo: /proc/cmdline: Permission denied" in out
    still_answers(kelp)


def test_write_non_numeric(kelp):
    out = kelp.run("echo banana > /sys/kernel/kelp/test_int")
    assert "echo: /sys/kernel/kelp/test_int: Invalid argument" in out
    still_answers(kelp)


def test_write_then_read_int(kelp):
    assert kelp.run("echo 1234 > /sys/kernel/kelp/test_int") == ""
    assert kelp.run("cat /sys/kernel/kelp/test_int").strip() == "1234"
    still_answers(kelp)


def test_line_too_long(kelp):
    out = kelp.run("x" * 300)
    assert "shell: line too long (max 255 characters)" in out
    still_answers(kelp)


def test_max_length_line_accepted(kelp):
    # 255 characters is the limit itself: an unknown command, not "too long".
    out = kelp.run("y" * 255)
    assert "line too long" not in out
    assert "command not found" in out
    still_answers(kelp)


@pytest.mark.parametrize("junk", ["\x01\x02\x1b[A", "\x1b[D\x1b[C\x7f\x08", "\x00\x03\x04",
                                  "\x1b", "\xff\xfe"])
def test_control_characters(kelp, junk):
    kelp.run(junk)  # whatever it prints, a prompt must follow
    kelp.sync()     # Ctrl-C prints its own prompt: settle before the next command
    still_answers(kelp)


def test_empty_and_blank_lines(kelp):
    assert kelp.run("") == ""
    assert kelp.run("   ") == ""
    still_answers(kelp)


def test_poweroff(kelp_factory):
    k = kelp_factory("")
    k.wait_prompt()
    k.run("poweroff", wait=False)
    status = k.wait_exit(timeout=10)
    # 0 = ACPI S5 shut QEMU down; 1 would mean the debug-exit fallback ran.
    assert status == 0, "poweroff did not shut QEMU down through ACPI (status %s)" % status
    assert "Kernel panic" not in k.log
