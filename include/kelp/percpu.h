/* Per-CPU data, reached through the arch (on x86_64 the GS base,
 * <asm/percpu.h>) so that code never assumes one CPU. */
#pragma once
#include <kelp/compiler.h>
#include <arch/percpu.h>

struct task;
struct fault_catch;

struct percpu {
	struct percpu *self; /* must stay first: arch_this_cpu() reads it */
	int cpu_id;
	struct task *current_task; /* the running task (sched.h: current) */
	int preempt_count;
	unsigned long kernel_stack_top; /* rsp0 for entries from user mode */
	unsigned long user_rsp_scratch;
	struct fault_catch *fault_catch;
	u64 irq_count;
	int in_irq;
	unsigned long ftrace_recursion; /* tracer guard bits, one per context */
};

static __always_inline struct percpu *this_cpu(void)
{
	return arch_this_cpu();
}

#define MAX_CPUS 8
extern struct percpu percpu_areas[MAX_CPUS];
int nr_cpus(void);
