/* The user-side runtime of Kelp programs (user/lib): system call wrappers,
 * a small printf and string helpers. Freestanding: no host libc. */
#pragma once
#include <stddef.h>
#include <stdarg.h>
#include <uapi/syscall.h>

long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

long write(int fd, const void *buf, size_t len);
int getpid(void);
int getppid(void);
int sched_yield(void);
int nanosleep(const struct kelp_timespec *req, struct kelp_timespec *rem);
int clock_gettime(int clock, struct kelp_timespec *ts);
__attribute__((noreturn)) void exit(int code);
int spawn(const char *program, const char *arg);
int wait(int pid, int *status);

/* Milliseconds on the monotonic clock; sleep for ms. */
unsigned long uptime_ms(void);
int msleep(unsigned long ms);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
long atol(const char *s);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline unsigned long rdtsc(void)
{
	unsigned int lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long)hi << 32) | lo;
}
