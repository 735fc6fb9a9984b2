/* x86_64 bodies of <arch/percpu.h>: the GS base points at this CPU's struct
 * percpu, whose first member points at itself. Included by <arch/percpu.h>
 * only. */
#pragma once
#include <kelp/compiler.h>

static __always_inline struct percpu *arch_this_cpu(void)
{
	struct percpu *p;
	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* One gs-relative load: no window between finding this CPU's area and
 * reading it, so no preemption guard is needed. */
#define arch_this_cpu_read(member)                                                                 \
	({                                                                                         \
		__typeof__(((struct percpu *)0)->member) __v;                                      \
		BUILD_BUG_ON(sizeof(__v) != 8);                                                    \
		__asm__ __volatile__("movq %%gs:%c1, %0"                                           \
				     : "=r"(__v)                                                   \
				     : "i"(offsetof(struct percpu, member)));                      \
		__v;                                                                               \
	})
