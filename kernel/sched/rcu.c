/* Grace periods (include/kelp/rcupdate.h): a quiescent-state count per CPU,
 * the runqueue's context-switch count (nothing added to the switch itself)
 * plus the idle loop's passes. synchronize_rcu() snapshots every online CPU's
 * count and sleeps until each has moved; the tick and the idle loop wake the
 * waiters. With one CPU
 * the caller's own switch away (to another task or to idle) ends its grace
 * period; SMP only widens the loop over CPUs. */
#include <kelp/rcupdate.h>
#include <kelp/percpu.h>
#include <kelp/sched.h>
#include <kelp/time.h>
#include <kelp/wait.h>
#include <kelp/init.h>
#include <kelp/printk.h>
#include <kelp/panic.h>
#include <arch/cpu.h>

struct rcu_data {
	u64 qs_seq; /* idle passes (and other non-switch quiescent states);
		     * written by its own CPU only */
} __attribute__((aligned(64)));

static struct rcu_data rcu_data[MAX_CPUS];
static DECLARE_WAIT_QUEUE_HEAD(rcu_gp_wq);
static u64 rcu_gps;

notrace void rcu_note_qs(void)
{
	struct rcu_data *rd = &rcu_data[this_cpu()->cpu_id];
	/* Every access of a reader that ended before this point is done
	 * before the count moves: pairs with the smp_mb() after the wait in
	 * synchronize_rcu(). (The context-switch count is ordered by the
	 * runqueue lock instead.) */
	smp_mb();
	WRITE_ONCE(rd->qs_seq, rd->qs_seq + 1);
}

static u64 rcu_qs_count(int cpu)
{
	return sched_cpu_nr_switches(cpu) + READ_ONCE(rcu_data[cpu].qs_seq);
}

notrace bool rcu_read_lock_any_held(void)
{
	return preempt_count() || !arch_irqs_enabled();
}

static bool rcu_gp_passed(const u64 *snap, int ncpus)
{
	for (int c = 0; c < ncpus; c++)
		if (rcu_qs_count(c) == snap[c])
			return false;
	return true;
}

void synchronize_rcu(void)
{
	u64 snap[MAX_CPUS];
	int ncpus = nr_cpus();

	if (!sched_running() || (current->flags & PF_IDLE)) {
		smp_mb(); /* boot: nothing else runs; pairs with nothing */
		return;
	}
	if (WARN_ON(rcu_read_lock_any_held())) {
		printk(KERN_ERR "synchronize_rcu() called atomic by %s/%d\n", current->comm,
		       current->pid);
		return; /* sleeping here would deadlock; the caller's bug */
	}
	if (ncpus < 1)
		ncpus = 1;
	/* The caller's unpublishing stores before the snapshot: a reader
	 * that begins after a CPU's count moved cannot find what was
	 * removed. Pairs with the smp_mb() in rcu_note_qs(). */
	smp_mb();
	for (int c = 0; c < ncpus; c++)
		snap[c] = rcu_qs_count(c);
	wait_event(rcu_gp_wq, rcu_gp_passed(snap, ncpus));
	/* The readers' accesses (ordered before their CPU's count moved) come
	 * before whatever the caller frees next. Pairs with the smp_mb() in
	 * rcu_note_qs(). */
	smp_mb();
	__atomic_fetch_add(&rcu_gps, 1, __ATOMIC_RELAXED);
}

u64 rcu_gp_count(void)
{
	return __atomic_load_n(&rcu_gps, __ATOMIC_RELAXED);
}

/* The tick: waiters re-check their snapshots. Those whose CPUs all passed
 * a quiescent state go on; the others sleep again. */
static void rcu_tick(void)
{
	if (waitqueue_active(&rcu_gp_wq))
		wake_up_all(&rcu_gp_wq);
}

/* The idle loop: a quiescent state, and on an otherwise idle CPU the
 * moment a waiter can go on (no need to wait for the tick). */
notrace void rcu_idle_qs(void)
{
	rcu_note_qs();
	if (waitqueue_active(&rcu_gp_wq))
		wake_up_all(&rcu_gp_wq);
}

static int rcu_init(void)
{
	if (timer_tick_register(rcu_tick))
		panic("rcu: cannot register the tick");
	return 0;
}
core_initcall(rcu_init);
