/* Stack traces of tasks (arch/x86_64/stacktrace.c): a frame-pointer walk
 * that also judges whether the trace is complete and trustworthy, which is
 * what livepatch's consistency model needs before switching a task. */
#pragma once
#include <kelp/compiler.h>

struct task;

/* Return addresses of t's kernel stack, innermost first; t must be current
 * or not running (it is kept off the CPU during the walk). Returns the number
 * stored, or -EINVAL when the trace is unreliable (a kernel-mode interrupt or
 * exception frame on the stack, a return address outside kernel text or in
 * entry asm, a frame outside the stack or not strictly above the last, or an
 * end that is not the task's known first frame), -E2BIG when size is too
 * small, -EBUSY when t is running on another CPU, -ESRCH when t is dead. */
int stack_trace_save_tsk_reliable(struct task *t, unsigned long *store, unsigned int size);
/* Best-effort trace for display: never fails, stops at the first problem
 * (and *reliable, when given, says whether the walk was reliable). */
int stack_trace_save_tsk(struct task *t, unsigned long *store, unsigned int size, bool *reliable);

/* Addresses that may not appear as return addresses in a reliable trace:
 * entry/exception asm, the context switch, the thread trampoline; the tracer
 * adds its trampolines through unwind_register_unreliable(). */
bool unwind_text_is_unreliable(unsigned long addr);
/* Mark [start, end) as unreliable text (e.g. ftrace trampolines).
 * -ENOSPC when the table is full. */
int unwind_register_unreliable(unsigned long start, unsigned long end);
void unwind_unregister_unreliable(unsigned long start);
