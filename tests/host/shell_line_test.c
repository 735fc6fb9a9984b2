/* Host tests of the shell's input side (kernel/shell/line.c): the tokeniser
 * (words, sh's quotes, backslashes, comments, redirections) and the line
 * editor (cursor keys, history, Ctrl-W/U/K, Tab completion). The editor's
 * echo goes through a tiny terminal model (backspace moves left, a byte
 * overwrites the cell under the cursor), so every edit is also checked to
 * leave the screen showing exactly the line being edited. */
#include "testutil.h"
#include <kelp/errno.h>
#include <kelp/shell.h>

/* ---- a one-line terminal ---- */

#define SCREEN_W 1024
static char screen[SCREEN_W + 1];
static size_t screen_col, screen_end;
static char printed[8192]; /* what went out since screen_clear, raw */
static size_t printed_len;

static void screen_clear(void)
{
	memset(screen, 0, sizeof(screen));
	screen_col = screen_end = 0;
	printed_len = 0;
	printed[0] = 0;
}

void console_puts(const char *s)
{
	for (; *s; s++) {
		if (printed_len + 1 < sizeof(printed)) {
			printed[printed_len++] = *s;
			printed[printed_len] = 0;
		}
		if (*s == '\b') {
			if (screen_col)
				screen_col--;
		} else if (*s == '\n') {
			/* a fresh row: what follows starts a new screen line */
			memset(screen, 0, sizeof(screen));
			screen_col = screen_end = 0;
		} else if (screen_col < SCREEN_W) {
			screen[screen_col++] = *s;
			if (screen_col > screen_end)
				screen_end = screen_col;
		}
	}
}

#define PROMPT "kelp# "

/* The row as shown after the prompt (when one was drawn), trailing blanks
 * dropped; *col: the cursor's column counted from the same place. */
static const char *screen_text(size_t *col)
{
	static char t[SCREEN_W + 1];
	size_t skip = strncmp(screen, PROMPT, strlen(PROMPT)) ? 0 : strlen(PROMPT);
	size_t n = screen_end - skip;
	memcpy(t, screen + skip, n);
	while (n && (t[n - 1] == ' ' || t[n - 1] == 0))
		n--;
	t[n] = 0;
	*col = screen_col - skip;
	return t;
}

/* ---- the tokeniser ---- */

static void check_parse(const char *line, int want_ret, const char *const *want_argv,
			int want_redirect, const char *want_path)
{
	struct shell_cmdline cl;
	int ret = shell_parse_line(line, &cl);
	bool ok = ret == want_ret;

	if (ok && !ret) {
		int n = 0;
		while (want_argv[n])
			n++;
		ok = cl.argc == n && cl.argv[n] == NULL && cl.redirect == want_redirect;
		for (int i = 0; ok && i < n; i++)
			ok = !strcmp(cl.argv[i], want_argv[i]);
		if (ok && want_path)
			ok = cl.redirect_path && !strcmp(cl.redirect_path, want_path);
	}
	tap_ok(ok, "parse [%s] -> %d", line, ret);
	if (!ok && !ret)
		for (int i = 0; i < cl.argc; i++)
			printf("#   argv[%d] = [%s]\n", i, cl.argv[i]);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOARGS ((const char *const[]){ NULL })

static void test_parse(void)
{
	check_parse("  ls   /proc\t x ", 0, ARGV("ls", "/proc", "x"), 0, NULL);
	check_parse("", 0, NOARGS, 0, NULL);
	/* double quotes */
	check_parse("echo \"a b\" > f", 0, ARGV("echo", "a b"), SHELL_REDIRECT_WRITE, "f");
	check_parse("echo \"a  b\" c\"d e\"f \"\" \">\"", 0, ARGV("echo", "a  b", "cd ef", "", ">"),
		    0, NULL);
	check_parse("echo \"say \\\"hi\\\" \\\\ \\n\"", 0, ARGV("echo", "say \"hi\" \\ \\n"), 0,
		    NULL);
	check_parse("echo \"it's\"", 0, ARGV("echo", "it's"), 0, NULL);
	/* single quotes: everything literal, backslash too */
	check_parse("echo 'a  b' 'x\\\"y' ''", 0, ARGV("echo", "a  b", "x\\\"y", ""), 0, NULL);
	check_parse("echo 'say \"hi\"'", 0, ARGV("echo", "say \"hi\""), 0, NULL);
	check_parse("echo 'a'\"b\"c", 0, ARGV("echo", "abc"), 0, NULL);
	check_parse("echo '1 > x'", 0, ARGV("echo", "1 > x"), 0, NULL);
	/* backslash outside quotes */
	check_parse("echo a\\ b \\'x \\\\ \\#", 0, ARGV("echo", "a b", "'x", "\\", "#"), 0, NULL);
	check_parse("echo a\\", 0, ARGV("echo", "a\\"), 0, NULL);
	/* comments */
	check_parse("cat /proc/cmdline   # \"this has been live patched\"", 0,
		    ARGV("cat", "/proc/cmdline"), 0, NULL);
	check_parse("# a comment line", 0, NOARGS, 0, NULL);
	check_parse("echo a#b \"#c\" '#d' #e f", 0, ARGV("echo", "a#b", "#c", "#d"), 0, NULL);
	check_parse("echo 1 > /x # write it", 0, ARGV("echo", "1"), SHELL_REDIRECT_WRITE, "/x");
	check_parse("echo 1 > #x", -EBADMSG, NULL, 0, NULL);
	check_parse("echo 'unterminated # no comment", -EINVAL, NULL, 0, NULL);
	/* redirections */
	check_parse("echo 1>/x", 0, ARGV("echo", "1"), SHELL_REDIRECT_WRITE, "/x");
	check_parse("echo 2 >> '/a b'", 0, ARGV("echo", "2"), SHELL_REDIRECT_APPEND, "/a b");
	check_parse("> /x echo 3", 0, ARGV("echo", "3"), SHELL_REDIRECT_WRITE, "/x");
	check_parse("echo 1 >", -EBADMSG, NULL, 0, NULL);
	check_parse("echo 1 > /a > /b", -EBADMSG, NULL, 0, NULL);
	/* errors */
	check_parse("echo \"open", -EINVAL, NULL, 0, NULL);
	check_parse("echo 'open", -EINVAL, NULL, 0, NULL);
	check_parse("echo \"a'b", -EINVAL, NULL, 0, NULL);
}

/* ---- the editor ---- */

static enum shell_ed_result feed(struct shell_editor *ed, const char *s)
{
	enum shell_ed_result r = SHELL_ED_MORE;
	for (; *s; s++) {
		r = shell_editor_feed(ed, (unsigned char)*s);
		if (r != SHELL_ED_MORE)
			break;
	}
	return r;
}

/* Type keys (not Enter): the buffer must read want, the screen show it
 * and the cursor sit at want_pos. */
static void check_edit(struct shell_editor *ed, const char *what, const char *keys,
		       const char *want, size_t want_pos)
{
	enum shell_ed_result r = feed(ed, keys);
	bool ok = r == SHELL_ED_MORE && !strcmp(ed->line, want) && ed->len == strlen(want) &&
		  ed->pos == want_pos;
	tap_ok(ok, "%s: line [%s] pos %zu", what, ed->line, ed->pos);
	size_t col, n = strlen(want);
	const char *shown = screen_text(&col);
	while (n && want[n - 1] == ' ')
		n--; /* a blank shows as nothing */
	tap_ok(strlen(shown) == n && !strncmp(shown, want, n) && col == want_pos,
	       "%s: the screen shows [%s], cursor at %zu", what, shown, col);
}

static struct shell_editor *new_editor(struct shell_history *h)
{
	static struct shell_editor ed;
	memset(&ed, 0, sizeof(ed));
	ed.echo = true;
	ed.hist = h;
	shell_editor_reset(&ed);
	screen_clear();
	return &ed;
}

static void test_cursor(void)
{
	struct shell_editor *ed = new_editor(NULL);

	check_edit(ed, "typing", "echo helo", "echo helo", 9);
	check_edit(ed, "left arrows, insert", "\x1b[D\x1b[Dl", "echo hello", 8);
	check_edit(ed, "Home (ESC [ H), insert", "\x1b[H#", "#echo hello", 1);
	check_edit(ed, "Delete before the cursor", "\x7f", "echo hello", 0);
	check_edit(ed, "End (ESC [ F)", "\x1b[F!", "echo hello!", 11);
	check_edit(ed, "Ctrl-A, Ctrl-E", "\x01X\x05Y", "Xecho hello!Y", 13);
	check_edit(ed, "ESC [ 1 ~ and ESC [ 4 ~", "\x1b[1~\x1b[3~\x1b[4~\b", "echo hello!", 11);
	check_edit(ed, "ESC O D / ESC O C", "\x1bOD\x1bOD\x1bOC", "echo hello!", 10);
	check_edit(ed, "right stops at the end", "\x1b[C\x1b[C\x1b[C", "echo hello!", 11);
	check_edit(ed, "left stops at the start", "\x01\x1b[D\x02", "echo hello!", 0);
	check_edit(ed, "Ctrl-D deletes under the cursor", "\x04\x04\x04\x04\x04", "hello!", 0);
	check_edit(ed, "Ctrl-F, Ctrl-K", "\x06\x06\x0b", "he", 2);
	check_edit(ed, "a parameterised key (ctrl-left) is still left", "\x1b[1;5D", "he", 1);
	tap_ok(feed(ed, "\r") == SHELL_ED_LINE && !strcmp(ed->line, "he"),
	       "Enter in the middle takes the whole line");
}

static void test_kill_keys(void)
{
	struct shell_editor *ed = new_editor(NULL);

	check_edit(ed, "typing", "cat /proc/version   ", "cat /proc/version   ", 20);
	check_edit(ed, "Ctrl-W: blanks and a word", "\x17", "cat ", 4);
	check_edit(ed, "Ctrl-W again", "\x17", "", 0);
	check_edit(ed, "Ctrl-W on an empty line", "\x17", "", 0);
	check_edit(ed, "typing", "one two three", "one two three", 13);
	check_edit(ed, "Ctrl-W in the middle", "\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x17", "one three",
		   4);
	check_edit(ed, "Ctrl-U: to the start only", "\x15", "three", 0);
	check_edit(ed, "Ctrl-U at the start", "\x15", "three", 0);
}

static void test_history(void)
{
	static struct shell_history h;
	struct shell_editor *ed = new_editor(&h);

	feed(ed, "first\r");
	shell_editor_reset(ed);
	feed(ed, "   \r"); /* blank: not kept */
	shell_editor_reset(ed);
	feed(ed, "second\r");
	shell_editor_reset(ed);
	feed(ed, "second\r"); /* a repeat: kept once */
	shell_editor_reset(ed);
	screen_clear();
	tap_ok(h.count == 2, "history holds 2 lines (%u)", h.count);
	check_edit(ed, "typed, not entered", "thi", "thi", 3);
	check_edit(ed, "up: the newest", "\x1b[A", "second", 6);
	check_edit(ed, "up: the one before", "\x1b[A", "first", 5);
	check_edit(ed, "up at the oldest stays", "\x1b[A", "first", 5);
	check_edit(ed, "down", "\x1b[B", "second", 6);
	check_edit(ed, "down: the line being typed comes back", "\x1b[B", "thi", 3);
	check_edit(ed, "down at the newest stays", "\x1b[B", "thi", 3);
	check_edit(ed, "Ctrl-P and edit a recalled line", "\x10\x10\x1b[D\x1b[D\x17X", "Xst", 1);
	tap_ok(feed(ed, "\r") == SHELL_ED_LINE && !strcmp(ed->line, "Xst") && h.count == 3,
	       "an edited recall is entered as a new line");
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "ESC O A recalls it", "\x1bOA", "Xst", 3);
	for (int i = 0; i < SHELL_HISTORY + 5; i++) {
		char line[16];
		snprintf(line, sizeof(line), "cmd%d\r", i);
		shell_editor_reset(ed);
		feed(ed, line);
	}
	tap_ok(h.count == SHELL_HISTORY, "history keeps the newest %d lines", SHELL_HISTORY);
	shell_editor_reset(ed);
	screen_clear();
	char want[16];
	snprintf(want, sizeof(want), "cmd%d", 5);
	for (int i = 0; i < SHELL_HISTORY + 3; i++)
		feed(ed, "\x1b[A");
	tap_ok(!strcmp(ed->line, want), "the oldest kept is %s (%s)", want, ed->line);
}

static char last_cmd[32]; /* what the completer was told the command is */

/* A completer over a small fixed tree. */
static void complete(void *arg, struct shell_completion *c, bool command)
{
	static const char *const cmds[] = { "cat", "clear", "dmesg", "echo", "ls", NULL };
	static const char *const paths[][2] = {
		{ "/proc/", "proc/" },
		{ "/sys/", "sys/" },
		{ "/sys/kernel/", "kernel/" },
		{ "/sys/kernel/tracing/", "tracing/" },
		{ "/sys/kernel/tracing/trace", "trace" },
		{ "/sys/kernel/tracing/trace_pipe", "trace_pipe" },
		{ "/sys/kernel/tracing/tracing_on", "tracing_on" },
	};
	(*(int *)arg)++;
	strlcpy(last_cmd, command ? "(command)" : c->cmd, sizeof(last_cmd));
	if (command) {
		for (int i = 0; cmds[i]; i++)
			shell_completion_add(c, cmds[i], NULL);
		return;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		/* only the entries of the word's own directory, as shell.c lists */
		const char *p = paths[i][0];
		size_t dl =
			strrchr(c->word, '/') ? (size_t)(strrchr(c->word, '/') - c->word) + 1 : 0;
		size_t pl = strlen(p) - strlen(paths[i][1]);
		if (dl == pl && !strncmp(p, c->word, dl))
			shell_completion_add(c, p, paths[i][1]);
	}
}

static void test_completion(void)
{
	struct shell_editor *ed = new_editor(NULL);
	int calls = 0;

	ed->complete = complete;
	ed->complete_arg = &calls;
	ed->prompt = PROMPT;
	check_edit(ed, "a unique command and a blank", "ec\t", "echo ", 5);
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "ambiguous: the common part", "c\t", "c", 1);
	check_edit(ed, "then unique", "l\t", "clear ", 6);
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "a path through directories", "cat /s\tk\tt\t", "cat /sys/kernel/tracing/",
		   24);
	check_edit(ed, "the common part of three files", "t\t", "cat /sys/kernel/tracing/trac", 28);
	screen_clear();
	calls = 0;
	feed(ed, "\t");
	tap_ok(calls == 2 && strstr(printed, "trace  trace_pipe  tracing_on") &&
		       strstr(printed, "kelp# cat /sys/kernel/tracing/trac"),
	       "a second Tab lists the candidates and redraws the line");
	check_edit(ed, "then a unique file gets its blank", "e_\t",
		   "cat /sys/kernel/tracing/trace_pipe ", 35);
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "no candidates: nothing changes", "cat /nope\t\t", "cat /nope", 9);
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "in the middle of the line", "cat  > /x\x01\x1b[C\x1b[C\x1b[C\x1b[C/p\t",
		   "cat /proc/ > /x", 10);
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "after > is a path", "echo 1 >/s\t", "echo 1 >/sys/", 13);
	tap_ok(!strcmp(last_cmd, "echo"), "the completer is told the command (%s)", last_cmd);
	ed->complete = NULL;
	shell_editor_reset(ed);
	screen_clear();
	check_edit(ed, "no completer: Tab does nothing", "ls\t", "ls", 2);
}

static void test_limits(void)
{
	struct shell_editor *ed = new_editor(NULL);
	char keys[SHELL_LINE_MAX + 1];

	memset(keys, 'a', SHELL_LINE_MAX);
	keys[SHELL_LINE_MAX] = 0;
	feed(ed, keys);
	tap_ok(ed->len == SHELL_LINE_MAX && !ed->overflow, "a full line is not too long");
	feed(ed, "\x01"
		 "b");
	tap_ok(ed->overflow && ed->len == SHELL_LINE_MAX && ed->line[0] == 'a',
	       "one more byte, even in the middle, makes it too long");
	tap_ok(feed(ed, "\x1b[D\x7f\x17\r") == SHELL_ED_TOOLONG, "and it ends as too long");
	shell_editor_reset(ed);
	tap_ok(feed(ed, "ab\x03") == SHELL_ED_CANCEL, "Ctrl-C cancels the line");
	shell_editor_reset(ed);
	shell_editor_feed(ed, -1);
	shell_editor_feed(ed, 0x100);
	shell_editor_feed(ed, 0x1b);
	shell_editor_feed(ed, -1);
	tap_ok(feed(ed, "ok\r") == SHELL_ED_LINE && !strcmp(ed->line, "ok"),
	       "out-of-range input is ignored");
	shell_editor_reset(ed);
	tap_ok(feed(ed, "\x1b[12\rx") == SHELL_ED_LINE, "Enter ends a broken escape sequence");
}

int main(void)
{
	test_parse();
	test_cursor();
	test_kill_keys();
	test_history();
	test_completion();
	test_limits();
	return tap_done();
}
