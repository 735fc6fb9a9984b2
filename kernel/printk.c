/* printk: formats messages, keeps them in the log ring (read by dmesg) and
 * writes those under console_loglevel to the console with a timestamp. */
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/spinlock.h>
#include <kelp/serial.h>
#include <kelp/time.h>
#include <kelp/panic.h>

#define LOG_RECORDS 1024
#define LOG_TEXT 240

struct log_slot {
	u64 seq;
	u64 ts_ns;
	u16 len;
	u8 level;
	char text[LOG_TEXT];
};

static struct log_slot log_ring[LOG_RECORDS];
static u64 log_next; /* sequence number of the next record */
static spinlock_t log_lock = SPINLOCK_INIT;
int console_loglevel = 7; /* levels 0..6 reach the console; debug (7) only the log */

/* A line without its newline yet, completed by KERN_CONT or flushed. */
static char cont_buf[LOG_TEXT];
static size_t cont_len;
static int cont_level;
static u64 cont_ts;

void console_write(const char *s, size_t len)
{
	serial_write(SERIAL_CONSOLE, s, len);
}

void console_puts(const char *s)
{
	console_write(s, strlen(s));
}

int kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int log_format(const struct log_record *rec, char *out, size_t size)
{
	u64 sec = rec->ts_ns / 1000000000ULL, usec = (rec->ts_ns / 1000) % 1000000;
	return snprintf(out, size, "[%5llu.%06llu] %.*s", (unsigned long long)sec,
			(unsigned long long)usec, (int)rec->len, rec->text);
}

static void log_store(int level, u64 ts, const char *text, size_t len)
{
	struct log_slot *s = &log_ring[log_next % LOG_RECORDS];
	if (len > LOG_TEXT)
		len = LOG_TEXT;
	s->seq = log_next;
	s->ts_ns = ts;
	s->level = (u8)level;
	s->len = (u16)len;
	memcpy(s->text, text, len);
	log_next++;

	if (level < console_loglevel) {
		char line[LOG_TEXT + 32];
		struct log_record rec = { s->seq, ts, level, s->text, len };
		int n = log_format(&rec, line, sizeof(line) - 1);
		if (n > (int)sizeof(line) - 2)
			n = sizeof(line) - 2;
		line[n++] = '\n';
		console_write(line, n);
	}
}

static void cont_flush(void)
{
	if (cont_len) {
		log_store(cont_level, cont_ts, cont_buf, cont_len);
		cont_len = 0;
	}
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int level = LOGLEVEL_DEFAULT, n;
	bool cont = false;
	const char *p = fmt;

	if (p[0] == KERN_SOH[0] && p[1]) {
		if (p[1] == 'c')
			cont = true;
		else if (p[1] >= '0' && p[1] <= '7')
			level = p[1] - '0';
		p += 2;
	}
	n = vsnprintf(buf, sizeof(buf), p, ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;

	/* A panicking CPU must not wait for a lock another context may hold. */
	unsigned long flags = arch_irq_save();
	bool locked = panic_in_progress ? spin_trylock(&log_lock) : (spin_lock(&log_lock), true);
	u64 now = ktime_get_ns();

	if (!cont)
		cont_flush();
	if (cont && cont_len == 0)
		cont_level = level;
	const char *s = buf;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (cont_len == 0) {
			cont_level = cont ? cont_level : level;
			cont_ts = now;
		}
		size_t room = LOG_TEXT - cont_len;
		size_t take = len < room ? len : room;
		memcpy(cont_buf + cont_len, s, take);
		cont_len += take;
		if (!nl)
			break;
		log_store(cont_level, cont_ts, cont_buf, cont_len);
		cont_len = 0;
		s = nl + 1;
	}
	if (locked)
		spin_unlock(&log_lock);
	arch_irq_restore(flags);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

u64 log_first_seq(void)
{
	return log_next > LOG_RECORDS ? log_next - LOG_RECORDS : 0;
}

u64 log_next_seq(void)
{
	return READ_ONCE(log_next);
}

bool log_read(u64 *seq, struct log_record *rec, char *buf, size_t bufsz)
{
	bool ok = false;
	unsigned long flags = spin_lock_irqsave(&log_lock);
	u64 first = log_first_seq();
	if (*seq < first)
		*seq = first;
	if (*seq < log_next) {
		struct log_slot *s = &log_ring[*seq % LOG_RECORDS];
		size_t len = s->len < bufsz - 1 ? s->len : bufsz - 1;
		memcpy(buf, s->text, len);
		buf[len] = 0;
		rec->seq = s->seq;
		rec->ts_ns = s->ts_ns;
		rec->level = s->level;
		rec->text = buf;
		rec->len = len;
		(*seq)++;
		ok = true;
	}
	spin_unlock_irqrestore(&log_lock, flags);
	return ok;
}
