/* Cross-CPU calls and grace periods over CPUs (suite "smp"). With one CPU
 * the calls run directly on this CPU; test_smp.py runs the suite with four
 * CPUs online (smp_online), where each case also covers every other CPU. */
#include <kelp/ktest.h>
#include <kelp/smp.h>
#include <kelp/sched.h>
#include <kelp/rcupdate.h>
#include <kelp/irq.h>
#include <kelp/errno.h>
#include <kelp/time.h>
#include <arch/cpu.h>

struct where {
	int cpu;
	bool irqs_off, in_irq;
	int runs;
};

static void note_where(void *arg)
{
	struct where *w = arg;
	w->cpu = smp_processor_id();
	w->irqs_off = !arch_irqs_enabled();
	w->in_irq = in_interrupt();
	w->runs++;
}

KTEST(smp, call_single_wait_runs_there_with_irqs_off)
{
	int self = smp_processor_id();
	for (int c = 0; c < nr_cpus(); c++) {
		struct where w = { .cpu = -1 };
		KEXPECT_EQ(smp_call_function_single(c, note_where, &w, true), 0);
		KEXPECT_EQ(w.runs, 1);
		KEXPECT_EQ(w.cpu, c);
		KEXPECT_TRUE(w.irqs_off);
		/* Another CPU runs it from its call IPI; this one directly. */
		KEXPECT_EQ(w.in_irq, c != self);
	}
	struct where w = { .cpu = -1 };
	KEXPECT_EQ(smp_call_function_single(nr_cpus(), note_where, &w, true), -ENXIO);
	KEXPECT_EQ(smp_call_function_single(-1, note_where, &w, true), -ENXIO);
	KEXPECT_EQ(w.runs, 0);
}

static u64 nowait_count[MAX_CPUS];

static void count_here(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&nowait_count[smp_processor_id()], 1, __ATOMIC_RELAXED);
}

/* Unwaited calls reuse this CPU's slot for the target as soon as the
 * previous call has started: 200 in a row each run exactly once, none is
 * lost or run twice, and the caller never waits for a call to finish. */
KTEST(smp, call_single_nowait_each_runs_once)
{
	for (int c = 0; c < MAX_CPUS; c++)
		nowait_count[c] = 0;
	for (int c = 0; c < nr_cpus(); c++)
		for (int i = 0; i < 200; i++)
			KEXPECT_EQ(smp_call_function_single(c, count_here, NULL, false), 0);
	for (int c = 0; c < nr_cpus(); c++) {
		u64 until = ktime_get_ns() + 5 * NSEC_PER_SEC; /* a bound, not a timing */
		while (__atomic_load_n(&nowait_count[c], __ATOMIC_RELAXED) < 200 &&
		       ktime_get_ns() < until)
			arch_cpu_relax();
	}
	/* A late extra run would show here. */
	msleep(10);
	for (int c = 0; c < nr_cpus(); c++)
		KEXPECT_EQ(__atomic_load_n(&nowait_count[c], __ATOMIC_RELAXED), 200);
}

static u64 ran_mask;

static void mark_cpu(void *arg)
{
	(void)arg;
	__atomic_fetch_or(&ran_mask, 1ULL << smp_processor_id(), __ATOMIC_RELAXED);
}

KTEST(smp, many_and_each_cpu_reach_every_online_cpu)
{
	u64 self = 1ULL << smp_processor_id();
	ran_mask = 0;
	smp_call_function_many(cpu_online_mask(), mark_cpu, NULL, true);
	KEXPECT_EQ(ran_mask, cpu_online_mask() & ~self); /* not this CPU */
	ran_mask = 0;
	on_each_cpu(mark_cpu, NULL, true);
	KEXPECT_EQ(ran_mask, cpu_online_mask());
	/* With interrupts off: the targets answer, this CPU runs its part. */
	ran_mask = 0;
	unsigned long flags = arch_irq_save();
	on_each_cpu(mark_cpu, NULL, true);
	arch_irq_restore(flags);
	KEXPECT_EQ(ran_mask, cpu_online_mask());
}

/* A reader on another CPU: an unwaited call that holds its CPU in
 * interrupt context (interrupts off, no quiescent state) until released. */
static volatile int reader_in, reader_release, gp_done;

static void hold_reader(void *arg)
{
	(void)arg;
	reader_in = 1;
	while (!__atomic_load_n(&reader_release, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	reader_in = 0;
}

static int gp_thread(void *arg)
{
	(void)arg;
	synchronize_rcu();
	__atomic_store_n(&gp_done, 1, __ATOMIC_RELEASE);
	return 0;
}

KTEST(smp, synchronize_rcu_waits_for_a_reader_on_another_cpu)
{
	if (nr_cpus() < 2) {
		/* One CPU: a reader here is the caller itself (covered by the rcu suite). */
		KEXPECT_EQ(smp_call_function_single(1, hold_reader, NULL, false), -ENXIO);
		return;
	}
	int other = smp_processor_id() == 0 ? 1 : 0;
	reader_in = reader_release = gp_done = 0;
	KASSERT_EQ(smp_call_function_single(other, hold_reader, NULL, false), 0);
	u64 until = ktime_get_ns() + 5 * NSEC_PER_SEC;
	while (!reader_in && ktime_get_ns() < until)
		msleep(1);
	KASSERT_TRUE(reader_in);
	struct task *gp = kthread_run(gp_thread, NULL, "smp_gp");
	KASSERT_TRUE(gp != NULL);
	msleep(50); /* the reader holds its CPU: the grace period cannot end */
	KEXPECT_FALSE(__atomic_load_n(&gp_done, __ATOMIC_ACQUIRE));
	__atomic_store_n(&reader_release, 1, __ATOMIC_RELEASE);
	until = ktime_get_ns() + 5 * NSEC_PER_SEC;
	while (!__atomic_load_n(&gp_done, __ATOMIC_ACQUIRE) && ktime_get_ns() < until)
		msleep(1);
	KEXPECT_TRUE(__atomic_load_n(&gp_done, __ATOMIC_ACQUIRE));
	KEXPECT_EQ(kthread_stop(gp), 0);
}
