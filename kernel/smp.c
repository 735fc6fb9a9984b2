/* Cross-CPU function calls (include/kelp/smp.h): a lock-free queue per
 * target CPU (push with a compare-and-swap, take all with one exchange),
 * run by the target's call IPI or by the target itself while it waits with
 * interrupts off. A waited-for call's entry lives on the caller's stack
 * until `done`; an unwaited one is the caller CPU's slot for that target,
 * released by the target before it runs the function. notrace throughout:
 * text_poke_sync() uses it while sites are being rewritten. */
#include <kelp/smp.h>
#include <kelp/errno.h>
#include <kelp/irq.h>
#include <kelp/preempt.h>
#include <kelp/printk.h>
#include <arch/cpu.h>

struct smp_csd {
	struct smp_csd *next;
	smp_call_func_t func;
	void *info;
	bool wait;
	int busy; /* unwaited slot: queued and not yet started */
	int done; /* waited entry: func has returned */
};

static struct smp_csd *call_queue[MAX_CPUS];
static struct smp_csd async_slot[MAX_CPUS][MAX_CPUS]; /* [from][to] */
static u64 calls_run[MAX_CPUS];

notrace u64 cpu_online_mask(void)
{
	int n = nr_cpus();
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

notrace void smp_call_poll(void)
{
	int self = smp_processor_id();
	if (!__atomic_load_n(&call_queue[self], __ATOMIC_RELAXED))
		return;
	/* Acquire: the entries' contents as their senders wrote them (pairs
	 * with the release of the push in queue_call()). */
	struct smp_csd *list = __atomic_exchange_n(&call_queue[self], NULL, __ATOMIC_ACQUIRE);
	/* The stack of pushes is newest first: run in the order queued. */
	struct smp_csd *fifo = NULL;
	while (list) {
		struct smp_csd *next = list->next;
		list->next = fifo;
		fifo = list;
		list = next;
	}
	while (fifo) {
		struct smp_csd *c = fifo;
		fifo = c->next; /* before the entry can be reused or go */
		smp_call_func_t fn = c->func;
		void *info = c->info;
		calls_run[self]++;
		if (c->wait) {
			fn(info);
			/* Release: fn's effects before the caller goes on (pairs
			 * with the acquire in wait_done()). c is dead after. */
			__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
		} else {
			/* The slot is free once its contents are copied: the
			 * sender may queue its next call while this one runs.
			 * Pairs with the acquire in slot_get(). */
			__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
			fn(info);
		}
	}
}

notrace void smp_call_ipi_handler(void)
{
	smp_call_poll();
}

notrace u64 smp_calls_run(int cpu)
{
	return cpu >= 0 && cpu < MAX_CPUS ? __atomic_load_n(&calls_run[cpu], __ATOMIC_RELAXED) : 0;
}

static notrace void queue_call(int cpu, struct smp_csd *c)
{
	struct smp_csd *old = __atomic_load_n(&call_queue[cpu], __ATOMIC_RELAXED);
	do
		c->next = old;
	while (!__atomic_compare_exchange_n(&call_queue[cpu], &old, c, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED));
	/* Always an IPI: the handler empties the whole queue, so a spare
	 * one only finds it empty, and none is ever missing. */
	arch_send_call_ipi(cpu);
}

/* Spin with this CPU's own queue served, so that two CPUs waiting on each
 * other with interrupts off both get on. */
static notrace void wait_done(struct smp_csd *c)
{
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		unsigned long flags = arch_irq_save();
		smp_call_poll();
		arch_irq_restore(flags);
		arch_cpu_relax();
	}
}

static notrace struct smp_csd *slot_get(int from, int to)
{
	struct smp_csd *c = &async_slot[from][to];
	while (__atomic_load_n(&c->busy, __ATOMIC_ACQUIRE)) {
		unsigned long flags = arch_irq_save();
		smp_call_poll();
		arch_irq_restore(flags);
		arch_cpu_relax();
	}
	c->busy = 1;
	return c;
}

static notrace void call_here(smp_call_func_t fn, void *info)
{
	unsigned long flags = arch_irq_save();
	fn(info);
	arch_irq_restore(flags);
}

notrace int smp_call_function_single(int cpu, smp_call_func_t fn, void *info, bool wait)
{
	if (cpu < 0 || cpu >= nr_cpus() || !fn)
		return -ENXIO;
	preempt_disable(); /* this CPU's slots, and "self" stays true */
	int self = smp_processor_id();
	if (cpu == self) {
		call_here(fn, info);
	} else if (wait) {
		struct smp_csd c = { .func = fn, .info = info, .wait = true };
		queue_call(cpu, &c);
		wait_done(&c);
	} else {
		struct smp_csd *c = slot_get(self, cpu);
		c->func = fn;
		c->info = info;
		c->wait = false;
		queue_call(cpu, c);
	}
	preempt_enable();
	return 0;
}

notrace void smp_call_function_many(u64 mask, smp_call_func_t fn, void *info, bool wait)
{
	struct smp_csd cs[MAX_CPUS];
	preempt_disable();
	int self = smp_processor_id();
	mask &= cpu_online_mask() & ~(1ULL << self);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!(mask & (1ULL << cpu)))
			continue;
		struct smp_csd *c = wait ? &cs[cpu] : slot_get(self, cpu);
		c->func = fn;
		c->info = info;
		c->wait = wait;
		c->done = 0;
		queue_call(cpu, c);
	}
	if (wait)
		for (int cpu = 0; cpu < MAX_CPUS; cpu++)
			if (mask & (1ULL << cpu))
				wait_done(&cs[cpu]);
	preempt_enable();
}

notrace void on_each_cpu(smp_call_func_t fn, void *info, bool wait)
{
	preempt_disable();
	smp_call_function_many(cpu_online_mask(), fn, info, wait);
	call_here(fn, info);
	preempt_enable();
}

notrace void smp_send_reschedule(int cpu)
{
	if (cpu >= 0 && cpu < nr_cpus() && cpu != smp_processor_id())
		arch_send_reschedule_ipi(cpu);
}
