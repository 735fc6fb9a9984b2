/* seq_file: the text buffer behind /proc and /sys reads (see seq_file.h). */
#include <kelp/seq_file.h>
#include <kelp/string.h>
#include <kelp/mm.h>

#define SEQ_BUF_MIN 512

/* Make room for len more bytes plus the NUL; false if the cap or memory
 * prevents it (whatever room there is stays usable). */
static bool seq_reserve(struct seq_file *m, size_t len)
{
	size_t need = m->count + len + 1;
	if (need <= m->size)
		return true;
	size_t max = m->max ? m->max : SEQ_BUF_MAX;
	size_t nsize = m->size ? m->size : SEQ_BUF_MIN;
	while (nsize < need && nsize < max)
		nsize *= 2;
	if (nsize > max)
		nsize = max;
	if (nsize > m->size) {
		char *nbuf = kmalloc(nsize);
		if (nbuf) {
			if (m->buf)
				memcpy(nbuf, m->buf, m->count + 1);
			else
				nbuf[0] = 0;
			kfree(m->buf);
			m->buf = nbuf;
			m->size = nsize;
		} else if (need > m->size) {
			m->nomem = true;
		}
	}
	return need <= m->size;
}

int seq_write(struct seq_file *m, const void *data, size_t len)
{
	bool fits = seq_reserve(m, len);
	if (!fits) {
		m->overflow = true;
		if (!m->size)
			return -1;
		len = m->size - 1 - m->count;
	}
	memcpy(m->buf + m->count, data, len);
	m->count += len;
	m->buf[m->count] = 0;
	return fits ? 0 : -1;
}

void seq_vprintf(struct seq_file *m, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	size_t room = m->size ? m->size - m->count : 0;
	int n = vsnprintf(room ? m->buf + m->count : NULL, room, fmt, ap);
	if (n >= 0 && (size_t)n < room) {
		m->count += n;
	} else if (n > 0) {
		bool fits = seq_reserve(m, n);
		room = m->size ? m->size - m->count : 0;
		if (room) {
			vsnprintf(m->buf + m->count, room, fmt, again);
			m->count += fits ? (size_t)n : room - 1;
		}
		if (!fits)
			m->overflow = true;
	}
	va_end(again);
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	seq_vprintf(m, fmt, ap);
	va_end(ap);
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_write(m, s, strlen(s));
}

void seq_putc(struct seq_file *m, char c)
{
	seq_write(m, &c, 1);
}

void seq_file_reset(struct seq_file *m)
{
	m->count = 0;
	m->overflow = false;
	m->nomem = false;
	if (m->buf)
		m->buf[0] = 0;
}

void seq_file_release(struct seq_file *m)
{
	kfree(m->buf);
	m->buf = NULL;
	m->size = m->count = m->max = 0;
	m->overflow = false;
}
