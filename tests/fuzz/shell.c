/* Fuzz target: what a user types at the console. The input goes byte by
 * byte through the line editor (shell_editor_feed), and each completed line
 * through the tokeniser (shell_parse_line), as shell_run() does; the whole
 * input, cut at the first NUL, is also tokenised directly so lines the
 * editor would refuse (control bytes, over-long) reach the parser too.
 * Built from kernel/shell/line.c unchanged. */
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
	} else {
		CHECK(ret == -EINVAL || ret == -E2BIG || ret == -EBADMSG);
	}
	free(cl);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct shell_editor ed = { .echo = (size & 1) != 0 };
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

		CHECK(ed.len <= SHELL_LINE_MAX);
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
