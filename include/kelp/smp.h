/* Cross-CPU calls and IPIs (kernel/smp.c; the arch sends the interrupts).
 * Online CPUs are 0 .. nr_cpus() - 1. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/percpu.h>

typedef void (*smp_call_func_t)(void *info);

static inline int smp_processor_id(void)
{
	return this_cpu()->cpu_id;
}

/* Bit n set for each online CPU n. */
u64 cpu_online_mask(void);

/* Run fn(info) on CPU cpu, in interrupt context with interrupts off (on
 * this CPU: directly, interrupts off). wait: return once fn has returned
 * there; else once it is queued (fn and info must then outlive the call:
 * the entry itself is this CPU's slot for that target, reused once the
 * target has started the previous call, so nothing is allocated or freed).
 * fn must take no lock and not sleep: a CPU waiting with interrupts off
 * (for its own call, or spinning on a lock) runs the calls queued for it,
 * so a call may run inside any irqs-off section. -ENXIO for a CPU that is
 * not online. May be called with interrupts off. */
int smp_call_function_single(int cpu, smp_call_func_t fn, void *info, bool wait);
/* The same on every online CPU of mask except this one. */
void smp_call_function_many(u64 mask, smp_call_func_t fn, void *info, bool wait);
/* On every online CPU, this one included (last, directly). */
void on_each_cpu(smp_call_func_t fn, void *info, bool wait);
/* Run the calls queued for this CPU (interrupts off). For waits with
 * interrupts off; the arch's call IPI runs it too. */
void smp_call_poll(void);
/* Calls this CPU has run (self-tests count them). */
u64 smp_calls_run(int cpu);

/* Make cpu look at TIF_NEED_RESCHED (already set by the caller) now: an
 * interrupt whose exit preempts, or wakes it from idle. */
void smp_send_reschedule(int cpu);

/* The arch's side (arch/x86_64/smp.c). */
void arch_send_call_ipi(int cpu);
void arch_send_reschedule_ipi(int cpu);
/* Called by the arch from the call IPI, in interrupt context. */
void smp_call_ipi_handler(void);
