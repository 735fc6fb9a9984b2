/* Fuzz target: what a user types at the console. The input goes byte by
 * byte through the line editor (shell_editor_feed, with a history and a
 * completer, so arrows, Tab and the kill keys run), and each completed line
 * through the tokeniser (shell_parse_line), as shell_run() does; the whole
 * input, cut at the first NUL, is also tokenised directly so lines the
 * editor would refuse (control bytes, over-long) reach the parser too.
 * Every successful parse is checked against sh's quoting: the words, each
 * put back in single quotes ('\'' for a quote), must parse to the same
 * words. Built from kernel/shell/line.c unchanged. */
#include <kelp/shell.h>
#include <kelp/errno.h>
#include <kelp/string.h>

extern void *malloc(size_t size);
extern void free(void *p);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool in_buf(const struct shell_cmdline *cl, const char *s)
{
	if (s < cl->buf || s >= cl->buf + sizeof(cl->buf))
		return false;
	return strnlen(s, cl->buf + sizeof(cl->buf) - s) < (size_t)(cl->buf + sizeof(cl->buf) - s);
}

/* Append word to out in single quotes, sh style; false when it does not fit. */
static bool quote_word(char *out, size_t *n, size_t size, const char *word)
{
	const char *p;
	if (*n + 3 >= size)
		return false;
	out[(*n)++] = ' ';
	out[(*n)++] = '\'';
	for (p = word; *p; p++) {
		if (*p == '\'') {
			if (*n + 5 >= size)
				return false;
			memcpy(out + *n, "'\\''", 4);
			*n += 4;
		} else {
			if (*n + 2 >= size)
				return false;
			out[(*n)++] = *p;
		}
	}
	out[(*n)++] = '\'';
	out[*n] = 0;
	return true;
}

/* The words of cl, quoted, parse back to the same words. */
static void check_requote(const struct shell_cmdline *cl)
{
	char line[SHELL_LINE_MAX + 1];
	size_t n = 0;
	line[0] = 0;
	for (int i = 0; i < cl->argc; i++)
		if (!quote_word(line, &n, sizeof(line), cl->argv[i]))
			return; /* longer than a line once quoted */
	if (cl->redirect) {
		const char *op = cl->redirect == SHELL_REDIRECT_APPEND ? " >>" : " >";
		if (n + strlen(op) >= sizeof(line))
			return;
		memcpy(line + n, op, strlen(op) + 1);
		n += strlen(op);
		if (!quote_word(line, &n, sizeof(line), cl->redirect_path))
			return;
	}
	struct shell_cmdline *again = malloc(sizeof(*again));
	CHECK(shell_parse_line(line, again) == 0);
	CHECK(again->argc == cl->argc && again->redirect == cl->redirect);
	for (int i = 0; i < cl->argc; i++)
		CHECK(!strcmp(again->argv[i], cl->argv[i]));
	if (cl->redirect)
		CHECK(!strcmp(again->redirect_path, cl->redirect_path));
	free(again);
}

static void parse(const char *line)
{
	struct shell_cmdline *cl = malloc(sizeof(*cl));
	int ret = shell_parse_line(line, cl);

	if (ret == 0) {
		CHECK(cl->argc >= 0 && cl->argc <= SHELL_MAX_ARGS);
		CHECK(cl->argv[cl->argc] == NULL);
		for (int i = 0; i < cl->argc; i++)
			CHECK(in_buf(cl, cl->argv[i]) && strlen(cl->argv[i]) <= strlen(line));
		CHECK(!cl->redirect == !cl->redirect_path);
		if (cl->redirect)
			CHECK(in_buf(cl, cl->redirect_path));
		/* without quotes or escapes no word is empty */
		if (!strchr(line, '\'') && !strchr(line, '"') && !strchr(line, '\\'))
			for (int i = 0; i < cl->argc; i++)
				CHECK(cl->argv[i][0] != 0);
		check_requote(cl);
	} else {
		CHECK(ret == -EINVAL || ret == -E2BIG || ret == -EBADMSG);
	}
	free(cl);
}

/* Candidates for Tab: a few commands and a small tree of paths. */
static void complete(void *arg, struct shell_completion *c, bool command)
{
	static const char *const words[] = {
		"cat", "clear", "echo", /* the commands end here */
		"/proc/", "/proc/cmdline", "/sys/kernel/", "/sys/kernel/tracing/", "'quoted'", "a b",
		NULL,
	};
	(void)arg;
	for (int i = command ? 0 : 3; words[i]; i++)
		shell_completion_add(c, words[i], NULL);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct shell_history hist;
	static struct shell_editor ed;

	memset(&hist, 0, sizeof(hist));
	memset(&ed, 0, sizeof(ed));
	ed.echo = (size & 1) != 0;
	ed.prompt = "kelp# ";
	ed.hist = &hist;
	ed.complete = (size & 2) ? complete : NULL;
	size_t n = strnlen((const char *)data, size);
	/* An exact-size copy: a read past the NUL is an ASan report. */
	char *line = malloc(n + 1);

	memcpy(line, data, n);
	line[n] = 0;
	parse(line);
	free(line);

	shell_editor_reset(&ed);
	for (size_t i = 0; i < size; i++) {
		enum shell_ed_result r = shell_editor_feed(&ed, data[i]);

		CHECK(ed.len <= SHELL_LINE_MAX && ed.pos <= ed.len);
		CHECK(ed.overflow || strlen(ed.line) == ed.len);
		CHECK(hist.count <= SHELL_HISTORY && ed.hist_pos <= hist.count);
		if (r == SHELL_ED_LINE) {
			CHECK(strlen(ed.line) == ed.len);
			parse(ed.line);
		}
		if (r != SHELL_ED_MORE)
			shell_editor_reset(&ed);
	}
	/* console_getc() can hand the editor any int; EOF-like values too. */
	(void)shell_editor_feed(&ed, -1);
	(void)shell_editor_feed(&ed, 0x100);
	CHECK(ed.len <= SHELL_LINE_MAX);
	return 0;
}
