/* Self-tests for the shell: tokenising, the line editor, and running
 * commands with their exact output and error lines (captured, not printed). */
#include <kelp/ktest.h>
#include <kelp/shell.h>
#include <kelp/seq_file.h>
#include <kelp/pseudofs.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/printk.h>

KTEST(shell, parse_words_and_blanks)
{
	struct shell_cmdline cl;
	KASSERT_EQ(shell_parse_line("  ls   /proc\t x ", &cl), 0);
	KEXPECT_EQ(cl.argc, 3);
	KEXPECT_STREQ(cl.argv[0], "ls");
	KEXPECT_STREQ(cl.argv[1], "/proc");
	KEXPECT_STREQ(cl.argv[2], "x");
	KEXPECT_TRUE(cl.argv[3] == NULL);
	KEXPECT_EQ(cl.redirect, SHELL_REDIRECT_NONE);
	KASSERT_EQ(shell_parse_line("   ", &cl), 0);
	KEXPECT_EQ(cl.argc, 0);
}

KTEST(shell, parse_quotes)
{
	struct shell_cmdline cl;
	KASSERT_EQ(shell_parse_line("echo \"a  b\" c\"d e\"f \"\" \">\"", &cl), 0);
	KEXPECT_EQ(cl.argc, 5);
	KEXPECT_STREQ(cl.argv[1], "a  b");
	KEXPECT_STREQ(cl.argv[2], "cd ef");
	KEXPECT_STREQ(cl.argv[3], "");
	KEXPECT_STREQ(cl.argv[4], ">");
	KEXPECT_EQ(cl.redirect, SHELL_REDIRECT_NONE);
	KEXPECT_EQ(shell_parse_line("echo \"open", &cl), -EINVAL);
}

KTEST(shell, parse_redirects)
{
	struct shell_cmdline cl;
	KASSERT_EQ(shell_parse_line("echo 1 > /x", &cl), 0);
	KEXPECT_EQ(cl.argc, 2);
	KEXPECT_EQ(cl.redirect, SHELL_REDIRECT_WRITE);
	KEXPECT_STREQ(cl.redirect_path, "/x");
	KASSERT_EQ(shell_parse_line("echo 1>/x", &cl), 0);
	KEXPECT_EQ(cl.argc, 2);
	KEXPECT_STREQ(cl.argv[1], "1");
	KEXPECT_STREQ(cl.redirect_path, "/x");
	KASSERT_EQ(shell_parse_line("echo 2 >> \"/a b\"", &cl), 0);
	KEXPECT_EQ(cl.redirect, SHELL_REDIRECT_APPEND);
	KEXPECT_STREQ(cl.redirect_path, "/a b");
	KASSERT_EQ(shell_parse_line("> /x echo 3", &cl), 0);
	KEXPECT_EQ(cl.argc, 2);
	KEXPECT_STREQ(cl.argv[0], "echo");
	KEXPECT_EQ(shell_parse_line("echo 1 >", &cl), -EBADMSG);
	KEXPECT_EQ(shell_parse_line("echo 1 > /a > /b", &cl), -EBADMSG);
	KEXPECT_EQ(shell_parse_line("echo 1 > > /a", &cl), -EBADMSG);
}

KTEST(shell, parse_limits)
{
	struct shell_cmdline cl;
	char line[SHELL_LINE_MAX + 2];
	/* 33 one-letter words: one too many. */
	int n = 0;
	for (int i = 0; i < SHELL_MAX_ARGS + 1; i++) {
		line[n++] = 'a';
		line[n++] = ' ';
	}
	line[n] = 0;
	KEXPECT_EQ(shell_parse_line(line, &cl), -E2BIG);
	line[2 * SHELL_MAX_ARGS] = 0;
	KEXPECT_EQ(shell_parse_line(line, &cl), 0);
	KEXPECT_EQ(cl.argc, SHELL_MAX_ARGS);
	memset(line, 'x', SHELL_LINE_MAX + 1);
	line[SHELL_LINE_MAX + 1] = 0;
	KEXPECT_EQ(shell_parse_line(line, &cl), -E2BIG);
	line[SHELL_LINE_MAX] = 0;
	KEXPECT_EQ(shell_parse_line(line, &cl), 0);
}

static enum shell_ed_result feed(struct shell_editor *ed, const char *s)
{
	enum shell_ed_result r = SHELL_ED_MORE;
	for (; *s; s++)
		r = shell_editor_feed(ed, (unsigned char)*s);
	return r;
}

KTEST(shell, editor_editing_keys)
{
	struct shell_editor ed = { .echo = false };
	shell_editor_reset(&ed);
	KEXPECT_EQ(feed(&ed, "lx\x7fs /p\bproc\r"), SHELL_ED_LINE);
	KEXPECT_STREQ(ed.line, "ls /proc");
	/* The LF of CRLF does not end a second, empty line. */
	shell_editor_reset(&ed);
	KEXPECT_EQ(feed(&ed, "\n"), SHELL_ED_MORE);
	/* Ctrl-U, then keys that do nothing here (no history, no completer,
	 * non-ASCII), then a cursor move: " x" goes in after "cat". */
	KEXPECT_EQ(feed(&ed, "junk\x15" "cat\x01\x02\t\x1b[A\x1bOB\xc3\xa9\x05 x\n"), SHELL_ED_LINE);
	KEXPECT_STREQ(ed.line, "cat x");
	shell_editor_reset(&ed);
	KEXPECT_EQ(feed(&ed, "at\x01" "c\x1b[F /pc\x1b[Dro\x1b[3~\n"), SHELL_ED_LINE);
	KEXPECT_STREQ(ed.line, "cat /pro");
	shell_editor_reset(&ed);
	KEXPECT_EQ(feed(&ed, "\n"), SHELL_ED_LINE); /* a lone LF is a line */
	KEXPECT_STREQ(ed.line, "");
	shell_editor_reset(&ed);
	KEXPECT_EQ(feed(&ed, "abc\x03"), SHELL_ED_CANCEL);
	shell_editor_reset(&ed);
	KEXPECT_EQ(feed(&ed, "\x7f\x7f" "ok\r"), SHELL_ED_LINE);
	KEXPECT_STREQ(ed.line, "ok");
}

KTEST(shell, editor_line_too_long)
{
	struct shell_editor ed = { .echo = false };
	shell_editor_reset(&ed);
	for (int i = 0; i < SHELL_LINE_MAX; i++)
		shell_editor_feed(&ed, 'a');
	KEXPECT_EQ(ed.len, SHELL_LINE_MAX);
	KEXPECT_EQ(shell_editor_feed(&ed, '\r'), SHELL_ED_LINE);
	shell_editor_reset(&ed);
	for (int i = 0; i < SHELL_LINE_MAX + 10; i++)
		shell_editor_feed(&ed, 'a');
	KEXPECT_EQ(ed.len, SHELL_LINE_MAX);
	KEXPECT_EQ(shell_editor_feed(&ed, '\r'), SHELL_ED_TOOLONG);
}

/* Run line capturing everything it prints; compare with want. */
static bool run(struct ktest *t, const char *line, const char *want, int want_ret)
{
	struct seq_file out = SEQ_FILE_INIT;
	int ret = shell_exec_capture(line, &out);
	bool ok = KEXPECT_STREQ(out.buf ? out.buf : "", want);
	ok &= KEXPECT_EQ(ret != 0, want_ret != 0);
	seq_file_release(&out);
	return ok;
}

KTEST(shell, command_errors)
{
	run(t, "foo", "foo: command not found\n", 1);
	run(t, "cat /x/y", "cat: /x/y: No such file or directory\n", 1);
	run(t, "cat /proc", "cat: /proc: Is a directory\n", 1);
	run(t, "ls /x/y", "ls: /x/y: No such file or directory\n", 1);
	run(t, "echo 1 > /proc/cmdline", "echo: /proc/cmdline: Permission denied\n", 1);
	run(t, "echo 1 > /proc", "echo: /proc: Is a directory\n", 1);
	run(t, "echo > /proc/cmdline", "echo: /proc/cmdline: Permission denied\n", 1);
	run(t, "echo \"x", "shell: syntax error: unterminated quote\n", 1);
	run(t, "", "", 0);
}

KTEST(shell, echo_to_attribute)
{
	struct seq_file m = SEQ_FILE_INIT;
	KASSERT_EQ(pfs_read("/sys/kernel/kelp/test_int", &m), 0);
	char saved[32];
	strlcpy(saved, m.buf, sizeof(saved));
	run(t, "echo a  \"b  c\"", "a b  c\n", 0);
	run(t, "echo 41 > /sys/kernel/kelp/test_int", "", 0);
	run(t, "cat /sys/kernel/kelp/test_int", "41\n", 0);
	run(t, "echo 0x10>>/sys/kernel/kelp/test_int", "", 0);
	run(t, "cat /sys/kernel/kelp/test_int", "16\n", 0);
	run(t, "echo abc > /sys/kernel/kelp/test_int",
	    "echo: /sys/kernel/kelp/test_int: Invalid argument\n", 1);
	run(t, "echo 4294967296 > /sys/kernel/kelp/test_int",
	    "echo: /sys/kernel/kelp/test_int: Numerical result out of range\n", 1);
	run(t, "cat /sys/kernel/kelp/test_int", "16\n", 0);
	KEXPECT_EQ(pfs_write("/sys/kernel/kelp/test_int", saved, strlen(saved)), (long)strlen(saved));
	seq_file_release(&m);
}

KTEST(shell, ls_marks_directories)
{
	struct pfs_node *d = pfs_mkdir_p("/ktest_shell/sub");
	KASSERT_TRUE(d != NULL);
	KASSERT_TRUE(pfs_create_file(pfs_lookup("/ktest_shell"), "f", 0444, NULL, NULL, NULL) != NULL);
	run(t, "ls /ktest_shell", "sub/\nf\n", 0);
	run(t, "ls /ktest_shell/f", "/ktest_shell/f\n", 0);
	pfs_remove(pfs_lookup("/ktest_shell"));
	run(t, "ls /ktest_shell", "ls: /ktest_shell: No such file or directory\n", 1);
}

KTEST(shell, commands_do_not_leak)
{
	struct kmalloc_stats a, b;
	struct seq_file out = SEQ_FILE_INIT;
	kmalloc_get_stats(&a);
	shell_exec_capture("cat /proc/meminfo /proc/version", &out);
	shell_exec_capture("echo abc > /sys/kernel/kelp/test_int", &out); /* refused: no state change */
	shell_exec_capture("echo 3 > /nope", &out);
	shell_exec_capture("help", &out);
	KEXPECT_TRUE(out.buf && strstr(out.buf, "  selftest ") != NULL);
	seq_file_release(&out);
	kmalloc_get_stats(&b);
	KEXPECT_EQ(b.objects_in_use, a.objects_in_use);
}

/* A log that wrapped says so: dmesg starts with how many lines it lost
 * (regression: it silently began wherever the ring did). */
KTEST(shell, dmesg_says_when_lines_were_lost)
{
	for (int i = 0; i < 1100; i++)
		printk(KERN_DEBUG "ktest-flood %d\n", i);
	KASSERT_TRUE(log_first_seq() > 0);
	struct seq_file out = SEQ_FILE_INIT;
	KEXPECT_EQ(shell_exec_capture("dmesg", &out), 0);
	KASSERT_TRUE(out.buf != NULL);
	unsigned long long lost = 0;
	const char *p = out.buf;
	KEXPECT_TRUE(!strncmp(p, "dmesg: ", 7));
	for (p += 7; *p >= '0' && *p <= '9'; p++)
		lost = lost * 10 + (*p - '0');
	KEXPECT_TRUE(!strncmp(p, " lines lost", 11));
	KEXPECT_GT(lost, 0);
	KEXPECT_LE(lost, log_first_seq());
	/* and the oldest line kept follows the note */
	KEXPECT_TRUE(strstr(out.buf, "ktest-flood 1099\n") != NULL);
	seq_file_release(&out);
}
