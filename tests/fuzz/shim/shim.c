/* The few kernel services the fuzzed kernel files call, for the host:
 * the heap is libc's (so ASan sees every allocation and every overflow),
 * console and log output go nowhere. Linked, with string.c (strlcpy,
 * scnprintf), into every fuzz target whose kernel files call them. */
#include <kelp/mm.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/mutex.h>
#include <kelp/module.h>

/* libc's heap under the kernel's names; mm.h cannot be mixed with
 * <stdlib.h>, so declare the two we need. */
extern void *malloc(size_t size);
extern void *calloc(size_t n, size_t size);
extern void *realloc(void *p, size_t size);
extern void free(void *p);

void *kmalloc(size_t size)
{
	return malloc(size ? size : 1);
}

void *kzalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void *krealloc(void *p, size_t size)
{
	return realloc(p, size ? size : 1);
}

void kfree(void *p)
{
	free(p);
}

char *kstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = kmalloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Formatting still runs (vsnprintf into a scratch buffer) so a bad format
 * argument is still caught by the sanitizers; the text is dropped. */
int vprintk(const char *fmt, va_list ap)
{
	char buf[512];

	return vsnprintf(buf, sizeof(buf), fmt, ap);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void console_puts(const char *s)
{
	(void)strlen(s);
}

/* One thread: a mutex only has to be balanced. */
void mutex_lock(struct mutex *m)
{
	(void)m;
}

void mutex_unlock(struct mutex *m)
{
	(void)m;
}

/* No modules on the host: every pseudo-fs node belongs to the kernel. */
struct module *module_of_addr(unsigned long addr)
{
	(void)addr;
	return NULL;
}

bool try_module_get(struct module *mod)
{
	(void)mod;
	return true;
}

void module_put(struct module *mod)
{
	(void)mod;
}
