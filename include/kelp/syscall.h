/* The kernel side of system calls (kernel/user/syscall.c): the handlers, named
 * like Linux's and kept out of line so that the tracer and livepatch can
 * hook or replace each one, and the number -> handler dispatch. The ABI
 * (numbers, structures) is include/uapi/syscall.h. */
#pragma once
#include <kelp/compiler.h>
#include <uapi/syscall.h>
#include <kelp/user.h>

long do_syscall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		unsigned long a3, unsigned long a4, unsigned long a5);

long sys_write(int fd, const char __user *buf, size_t len);
long sys_getpid(void);
long sys_getppid(void);
long sys_sched_yield(void);
long sys_nanosleep(const struct kelp_timespec __user *req, struct kelp_timespec __user *rem);
long sys_clock_gettime(int clock, struct kelp_timespec __user *ts);
long sys_exit(int code);
long sys_spawn(const char __user *program, const char __user *arg);
long sys_wait(int pid, int __user *status);
/* tests/stress/kelp_pair.c: the livepatch stress checker's pair, from user mode */
long sys_kelp_pair(long __user *out);
