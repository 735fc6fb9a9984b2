/* System call wrappers: the ABI of include/uapi/syscall.h. */
#include <kelp.h>

long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
}

long write(int fd, const void *buf, size_t len)
{
	return syscall6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}

int getpid(void)
{
	return (int)syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

int getppid(void)
{
	return (int)syscall6(SYS_getppid, 0, 0, 0, 0, 0, 0);
}

int sched_yield(void)
{
	return (int)syscall6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

int nanosleep(const struct kelp_timespec *req, struct kelp_timespec *rem)
{
	return (int)syscall6(SYS_nanosleep, (long)req, (long)rem, 0, 0, 0, 0);
}

int clock_gettime(int clock, struct kelp_timespec *ts)
{
	return (int)syscall6(SYS_clock_gettime, clock, (long)ts, 0, 0, 0, 0);
}

void exit(int code)
{
	syscall6(SYS_exit, code, 0, 0, 0, 0, 0);
	for (;;)
		;
}

int spawn(const char *program, const char *arg)
{
	return (int)syscall6(SYS_spawn, (long)program, (long)arg, 0, 0, 0, 0);
}

int wait(int pid, int *status)
{
	return (int)syscall6(SYS_wait, pid, (long)status, 0, 0, 0, 0);
}

unsigned long uptime_ms(void)
{
	struct kelp_timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (unsigned long)ts.tv_sec * 1000 + (unsigned long)ts.tv_nsec / 1000000;
}

int msleep(unsigned long ms)
{
	struct kelp_timespec ts = { (long)(ms / 1000), (long)(ms % 1000) * 1000000 };
	return nanosleep(&ts, 0);
}
