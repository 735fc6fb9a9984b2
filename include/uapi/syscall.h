/* The system call ABI shared by the kernel and the programs in user/:
 * numbers (Linux's where Linux has the call), the register convention and
 * the few structures passed through pointers. Plain C, no kernel headers.
 *
 * syscall: rax = number, args in rdi, rsi, rdx, r10, r8, r9; result in
 * rax, -errno on failure; rcx and r11 are clobbered. */
#pragma once

#define SYS_write 1
#define SYS_sched_yield 24
#define SYS_nanosleep 35
#define SYS_getpid 39
#define SYS_exit 60
#define SYS_wait 61          /* wait(pid or -1, int *status) -> pid */
#define SYS_getppid 110
#define SYS_clock_gettime 228 /* only CLOCK_MONOTONIC (1) */
#define SYS_spawn 400         /* spawn(const char *program, const char *arg) -> pid */
#define SYS_kelp_pair 401     /* kelp_pair(long *out) -> a << 16 | b (the stress checker) */

#define CLOCK_MONOTONIC 1

struct kelp_timespec {
	long tv_sec;
	long tv_nsec;
};

/* Exit status of a task the kernel killed for a fault: 128 + SIGSEGV, as
 * a shell reports it; for a kill, 128 + SIGKILL; for Ctrl-C at the console
 * (a program in the foreground of `spawn -w`), 128 + SIGINT. */
#define KELP_EXIT_SEGV 139
#define KELP_EXIT_KILLED 137
#define KELP_EXIT_INTERRUPTED 130
