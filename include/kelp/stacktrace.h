/* Stack traces of tasks (arch/x86_64/stacktrace.c): a frame-pointer walk
 * that also judges whether the trace is complete and trustworthy, which is
 * what livepatch's consistency model needs before switching a task. */
#pragma once
#include <kelp/compiler.h>

struct task;
struct trap_frame;

/* Return addresses of t's kernel stack, innermost first; t must be current
 * or not running (it is kept off the CPU during the walk). Returns the number
 * stored, or -EINVAL when the trace is unreliable (a kernel-mode interrupt or
 * exception frame that interrupted code without an fentry site, i.e. asm
 * or notrace code, a return address outside kernel text or in entry asm, a
 * frame outside the stack or not strictly above the last, or an end that is
 * not the task's known first frame), -E2BIG when size is too small, -EBUSY
 * when t is running on another CPU, -ESRCH when t is dead. Across a
 * kernel-mode interrupt frame the trace holds the interrupted rip and every
 * text address between the interrupted rsp and rbp (a superset of the
 * functions active there). */
int stack_trace_save_tsk_reliable(struct task *t, unsigned long *store, unsigned int size);
/* The same for a t the caller already keeps off the CPU (inside
 * task_call_func(), so the walk takes no lock of its own), or current. */
int stack_trace_save_tsk_reliable_held(struct task *t, unsigned long *store, unsigned int size);
/* Best-effort trace for display: never fails, stops at the first problem
 * (and *reliable, when given, says whether the walk was reliable). */
int stack_trace_save_tsk(struct task *t, unsigned long *store, unsigned int size, bool *reliable);

/* Addresses that may not appear as return addresses in a reliable trace:
 * entry/exception asm, the context switch, the thread trampoline, and the
 * tracer's trampolines (ftrace_text_is_trampoline). */
bool unwind_text_is_unreliable(unsigned long addr);

/* Display walks over any kernel stack, for panic and dump_stack: they
 * follow frame records across exception entries onto other stacks, and
 * never judge reliability. What they report, innermost first: */
enum stack_entry_kind {
	STACK_ENTRY_IP,   /* addr: inside a function (it trapped or was interrupted there) */
	STACK_ENTRY_RET,  /* addr: a return address */
	STACK_ENTRY_TRAP, /* an exception or interrupt entry (vector, error); the
			   * interrupted code's STACK_ENTRY_IP follows unless its
			   * rip is 0 */
};
struct stack_entry {
	enum stack_entry_kind kind;
	unsigned long addr;
	unsigned long vector, error;
};
/* The stack [*lo, *hi) holding fp, which the walk must not leave while on it. */
typedef void (*stack_bounds_fn)(unsigned long fp, unsigned long *lo, unsigned long *hi);
/* Called for each entry; false stops the walk. */
typedef bool (*stack_entry_fn)(void *arg, const struct stack_entry *e);
/* From ip (when non-zero), then the frame records from fp. */
void stack_trace_walk(unsigned long fp, unsigned long ip, stack_bounds_fn bounds, stack_entry_fn fn,
		      void *arg);
/* From the context a trap frame saved. */
void stack_trace_walk_trap(const struct trap_frame *tf, stack_bounds_fn bounds, stack_entry_fn fn,
			   void *arg);
