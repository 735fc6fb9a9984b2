/* seq_file: a growable text buffer that show() functions print into, with
 * Linux's names and signatures so Linux-style show functions (and livepatch
 * samples) compile unchanged. The buffer is allocated on first use and grows
 * up to SEQ_BUF_MAX (or m->max, which a show function producing a longer
 * file such as /proc/kallsyms raises); output beyond that is cut off and
 * m->overflow is set, never dropped silently. */
#pragma once
#include <kelp/compiler.h>

#define SEQ_BUF_MAX (64 * 1024)

struct seq_file {
	char *buf;	/* NUL-terminated after every write (when allocated) */
	size_t size;	/* bytes allocated */
	size_t count;	/* bytes of text in buf */
	bool overflow;	/* some output did not fit */
	void *private;	/* for the show function's owner */
	bool nomem;	/* ... because the buffer could not grow (overflow is set too) */
	size_t max;	/* cap on size; 0: SEQ_BUF_MAX */
};

#define SEQ_FILE_INIT { NULL, 0, 0, false, NULL, false, 0 }

void seq_printf(struct seq_file *m, const char *fmt, ...) __printf(2, 3);
void seq_vprintf(struct seq_file *m, const char *fmt, va_list ap);
void seq_puts(struct seq_file *m, const char *s);
void seq_putc(struct seq_file *m, char c);
/* Returns 0, or -1 when the data did not fit (as Linux's seq_write). */
int seq_write(struct seq_file *m, const void *data, size_t len);

static inline bool seq_has_overflowed(const struct seq_file *m)
{
	return m->overflow;
}

/* Empty the buffer but keep it allocated. */
void seq_file_reset(struct seq_file *m);
/* Free the buffer; the seq_file may be reused afterwards. */
void seq_file_release(struct seq_file *m);
