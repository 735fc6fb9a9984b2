/* Per-CPU data, reached through the GS base so that code never assumes one CPU. */
#pragma once
#include <kelp/compiler.h>

struct task;
struct fault_catch;

struct percpu {
	struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
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
	struct percpu *p;
	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

#define MAX_CPUS 8
extern struct percpu percpu_areas[MAX_CPUS];
int nr_cpus(void);
