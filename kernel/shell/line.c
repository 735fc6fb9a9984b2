/* The shell's input side: the line editor (cursor, history, Tab completion)
 * and the tokeniser (include/kelp/shell.h). Kept apart from kernel/shell/shell.c
 * so that the code that parses what a user types depends on nothing but
 * console_puts() and the callbacks it is handed, and can be built unchanged
 * into the host tests and fuzzers (tests/host/shell_line_test.c,
 * tests/fuzz/shell.c).
 *
 * The editor draws with backspaces, printable bytes and blanks only (no
 * terminal escape sequences): any terminal, and a test reading the raw
 * bytes, sees the line as it is. */
#include <kelp/shell.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

/* ---- output ---- */

/* Editor output is batched: a redraw is one console_puts, not one per byte. */
struct ed_out {
	struct shell_editor *ed;
	size_t n;
	char buf[128];
};

static void out_flush(struct ed_out *o)
{
	if (o->n && o->ed->echo) {
		o->buf[o->n] = 0;
		console_puts(o->buf);
	}
	o->n = 0;
}

static void out_c(struct ed_out *o, char c)
{
	if (o->n + 1 >= sizeof(o->buf))
		out_flush(o);
	o->buf[o->n++] = c;
}

static void out_s(struct ed_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_c(o, s[i]);
}

static void out_str(struct ed_out *o, const char *s)
{
	out_s(o, s, strlen(s));
}

static void out_rep(struct ed_out *o, char c, size_t n)
{
	while (n--)
		out_c(o, c);
}

/* Bring the screen in line with the buffer after an edit: the text before
 * `from` is unchanged; the cursor was at old_pos and the line old_len long. */
static void ed_redraw(struct ed_out *o, size_t from, size_t old_len, size_t old_pos)
{
	struct shell_editor *ed = o->ed;
	if (old_pos > from)
		out_rep(o, '\b', old_pos - from);
	else
		out_s(o, ed->line + old_pos, from - old_pos);
	out_s(o, ed->line + from, ed->len - from);
	size_t at = ed->len;
	if (old_len > ed->len) {
		out_rep(o, ' ', old_len - ed->len);
		at = old_len;
	}
	out_rep(o, '\b', at - ed->pos);
}

/* ---- editing primitives ---- */

static void ed_move(struct ed_out *o, size_t to)
{
	struct shell_editor *ed = o->ed;
	if (to > ed->len)
		to = ed->len;
	if (to < ed->pos)
		out_rep(o, '\b', ed->pos - to);
	else
		out_s(o, ed->line + ed->pos, to - ed->pos);
	ed->pos = to;
}

/* Delete [a, b) and leave the cursor at a. */
static void ed_delete(struct ed_out *o, size_t a, size_t b)
{
	struct shell_editor *ed = o->ed;
	if (b > ed->len)
		b = ed->len;
	if (a >= b)
		return;
	size_t old_len = ed->len, old_pos = ed->pos;
	memmove(ed->line + a, ed->line + b, ed->len - b + 1);
	ed->len -= b - a;
	ed->pos = a;
	ed_redraw(o, MIN(a, old_pos), old_len, old_pos);
}

/* Insert n bytes at the cursor; what does not fit is dropped. Returns how
 * many went in. */
static size_t ed_insert(struct ed_out *o, const char *s, size_t n)
{
	struct shell_editor *ed = o->ed;
	if (n > SHELL_LINE_MAX - ed->len)
		n = SHELL_LINE_MAX - ed->len;
	if (!n)
		return 0;
	size_t old_len = ed->len, old_pos = ed->pos;
	memmove(ed->line + ed->pos + n, ed->line + ed->pos, ed->len - ed->pos + 1);
	memcpy(ed->line + ed->pos, s, n);
	ed->len += n;
	ed->pos += n;
	ed_redraw(o, old_pos, old_len, old_pos);
	return n;
}

/* Replace the whole line (history recall), cursor at its end. */
static void ed_set_line(struct ed_out *o, const char *s)
{
	struct shell_editor *ed = o->ed;
	size_t old_len = ed->len, old_pos = ed->pos;
	ed->len = strnlen(s, SHELL_LINE_MAX);
	memmove(ed->line, s, ed->len);
	ed->line[ed->len] = 0;
	ed->pos = ed->len;
	ed_redraw(o, 0, old_len, old_pos);
}

/* The prompt and the line again, on a fresh line or a cleared screen. */
static void ed_reprint(struct ed_out *o)
{
	struct shell_editor *ed = o->ed;
	if (ed->prompt)
		out_str(o, ed->prompt);
	out_s(o, ed->line, ed->len);
	out_rep(o, '\b', ed->len - ed->pos);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Ctrl-W: the blanks before the cursor, then the word before them. */
static size_t word_start_before(const struct shell_editor *ed)
{
	size_t i = ed->pos;
	while (i && is_blank(ed->line[i - 1]))
		i--;
	while (i && !is_blank(ed->line[i - 1]))
		i--;
	return i;
}

/* ---- history ---- */

static const char *hist_get(const struct shell_history *h, unsigned int back)
{
	/* back = 1 is the newest line */
	return h->lines[(h->next + SHELL_HISTORY - back) % SHELL_HISTORY];
}

void shell_history_add(struct shell_history *h, const char *line)
{
	const char *p = line;
	while (is_blank(*p))
		p++;
	if (!*p)
		return;
	if (h->count && !strcmp(hist_get(h, 1), line))
		return; /* the same again: one entry, as bash's ignoredups */
	strlcpy(h->lines[h->next], line, sizeof(h->lines[0]));
	h->next = (h->next + 1) % SHELL_HISTORY;
	if (h->count < SHELL_HISTORY)
		h->count++;
}

static void hist_up(struct ed_out *o)
{
	struct shell_editor *ed = o->ed;
	struct shell_history *h = ed->hist;
	if (!h || ed->hist_pos >= h->count)
		return;
	if (ed->hist_pos == 0)
		memcpy(ed->saved, ed->line, ed->len + 1);
	ed->hist_pos++;
	ed_set_line(o, hist_get(h, ed->hist_pos));
}

static void hist_down(struct ed_out *o)
{
	struct shell_editor *ed = o->ed;
	if (!ed->hist || ed->hist_pos == 0)
		return;
	ed->hist_pos--;
	ed_set_line(o, ed->hist_pos ? hist_get(ed->hist, ed->hist_pos) : ed->saved);
}

/* ---- Tab completion ---- */

void shell_completion_add(struct shell_completion *c, const char *cand, const char *show)
{
	size_t n = strnlen(cand, SHELL_LINE_MAX + 1);
	if (n > SHELL_LINE_MAX || n < c->len || strncmp(cand, c->word, c->len))
		return; /* not an extension of the word */
	if (c->list) {
		if (!show)
			show = cand;
		size_t w = strlen(show) + 2;
		if (c->col && c->col + w > 78) {
			console_puts("\n");
			c->col = 0;
		}
		console_puts(show);
		console_puts("  ");
		c->col += w;
	} else if (!c->count) {
		memcpy(c->common, cand, n + 1);
		c->common_len = n;
	} else {
		size_t k = c->len;
		while (k < c->common_len && c->common[k] == cand[k])
			k++;
		c->common_len = k;
		c->common[k] = 0;
	}
	c->count++;
}

/* Where the word under completion starts: after the last blank or '>'
 * before the cursor (quotes are not looked into). */
static size_t completion_start(const struct shell_editor *ed, bool *command)
{
	size_t s = ed->pos;
	while (s && !is_blank(ed->line[s - 1]) && ed->line[s - 1] != '>')
		s--;
	size_t i = s;
	while (i && is_blank(ed->line[i - 1]))
		i--;
	*command = i == 0;
	return s;
}

static void ed_complete(struct ed_out *o)
{
	struct shell_editor *ed = o->ed;
	struct shell_completion c;
	bool command;
	size_t s = completion_start(ed, &command);

	if (!ed->complete)
		return;
	memset(&c, 0, sizeof(c));
	memcpy(c.wordbuf, ed->line + s, ed->pos - s);
	c.wordbuf[ed->pos - s] = 0;
	c.word = c.wordbuf;
	c.len = ed->pos - s;
	/* the line's first word: what a completer of arguments completes for */
	size_t a = 0, b;
	while (a < ed->len && is_blank(ed->line[a]))
		a++;
	for (b = a; b < ed->len && !is_blank(ed->line[b]) && ed->line[b] != '>'; b++)
		;
	if (!command && b - a < sizeof(c.cmd)) {
		memcpy(c.cmd, ed->line + a, b - a);
		c.cmd[b - a] = 0;
	}
	ed->complete(ed->complete_arg, &c, command);
	if (!c.count)
		return;
	size_t added = 0;
	if (c.common_len > c.len)
		added = ed_insert(o, c.common + c.len, c.common_len - c.len);
	if (c.count == 1) {
		/* a whole name: a blank follows, except after a directory */
		if (added == c.common_len - c.len &&
		    (!c.common_len || c.common[c.common_len - 1] != '/'))
			ed_insert(o, " ", 1);
		return;
	}
	if (added || ed->tabs < 2)
		return;
	/* A second Tab with nothing to add lists the candidates. */
	out_flush(o);
	if (ed->echo) {
		console_puts("\n");
		c.list = true;
		c.count = 0;
		ed->complete(ed->complete_arg, &c, command);
		console_puts("\n");
	}
	ed_reprint(o);
}

/* ---- the editor ---- */

void shell_editor_reset(struct shell_editor *ed)
{
	ed->len = 0;
	ed->pos = 0;
	ed->line[0] = 0;
	ed->overflow = false;
	ed->esc = 0;
	ed->esc_param = 0;
	ed->hist_pos = 0;
	ed->tabs = 0;
}

enum ed_key {
	KEY_NONE,
	KEY_UP,
	KEY_DOWN,
	KEY_RIGHT,
	KEY_LEFT,
	KEY_HOME,
	KEY_END,
	KEY_DELETE,
};

/* The key a sequence ending in letter c names (ESC [ c or ESC O c). */
static enum ed_key letter_key(int c)
{
	static const char letters[] = "ABCDHF";
	static const enum ed_key keys[] = {
		KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_END
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (c == letters[i])
			return keys[i];
	return KEY_NONE;
}

/* Feed one byte of an escape sequence (ed->esc != 0). Returns true when
 * the byte was used up; *key gets the key a completed sequence names. */
static bool esc_feed(struct shell_editor *ed, int c, enum ed_key *key)
{
	*key = KEY_NONE;
	if (ed->esc == 1) { /* after ESC */
		ed->esc = 0;
		if (c == '[') {
			ed->esc = 2;
			ed->esc_param = 0;
			return true;
		}
		if (c == 'O') {
			ed->esc = 3;
			return true;
		}
		/* A lone ESC: the byte after it is ordinary input (Enter must still work). */
		return false;
	}
	/* A control byte cannot be part of a sequence: end it and handle the
	 * byte, so a broken sequence never swallows Enter. */
	if (c < 0x20 || c > 0x7e) {
		ed->esc = 0;
		return false;
	}
	if (ed->esc == 3) { /* ESC O x: application cursor keys */
		ed->esc = 0;
		*key = letter_key(c);
		return true;
	}
	/* ESC [ params final: only the first parameter matters here. */
	if (c >= '0' && c <= '9') {
		if (ed->esc_param >= 0 && ed->esc_param < 1000)
			ed->esc_param = ed->esc_param * 10 + (c - '0');
		return true;
	}
	if (c == ';') {
		if (ed->esc_param >= 0)
			ed->esc_param = -1 - ed->esc_param; /* keep it, take no more digits */
		return true;
	}
	if (c < 0x40)
		return true; /* other intermediate bytes */
	ed->esc = 0;
	int p = ed->esc_param < 0 ? -1 - ed->esc_param : ed->esc_param;
	if (c != '~')
		*key = letter_key(c);
	else if (p == 1 || p == 7)
		*key = KEY_HOME;
	else if (p == 4 || p == 8)
		*key = KEY_END;
	else if (p == 3)
		*key = KEY_DELETE;
	return true;
}

static void ed_key(struct ed_out *o, enum ed_key key)
{
	struct shell_editor *ed = o->ed;
	if (key == KEY_UP)
		hist_up(o);
	else if (key == KEY_DOWN)
		hist_down(o);
	else if (key == KEY_RIGHT)
		ed_move(o, ed->pos + 1);
	else if (key == KEY_LEFT)
		ed_move(o, ed->pos ? ed->pos - 1 : 0);
	else if (key == KEY_HOME)
		ed_move(o, 0);
	else if (key == KEY_END)
		ed_move(o, ed->len);
	else if (key == KEY_DELETE)
		ed_delete(o, ed->pos, ed->pos + 1);
}

static enum shell_ed_result ed_feed(struct ed_out *o, int c)
{
	struct shell_editor *ed = o->ed;
	bool after_cr = ed->last_cr;
	ed->last_cr = false;

	if (ed->esc) {
		enum ed_key key;
		if (esc_feed(ed, c, &key)) {
			if (!ed->overflow)
				ed_key(o, key);
			return SHELL_ED_MORE;
		}
	}
	ed->tabs = c == '\t' ? ed->tabs + 1 : 0;

	switch (c) {
	case '\n':
		if (after_cr)
			return SHELL_ED_MORE;
		/* fall through */
	case '\r':
		ed->last_cr = c == '\r';
		ed_move(o, ed->len);
		out_c(o, '\n');
		ed->line[ed->len] = 0;
		if (ed->overflow)
			return SHELL_ED_TOOLONG;
		if (ed->hist)
			shell_history_add(ed->hist, ed->line);
		return SHELL_ED_LINE;
	case 0x03: /* Ctrl-C */
		ed_move(o, ed->len);
		out_str(o, "^C\n");
		return SHELL_ED_CANCEL;
	case 0x15: /* Ctrl-U: everything before the cursor */
		if (ed->overflow) {
			ed->overflow = false;
			ed->pos = ed->len;
		}
		ed_delete(o, 0, ed->pos);
		return SHELL_ED_MORE;
	case 0x1b:
		ed->esc = 1;
		return SHELL_ED_MORE;
	}
	if (ed->overflow)
		return SHELL_ED_MORE; /* only Enter, Ctrl-C and Ctrl-U end it */

	switch (c) {
	case '\b':
	case 0x7f:
		if (ed->pos)
			ed_delete(o, ed->pos - 1, ed->pos);
		return SHELL_ED_MORE;
	case 0x01: /* Ctrl-A */
		ed_move(o, 0);
		return SHELL_ED_MORE;
	case 0x05: /* Ctrl-E */
		ed_move(o, ed->len);
		return SHELL_ED_MORE;
	case 0x02: /* Ctrl-B */
		ed_key(o, KEY_LEFT);
		return SHELL_ED_MORE;
	case 0x06: /* Ctrl-F */
		ed_key(o, KEY_RIGHT);
		return SHELL_ED_MORE;
	case 0x04: /* Ctrl-D: the byte under the cursor (there is no logout) */
		ed_delete(o, ed->pos, ed->pos + 1);
		return SHELL_ED_MORE;
	case 0x0b: /* Ctrl-K: to the end */
		ed_delete(o, ed->pos, ed->len);
		return SHELL_ED_MORE;
	case 0x17: /* Ctrl-W */
		ed_delete(o, word_start_before(ed), ed->pos);
		return SHELL_ED_MORE;
	case 0x10: /* Ctrl-P */
		hist_up(o);
		return SHELL_ED_MORE;
	case 0x0e: /* Ctrl-N */
		hist_down(o);
		return SHELL_ED_MORE;
	case 0x0c: /* Ctrl-L */
		out_str(o, SHELL_CLEAR_SCREEN);
		ed_reprint(o);
		return SHELL_ED_MORE;
	case '\t':
		ed_complete(o);
		return SHELL_ED_MORE;
	}
	if (c < 0x20 || c > 0x7e)
		return SHELL_ED_MORE; /* other control bytes and non-ASCII */
	if (ed->len >= SHELL_LINE_MAX) {
		ed->overflow = true;
		return SHELL_ED_MORE;
	}
	char ch = (char)c;
	ed_insert(o, &ch, 1);
	return SHELL_ED_MORE;
}

enum shell_ed_result shell_editor_feed(struct shell_editor *ed, int c)
{
	struct ed_out o = { .ed = ed };
	enum shell_ed_result r = ed_feed(&o, c);
	out_flush(&o);
	return r;
}

/* ---- tokeniser ---- */

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
