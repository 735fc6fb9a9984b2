/* printk with Linux's levels, pr_fmt prefixes and a log ring (kernel/printk.c). */
#pragma once
#include <kelp/compiler.h>
#include <kelp/dynamic_debug.h>

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"

#define LOGLEVEL_DEFAULT 6

int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
/* A dynamic-debug site (<kelp/dynamic_debug.h>): off until enabled
 * through /sys/kernel/debug/dynamic_debug/control, then KERN_DEBUG. */
#define pr_debug(fmt, ...)                                                                         \
	do {                                                                                       \
		__dynamic_debug_site(__ddebug_site, pr_fmt(fmt));                                  \
		if (dynamic_debug_enabled(__ddebug_site))                                          \
			printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__);                             \
	} while (0)
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

/* Console verbosity: records with a level below this reach the console. */
extern int console_loglevel;

/* The log ring: records are kept with their sequence number, level and
 * timestamp; readers iterate from a sequence number. */
struct log_record {
	u64 seq;
	u64 ts_ns;
	int level;
	const char *text; /* NUL-terminated, valid until the next printk */
	size_t len;
};
/* Copy the record with sequence >= *seq into rec/buf; advances *seq.
 * Returns false when there is no newer record. */
bool log_read(u64 *seq, struct log_record *rec, char *buf, size_t bufsz);
u64 log_first_seq(void);
u64 log_next_seq(void);
/* Format one record as dmesg prints it: "[    1.234567] text". */
int log_format(const struct log_record *rec, char *out, size_t size);

/* Raw console output, bypassing the log (used by panic and the shell). */
void console_write(const char *s, size_t len);
void console_puts(const char *s);
int kprintf(const char *fmt, ...) __printf(1, 2);
