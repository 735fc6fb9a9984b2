/* The shell's input side: the line editor and the tokeniser
 * (include/kelp/shell.h). Kept apart from kernel/shell/shell.c so that the code that
 * parses what a user types depends on nothing but console_puts() and can be
 * built unchanged into the host fuzzers (tests/fuzz/shell.c). */
#include <kelp/shell.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

/* ---- line editor ---- */

void shell_editor_reset(struct shell_editor *ed)
{
	ed->len = 0;
	ed->line[0] = 0;
	ed->overflow = false;
	ed->esc = 0;
}

static void ed_echo(struct shell_editor *ed, const char *s)
{
	if (ed->echo)
		console_puts(s);
}

enum shell_ed_result shell_editor_feed(struct shell_editor *ed, int c)
{
	bool after_cr = ed->last_cr;
	ed->last_cr = false;

	/* Terminal escape sequences (arrow keys...) are dropped whole so their
	 * printable tail does not land in the line. */
	if (ed->esc == 1) {
		ed->esc = 0;
		if (c == '[' || c == 'O') {
			ed->esc = 2;
			return SHELL_ED_MORE;
		}
		/* A lone ESC: the byte after it is ordinary input (Enter must still work). */
	} else if (ed->esc == 2) {
		if (c >= 0x40 && c <= 0x7e)
			ed->esc = 0;
		/* A control byte cannot be part of a CSI sequence: end it and handle
		 * the byte, so a broken sequence never swallows Enter. */
		if (c >= 0x20)
			return SHELL_ED_MORE;
		ed->esc = 0;
	}

	switch (c) {
	case '\n':
		if (after_cr)
			return SHELL_ED_MORE;
		/* fall through */
	case '\r':
		ed->last_cr = c == '\r';
		ed_echo(ed, "\n");
		ed->line[ed->len] = 0;
		return ed->overflow ? SHELL_ED_TOOLONG : SHELL_ED_LINE;
	case 0x03: /* Ctrl-C */
		ed_echo(ed, "^C\n");
		return SHELL_ED_CANCEL;
	case 0x15: /* Ctrl-U */
		while (ed->len) {
			ed->len--;
			ed_echo(ed, "\b \b");
		}
		ed->overflow = false;
		return SHELL_ED_MORE;
	case '\b':
	case 0x7f:
		if (ed->len && !ed->overflow) {
			ed->len--;
			ed_echo(ed, "\b \b");
		}
		return SHELL_ED_MORE;
	case 0x1b:
		ed->esc = 1;
		return SHELL_ED_MORE;
	}
	if (c < 0x20 || c > 0x7e)
		return SHELL_ED_MORE; /* other control bytes and non-ASCII */
	if (ed->len >= SHELL_LINE_MAX) {
		ed->overflow = true;
		return SHELL_ED_MORE;
	}
	ed->line[ed->len++] = (char)c;
	if (ed->echo) {
		char s[2] = { (char)c, 0 };
		console_puts(s);
	}
	return SHELL_ED_MORE;
}

/* ---- tokeniser ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* sh's rules, without expansions: blanks separate words; '...' keeps
 * everything literally; "..." too, except that \ escapes \ and " (and $ `,
 * which mean nothing here); outside quotes \ takes the next byte
 * literally (a \ that ends the line stays); a word that starts with an
 * unquoted # begins a comment that runs to the end of the line; an
 * unquoted > or >> is a redirection. */
int shell_parse_line(const char *line, struct shell_cmdline *cl)
{
	const char *r = line;
	char *w = cl->buf, *end = cl->buf + sizeof(cl->buf);
	bool want_path = false;

	cl->argc = 0;
	cl->redirect = SHELL_REDIRECT_NONE;
	cl->redirect_path = NULL;
	if (strnlen(line, SHELL_LINE_MAX + 1) > SHELL_LINE_MAX)
		return -E2BIG;
	for (;;) {
		while (is_blank(*r))
			r++;
		if (!*r || *r == '#')
			break;
		if (*r == '>') {
			if (cl->redirect || want_path)
				return -EBADMSG;
			r++;
			cl->redirect = SHELL_REDIRECT_WRITE;
			if (*r == '>') {
				r++;
				cl->redirect = SHELL_REDIRECT_APPEND;
			}
			want_path = true;
			continue;
		}
		/* A word: runs to an unquoted blank or '>'. Each word's text plus
		 * its NUL is never longer than the input it consumed plus one. */
		char *word = w;
		char quote = 0; /* the quote we are inside, or 0 */
		while (*r && (quote || (!is_blank(*r) && *r != '>'))) {
			char c = *r++;
			if (!quote && (c == '\'' || c == '"')) {
				quote = c;
				continue;
			}
			if (quote && c == quote) {
				quote = 0;
				continue;
			}
			/* in "...", \ escapes only \ " $ `; elsewhere any byte; a
			 * \ that ends the line is itself, as in sh -c */
			if (c == '\\' && quote != '\'' && *r &&
			    (!quote || *r == '\\' || *r == '"' || *r == '$' || *r == '`'))
				c = *r++;
			if (w + 1 >= end)
				return -E2BIG;
			*w++ = c;
		}
		if (quote)
			return -EINVAL;
		*w++ = 0;
		if (want_path) {
			cl->redirect_path = word;
			want_path = false;
		} else {
			if (cl->argc >= SHELL_MAX_ARGS)
				return -E2BIG;
			cl->argv[cl->argc++] = word;
		}
	}
	cl->argv[cl->argc] = NULL;
	return want_path ? -EBADMSG : 0;
}
