/* System call handlers and the number -> handler switch. Each handler is an
 * ordinary out-of-line C function with a fentry site, named like Linux's,
 * so the tracer sees it and a livepatch can replace it (as Linux's
 * test_klp_syscall replaces getpid). Pointers from user space only go
 * through the checked copies of <user.h>. */
#define pr_fmt(fmt) "syscall: " fmt
#include <kelp/syscall.h>
#include <kelp/sched.h>
#include <kelp/errno.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/time.h>

noinline long sys_write(int fd, const char __user *buf, size_t len)
{
	char kbuf[256];
	size_t done = 0;

	if (fd != 1 && fd != 2)
		return -EBADF;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(kbuf));
		if (copy_from_user(kbuf, buf + done, n))
			return done ? (long)done : -EFAULT;
		console_write(kbuf, n);
		done += n;
	}
	return (long)done;
}

noinline long sys_getpid(void)
{
	return current->pid;
}

noinline long sys_getppid(void)
{
	struct task *p = READ_ONCE(current->parent);
	return p ? p->pid : 0;
}

noinline long sys_sched_yield(void)
{
	yield();
	return 0;
}

noinline long sys_nanosleep(const struct kelp_timespec __user *req, struct kelp_timespec __user *rem)
{
	struct kelp_timespec ts;
	if (copy_from_user(&ts, req, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NSEC_PER_SEC)
		return -EINVAL;
	u64 ms = (u64)ts.tv_sec * 1000 + ((u64)ts.tv_nsec + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	if (!ms) {
		yield();
		return 0;
	}
	long left = schedule_timeout_interruptible((long)msecs_to_jiffies(ms));
	if (left && signal_pending(current)) {
		if (rem) {
			u64 left_ms = (u64)left * 1000 / HZ;
			struct kelp_timespec r = { (long)(left_ms / 1000),
						   (long)(left_ms % 1000 * NSEC_PER_MSEC) };
			if (copy_to_user(rem, &r, sizeof(r)))
				return -EFAULT;
		}
		return -EINTR;
	}
	return 0;
}

noinline long sys_clock_gettime(int clock, struct kelp_timespec __user *ts)
{
	if (clock != CLOCK_MONOTONIC && clock != 0)
		return -EINVAL;
	u64 ns = ktime_get_ns();
	struct kelp_timespec k = { (long)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
	return copy_to_user(ts, &k, sizeof(k)) ? -EFAULT : 0;
}

noinline long sys_exit(int code)
{
	user_exit(code);
}

noinline long sys_spawn(const char __user *program, const char __user *arg)
{
	char name[32], argbuf[128];
	long r = strncpy_from_user(name, program, sizeof(name));
	if (r < 0)
		return r;
	if (arg) {
		r = strncpy_from_user(argbuf, arg, sizeof(argbuf));
		if (r < 0)
			return r == -ENAMETOOLONG ? -E2BIG : r;
	}
	int err = 0;
	struct task *t = user_spawn(name, arg ? argbuf : NULL, &err);
	if (!t)
		return err;
	int pid = t->pid;
	if (user_adopt_child(t)) {
		/* It runs on as an orphan. */
		put_task_struct(t);
		return -ENOMEM;
	}
	return pid;
}

noinline long sys_wait(int pid, int __user *status)
{
	int st = 0;
	if (pid < -1 || pid == 0)
		return -EINVAL;
	int r = user_wait(pid, &st);
	if (r > 0 && status && copy_to_user(status, &st, sizeof(st)))
		return -EFAULT;
	return r;
}

long do_syscall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		unsigned long a3, unsigned long a4, unsigned long a5)
{
	(void)a3;
	(void)a4;
	(void)a5;
	switch (nr) {
	case SYS_write:
		return sys_write((int)a0, (const char __user *)a1, a2);
	case SYS_getpid:
		return sys_getpid();
	case SYS_getppid:
		return sys_getppid();
	case SYS_sched_yield:
		return sys_sched_yield();
	case SYS_nanosleep:
		return sys_nanosleep((const void __user *)a0, (void __user *)a1);
	case SYS_clock_gettime:
		return sys_clock_gettime((int)a0, (void __user *)a1);
	case SYS_exit:
		return sys_exit((int)a0);
	case SYS_spawn:
		return sys_spawn((const char __user *)a0, (const char __user *)a1);
	case SYS_wait:
		return sys_wait((int)a0, (int __user *)a1);
#ifdef CONFIG_STRESS
	case SYS_kelp_pair:
		return sys_kelp_pair((long __user *)a0);
#endif
	default:
		return -ENOSYS;
	}
}
