/* Preemption: a per-CPU count (include/kelp/percpu.h); the task on the CPU
 * cannot be switched out while it is non-zero. spinlock.h builds on this and
 * sched.h on spinlock.h, so it cannot see struct task: the one thing it
 * reads of the running task, TIF_NEED_RESCHED, is found by an offset that
 * sched.h checks against the struct (as asm-offsets would). */
#pragma once
#include <kelp/compiler.h>
#include <kelp/percpu.h>

/* schedule from preempt_enable() when the count drops to 0 with a
 * reschedule pending and interrupts on (kernel/sched/core.c). */
void preempt_schedule(void);
#define TASK_THREAD_FLAGS_OFFSET 16 /* offsetof(struct task, thread_flags) */
#define PREEMPT_TIF_NEED_RESCHED 0 /* TIF_NEED_RESCHED */

/* need_resched() of the running task (none before the scheduler is up). */
static __always_inline bool preempt_need_resched(void)
{
	const char *t = (const char *)arch_this_cpu_read(current_task);
	if (!t)
		return false;
	unsigned long flags = READ_ONCE(*(const unsigned long *)(t + TASK_THREAD_FLAGS_OFFSET));
	return (flags >> PREEMPT_TIF_NEED_RESCHED) & 1;
}

static __always_inline void preempt_disable(void)
{
	this_cpu()->preempt_count++;
	barrier();
}
static __always_inline void preempt_enable_no_resched(void)
{
	barrier();
	this_cpu()->preempt_count--;
}
static __always_inline void preempt_enable(void)
{
	barrier();
	if (--this_cpu()->preempt_count == 0 && unlikely(preempt_need_resched()))
		preempt_schedule();
}
static inline int preempt_count(void) { return READ_ONCE(this_cpu()->preempt_count); }
