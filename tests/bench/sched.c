/* Scheduler benchmarks: a thread-to-thread context switch (two threads
 * yielding to each other), wake-up latency (complete() to the woken,
 * more urgent thread running) and a grace period on an idle system. Under icount the figures are instructions. */
#include <kelp/bench.h>
#include <kelp/rcupdate.h>
#include <kelp/sched.h>

#define SWITCH_ROUNDS 2000

struct pingpong {
	struct completion done;
	u64 t_start, t_end;
};

static int pingpong_thread(void *data)
{
	struct pingpong *pp = data;
	if (!pp->t_start)
		pp->t_start = bench_now();
	for (int i = 0; i < SWITCH_ROUNDS; i++)
		yield();
	pp->t_end = bench_now();
	complete(&pp->done);
	return 0;
}

KBENCH_DESC(sched_switch, "yield() between two kernel threads")
{
	static struct pingpong pp;
	pp.t_start = pp.t_end = 0;
	init_completion(&pp.done);
	struct task *a = kthread_create(pingpong_thread, &pp, "ping");
	struct task *b = kthread_create(pingpong_thread, &pp, "pong");
	if (!a || !b) {
		/* a thread not started yet is stopped before it runs */
		if (a)
			kthread_stop(a);
		if (b)
			kthread_stop(b);
		bench_skip("context_switch_yield", "no memory for the threads");
		return;
	}
	/* More urgent than this thread: the pair has the CPU to itself. */
	sched_set_prio(a, SCHED_PRIO_DEFAULT - 5);
	sched_set_prio(b, SCHED_PRIO_DEFAULT - 5);
	u64 sw0 = sched_nr_switches();
	/* Both queued before either runs (the first would preempt us). */
	preempt_disable();
	kthread_wake(a);
	kthread_wake(b);
	preempt_enable();
	wait_for_completion(&pp.done);
	wait_for_completion(&pp.done);
	u64 switches = sched_nr_switches() - sw0;
	kthread_join(a);
	kthread_join(b);
	/* Both loops ran between t_start and t_end: 2 * ROUNDS yields, each
	 * a switch to the other thread. */
	bench_report("context_switch_yield", (pp.t_end - pp.t_start) / (2 * SWITCH_ROUNDS),
		     "insns/switch");
	bench_report("context_switch_count", switches, "switches");
}

#define WAKE_ROUNDS 200

struct wakeup {
	struct completion go;
	u64 t_wake, total, best;
	int rounds;
};

static int wakee_thread(void *data)
{
	struct wakeup *w = data;
	for (int i = 0; i < WAKE_ROUNDS; i++) {
		wait_for_completion(&w->go);
		u64 d = bench_now() - w->t_wake;
		w->total += d;
		if (d < w->best)
			w->best = d;
		w->rounds++;
	}
	return 0;
}

KBENCH_DESC(sched_wakeup, "complete() until the woken higher-priority thread runs")
{
	static struct wakeup w;
	w.total = 0;
	w.best = ~0ULL;
	w.rounds = 0;
	init_completion(&w.go);
	struct task *t = kthread_create(wakee_thread, &w, "wakee");
	if (!t) {
		bench_skip("wakeup_latency_avg", "no memory for the thread");
		return;
	}
	sched_set_prio(t, SCHED_PRIO_DEFAULT - 5);
	kthread_wake(t); /* runs at once and sleeps on go */
	for (int i = 0; i < WAKE_ROUNDS; i++) {
		w.t_wake = bench_now();
		complete(&w.go); /* the wakee preempts us right here */
	}
	kthread_join(t);
	bench_report("wakeup_latency_avg", w.rounds ? w.total / w.rounds : 0, "insns");
	bench_report("wakeup_latency_min", w.best, "insns");
}

#define GP_ROUNDS 50

KBENCH_DESC(rcu_synchronize, "synchronize_rcu() with nothing else runnable")
{
	u64 gp0 = rcu_gp_count(), t0 = bench_now();
	for (int i = 0; i < GP_ROUNDS; i++)
		synchronize_rcu();
	u64 t1 = bench_now();
	/* Called atomic it returns at once with a warning: the figure counts
	 * only if every call really waited for its own grace period. */
	if (rcu_gp_count() - gp0 < GP_ROUNDS) {
		bench_skip("rcu_synchronize_idle", "synchronize_rcu() did not wait");
		return;
	}
	bench_report("rcu_synchronize_idle", (t1 - t0) / GP_ROUNDS, "insns");
}
