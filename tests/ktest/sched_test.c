/* Scheduler self-tests: context switch registers, preemption, sleeps,
 * wait queues, completions, mutexes, thread reaping, the unwinder, and the
 * cost of pick-next with many runnable tasks. */
#include <kelp/ktest.h>
#include <kelp/sched.h>
#include <kelp/mutex.h>
#include <kelp/stacktrace.h>
#include <kelp/ksyms.h>
#include <kelp/cmdline.h>
#include <kelp/bench.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/time.h>
#include <kelp/printk.h>

/* ---- callee-saved registers survive a switch ---- */

struct regs_arg {
	u64 buf[10]; /* in[5], out[5] */
	int bad;
	struct completion done;
};

/* Loads rbx and r12-r15 from buf[0..4], yields to the other thread (which
 * loads its own values), then stores what the registers hold afterwards in
 * buf[5..9] (sched_regs.asm). */
void regs_yield(u64 *buf);

static int regs_thread(void *data)
{
	struct regs_arg *a = data;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 5; i++) {
			a->buf[i] = a->buf[0] * 31 + (u64)round * 0x10001 + (u64)i * 0x9e3779b97f4a7c15ULL;
			a->buf[5 + i] = 0;
		}
		regs_yield(a->buf);
		for (int i = 0; i < 5; i++)
			if (a->buf[5 + i] != a->buf[i])
				a->bad++;
	}
	complete(&a->done);
	return 0;
}

KTEST(sched, switch_preserves_callee_saved)
{
	static struct regs_arg a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.buf[0] = 0x1111111111111111ULL;
	b.buf[0] = 0x2222222222222222ULL;
	init_completion(&a.done);
	init_completion(&b.done);
	u64 sw0 = sched_nr_switches();
	struct task *ta = kthread_create(regs_thread, &a, "regs_a");
	struct task *tb = kthread_create(regs_thread, &b, "regs_b");
	KASSERT_TRUE(ta && tb);
	kthread_wake(ta);
	kthread_wake(tb);
	wait_for_completion(&a.done);
	wait_for_completion(&b.done);
	kthread_stop(ta);
	kthread_stop(tb);
	KEXPECT_EQ(a.bad, 0);
	KEXPECT_EQ(b.bad, 0);
	/* The yields must really have switched between the two. */
	KEXPECT_GE(sched_nr_switches() - sw0, 100);
}

/* ---- preemption interleaves busy threads ---- */

struct busy_arg {
	volatile u64 count;
	volatile u64 *other;
	int seen; /* times the other made progress while this one never yielded */
	u64 deadline;
	struct busy_arg *peer;
};

static int busy_thread(void *data)
{
	struct busy_arg *a = data;
	u64 last = *a->other;
	while (ktime_get_ns() < a->deadline) {
		a->count++;
		u64 o = *a->other;
		if (o != last) {
			a->seen++;
			last = o;
		}
		if (a->seen >= 5 && READ_ONCE(a->peer->seen) >= 5)
			break;
	}
	return 0;
}

KTEST(sched, preemption_interleaves_busy_threads)
{
	static struct busy_arg a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.other = &b.count;
	b.other = &a.count;
	a.peer = &b;
	b.peer = &a;
	a.deadline = b.deadline = ktime_get_ns() + 5 * NSEC_PER_SEC;
	struct task *ta = kthread_run(busy_thread, &a, "busy_a");
	struct task *tb = kthread_run(busy_thread, &b, "busy_b");
	KASSERT_TRUE(ta && tb);
	kthread_join(ta);
	kthread_join(tb);
	KEXPECT_GE(a.seen, 5);
	KEXPECT_GE(b.seen, 5);
	KEXPECT_GT(a.count, 0);
}

/* ---- msleep ---- */

KTEST(sched, msleep_timing)
{
	static const unsigned int ms[] = { 1, 2, 5, 10, 20 };
	bool icount = cmdline_has("icount");
	for (unsigned int i = 0; i < ARRAY_SIZE(ms); i++) {
		u64 t0 = ktime_get_ns();
		msleep(ms[i]);
		u64 dt = ktime_get_ns() - t0;
		/* jiffies may count a tick up to half a tick early. */
		KEXPECT_GE(dt, ms[i] * NSEC_PER_MSEC - NSEC_PER_MSEC / 2);
		if (icount) /* deterministic time: within the one extra tick */
			KEXPECT_LE(dt, (ms[i] + 1) * NSEC_PER_MSEC + NSEC_PER_MSEC / 2);
		else
			KEXPECT_LT(dt, (ms[i] + 100) * NSEC_PER_MSEC);
	}
	u64 t0 = ktime_get_ns();
	KEXPECT_EQ(msleep_interruptible(3), 0);
	KEXPECT_GE(ktime_get_ns() - t0, 2 * NSEC_PER_MSEC);
}

/* A tick that comes late finds jiffies stale, and time_tick() then catches
 * them up by several at once: a sleeper that read the stale value sees its
 * timeout run out early (msleep(1) once lasted 0.11 ms on a loaded host).
 * Here a tick hook makes that catch-up happen on purpose, 30 jiffies at
 * once, while the test sleeps for 20 ms: the sleep must still last its 20
 * ms by the clock. */
static struct task *stale_sleeper;
static volatile bool stale_jumped;

static void stale_jiffies_tick(void)
{
	struct task *s = READ_ONCE(stale_sleeper);
	/* Off the CPU: its timeout is set from the jiffies before the jump. */
	if (s && !stale_jumped && !task_curr(s) && READ_ONCE(s->state) != TASK_RUNNING) {
		stale_jumped = true;
		__atomic_fetch_add(&jiffies, 30, __ATOMIC_RELAXED);
	}
}

KTEST(sched, msleep_lasts_when_jiffies_catch_up)
{
	for (int interruptible = 0; interruptible < 2; interruptible++) {
		stale_jumped = false;
		WRITE_ONCE(stale_sleeper, current);
		KASSERT_EQ(timer_tick_register(stale_jiffies_tick), 0);
		u64 t0 = ktime_get_ns();
		if (interruptible)
			KEXPECT_EQ(msleep_interruptible(20), 0);
		else
			msleep(20);
		u64 dt = ktime_get_ns() - t0;
		WRITE_ONCE(stale_sleeper, NULL);
		KEXPECT_EQ(timer_tick_unregister(stale_jiffies_tick), 0);
		KEXPECT_TRUE(stale_jumped);
		KEXPECT_GE(dt, 20 * NSEC_PER_MSEC);
	}
}

/* ---- wait queues and completions ---- */

static DECLARE_WAIT_QUEUE_HEAD(test_wq);
static volatile int wq_flag;
static volatile int wq_woke;

static int wq_waiter(void *data)
{
	(void)data;
	wait_event(test_wq, wq_flag);
	wq_woke++;
	return 0;
}

static int wq_interruptible_waiter(void *data)
{
	(void)data;
	return wait_event_interruptible(test_wq, wq_flag == 42);
}

KTEST(sched, wait_queue)
{
	wq_flag = 0;
	wq_woke = 0;
	struct task *w[3];
	for (int i = 0; i < 3; i++) {
		w[i] = kthread_run(wq_waiter, NULL, "wq%d", i);
		KASSERT_NOT_NULL(w[i]);
	}
	msleep(5);
	KEXPECT_EQ(wq_woke, 0);
	KEXPECT_TRUE(waitqueue_active(&test_wq));
	/* A wake-up without the condition puts them back to sleep. */
	wake_up_all(&test_wq);
	msleep(2);
	KEXPECT_EQ(wq_woke, 0);
	wq_flag = 1;
	wake_up_all(&test_wq);
	for (int i = 0; i < 3; i++)
		KEXPECT_EQ(kthread_join(w[i]), 0);
	KEXPECT_EQ(wq_woke, 3);
	KEXPECT_FALSE(waitqueue_active(&test_wq));

	/* An interruptible sleep ends with -EINTR on a kill. */
	struct task *iw = kthread_create(wq_interruptible_waiter, NULL, "wq_int");
	KASSERT_NOT_NULL(iw);
	kthread_allow_signals(iw);
	kthread_wake(iw);
	msleep(2);
	KEXPECT_EQ(READ_ONCE(iw->state), TASK_INTERRUPTIBLE);
	get_task_struct(iw);
	KEXPECT_EQ(kthread_kill(iw), 0);
	KEXPECT_EQ(kthread_stop(iw), -EINTR);
	put_task_struct(iw);
}

static struct completion test_done;
static volatile int comp_woke;

static int comp_waiter(void *data)
{
	(void)data;
	wait_for_completion(&test_done);
	__atomic_fetch_add(&comp_woke, 1, __ATOMIC_SEQ_CST);
	return 0;
}

KTEST(sched, completion)
{
	init_completion(&test_done);
	/* done counts: two completes let two waits through without sleeping */
	complete(&test_done);
	complete(&test_done);
	wait_for_completion(&test_done);
	wait_for_completion(&test_done);
	KEXPECT_FALSE(completion_done(&test_done));

	u64 j0 = jiffies;
	KEXPECT_EQ(wait_for_completion_timeout(&test_done, 5), 0);
	KEXPECT_GE(jiffies - j0, 4);

	comp_woke = 0;
	struct task *w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = kthread_run(comp_waiter, NULL, "comp%d", i);
		KASSERT_NOT_NULL(w[i]);
	}
	msleep(3);
	KEXPECT_EQ(comp_woke, 0);
	complete(&test_done); /* one */
	msleep(3);
	KEXPECT_EQ(comp_woke, 1);
	complete_all(&test_done); /* the rest */
	for (int i = 0; i < 4; i++)
		kthread_join(w[i]);
	KEXPECT_EQ(comp_woke, 4);
	KEXPECT_TRUE(wait_for_completion_timeout(&test_done, 1) > 0);
}

/* ---- mutex under contention ---- */

static DEFINE_MUTEX(test_mutex);
static u64 mutex_counter;
#define MUTEX_THREADS 16
#define MUTEX_ROUNDS 200

static int mutex_thread(void *data)
{
	long id = (long)data;
	for (int i = 0; i < MUTEX_ROUNDS; i++) {
		mutex_lock(&test_mutex);
		u64 v = mutex_counter;
		/* Give others every chance to break in. */
		if ((i + id) % 3 == 0)
			yield();
		mutex_counter = v + 1;
		mutex_unlock(&test_mutex);
	}
	return 0;
}

KTEST(sched, mutex_contention)
{
	struct task *th[MUTEX_THREADS];
	mutex_counter = 0;
	for (long i = 0; i < MUTEX_THREADS; i++) {
		th[i] = kthread_run(mutex_thread, (void *)i, "mtx%ld", i);
		KASSERT_NOT_NULL(th[i]);
	}
	for (int i = 0; i < MUTEX_THREADS; i++)
		kthread_join(th[i]);
	KEXPECT_EQ(mutex_counter, MUTEX_THREADS * MUTEX_ROUNDS);
	KEXPECT_FALSE(mutex_is_locked(&test_mutex));
	KEXPECT_TRUE(mutex_trylock(&test_mutex));
	KEXPECT_FALSE(mutex_trylock(&test_mutex) && (mutex_unlock(&test_mutex), true));
	mutex_unlock(&test_mutex);
}

/* ---- 1,000 threads created and reaped ---- */

static int exit_code_thread(void *data)
{
	return (int)(long)data;
}

static void wait_reaped(int tasks)
{
	for (int i = 0; i < 1000 && nr_tasks() != tasks; i++)
		msleep(1);
}

#define MANY 1000

KTEST(sched, thousand_threads_reaped)
{
	struct task **th = kmalloc(MANY * sizeof(*th));
	KASSERT_NOT_NULL(th);
	/* A first round grows the heap and the page tables of the vmalloc
	 * area (stacks are large objects) to what a round needs; the second
	 * must then come back to exactly where the first ended. */
	int tasks = nr_tasks();
	for (int i = 0; i < MANY; i++)
		if (!(th[i] = kthread_run(exit_code_thread, (void *)(long)i, "warm")))
			break;
	for (int i = 0; i < MANY && th[i]; i++)
		kthread_join(th[i]);
	wait_reaped(tasks);

	struct kmalloc_stats before, after;
	kmalloc_get_stats(&before);
	size_t pmm_before = pmm_free_count();
	long sum = 0, want = 0;
	int made = 0;
	for (int i = 0; i < MANY; i++) {
		th[i] = kthread_run(exit_code_thread, (void *)(long)i, "many%d", i);
		if (!th[i])
			break;
		made++;
		want += i;
	}
	KEXPECT_EQ(made, MANY);
	for (int i = 0; i < made; i++)
		sum += kthread_join(th[i]);
	KEXPECT_EQ(sum, want);
	wait_reaped(tasks);
	KEXPECT_EQ(nr_tasks(), tasks);
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
	KEXPECT_EQ(after.heap_pages, before.heap_pages);
	/* Page-table pages of the vmalloc area are kept once made, and the
	 * second round may place a stack under a table the first did not need:
	 * allow two of those. One leaked 16 KiB stack per thread would show as
	 * thousands of pages. */
	KEXPECT_LE(pmm_before - pmm_free_count(), 2);
	kfree(th);
}

/* ---- the unwinder ---- */

static struct completion unwind_go;

noinline int sched_test_sleeper_inner(void)
{
	wait_for_completion(&unwind_go);
	barrier(); /* keep the call from being a tail call */
	return 7;
}

static int sleeper_thread(void *data)
{
	(void)data;
	return sched_test_sleeper_inner();
}

static bool trace_has(unsigned long *e, int n, const char *name)
{
	struct ksym s;
	for (int i = 0; i < n; i++)
		if (ksym_lookup_addr(e[i] - 1, &s, NULL) && !strcmp(s.name, name))
			return true;
	return false;
}

KTEST(sched, unwind_sleeping_thread_reliable)
{
	unsigned long e[32];
	init_completion(&unwind_go);
	struct task *tk = kthread_create(sleeper_thread, NULL, "sleeper");
	KASSERT_NOT_NULL(tk);
	/* Not started yet: an empty, reliable trace. */
	KEXPECT_EQ(stack_trace_save_tsk_reliable(tk, e, 32), 0);
	kthread_wake(tk);
	for (int i = 0; i < 100 && READ_ONCE(tk->state) != TASK_UNINTERRUPTIBLE; i++)
		msleep(1);
	int n = stack_trace_save_tsk_reliable(tk, e, 32);
	KEXPECT_GT(n, 3);
	if (n > 0) {
		KEXPECT_TRUE(trace_has(e, n, "sched_test_sleeper_inner"));
		KEXPECT_TRUE(trace_has(e, n, "wait_for_completion"));
		KEXPECT_TRUE(trace_has(e, n, "__schedule"));
		KEXPECT_TRUE(trace_has(e, n, "sleeper_thread"));
		KEXPECT_TRUE(trace_has(e, n, "kthread_start_c"));
	}
	/* Too small a buffer is an error, not a silently cut trace. */
	KEXPECT_EQ(stack_trace_save_tsk_reliable(tk, e, 2), -E2BIG);
	/* The current task's own trace is reliable too. */
	n = stack_trace_save_tsk_reliable(current, e, 32);
	KEXPECT_GT(n, 0);
	if (n > 0)
		KEXPECT_TRUE(trace_has(e, n, "ktest_sched__unwind_sleeping_thread_reliable"));
	complete(&unwind_go);
	KEXPECT_EQ(kthread_stop(tk), 7);
}

static volatile bool spin_stop, spin_started;

static noinline int spinner_thread(void *data)
{
	volatile u64 n = 0;
	(void)data;
	spin_started = true;
	while (!READ_ONCE(spin_stop))
		n++;
	return 0;
}

/* No fentry site: the unwinder cannot vouch for its frame when an
 * interrupt catches it. */
static notrace noinline int spinner_thread_notrace(void *data)
{
	volatile u64 n = 0;
	(void)data;
	spin_started = true;
	while (!READ_ONCE(spin_stop))
		n++;
	return 0;
}

/* Start a less urgent spinner and wait until it spins in its loop (other
 * runnable tasks may keep it from getting there at once). */
static struct task *spinner_start(int (*fn)(void *))
{
	spin_stop = spin_started = false;
	struct task *tk = kthread_create(fn, NULL, "spinner");
	if (!tk)
		return NULL;
	/* Less urgent than us: it runs while we sleep and is preempted by the
	 * tick that wakes us, so it sits switched out under an irq frame. */
	sched_set_prio(tk, SCHED_PRIO_DEFAULT + 5);
	kthread_wake(tk);
	for (int i = 0; i < 1000 && !READ_ONCE(spin_started); i++)
		msleep(1);
	msleep(2);
	return tk;
}

/* Whether e (a reliable trace) names the function holding addr. */
static bool trace_has_exact(unsigned long *e, int n, const char *name)
{
	struct ksym s;
	for (int i = 0; i < n; i++)
		if (ksym_lookup_addr(e[i], &s, NULL) && !strcmp(s.name, name))
			return true;
	return false;
}

/* Preempted by an interrupt in C code with frame pointers (a traced
 * function): reliable, with the interrupted function and its callers
 * (regression: every kernel-mode interrupt frame was unreliable, so user
 * tasks preempted inside a system call never switched by the worker's
 * check and a transition waited for each to run again). */
KTEST(sched, unwind_preempted_thread_reliable)
{
	unsigned long e[32];
	bool reliable = false;
	struct task *tk = spinner_start(spinner_thread);
	KASSERT_NOT_NULL(tk);
	KEXPECT_TRUE(spin_started);
	KEXPECT_FALSE(task_curr(tk));
	int n = stack_trace_save_tsk_reliable(tk, e, 32);
	KEXPECT_GT(n, 0);
	KEXPECT_TRUE(trace_has_exact(e, n, "spinner_thread"));
	KEXPECT_TRUE(trace_has(e, n, "kthread_start_c"));
	KEXPECT_TRUE(trace_has(e, n, "__schedule"));
	n = stack_trace_save_tsk(tk, e, 32, &reliable);
	KEXPECT_TRUE(reliable);
	KEXPECT_TRUE(trace_has(e, n, "spinner_thread"));
	spin_stop = true;
	kthread_stop(tk);
}

KTEST(sched, unwind_preempted_in_notrace_code_unreliable)
{
	unsigned long e[32];
	bool reliable = true;
	struct task *tk = spinner_start(spinner_thread_notrace);
	KASSERT_NOT_NULL(tk);
	KEXPECT_TRUE(spin_started);
	KEXPECT_FALSE(task_curr(tk));
	KEXPECT_EQ(stack_trace_save_tsk_reliable(tk, e, 32), -EINVAL);
	int n = stack_trace_save_tsk(tk, e, 32, &reliable);
	KEXPECT_FALSE(reliable);
	KEXPECT_TRUE(trace_has(e, n, "spinner_thread_notrace"));
	KEXPECT_TRUE(unwind_text_is_unreliable(ksym_addr("trap_common_ret")));
	KEXPECT_FALSE(unwind_text_is_unreliable(ksym_addr("schedule")));
	spin_stop = true;
	kthread_stop(tk);
}

/* ---- task_call_func, patch state inheritance ---- */

static int tcf_fn(struct task *tk, void *arg)
{
	*(int *)arg = tk->pid;
	return 5;
}

KTEST(sched, task_call_func_and_inheritance)
{
	int pid = -1;
	KEXPECT_EQ(task_call_func(current, tcf_fn, &pid), -EBUSY);
	int saved = current->patch_state;
	current->patch_state = KLP_PATCHED;
	set_tsk_thread_flag(current, TIF_PATCH_PENDING);
	struct task *tk = kthread_create(exit_code_thread, NULL, "inherit");
	current->patch_state = saved;
	clear_tsk_thread_flag(current, TIF_PATCH_PENDING);
	KASSERT_NOT_NULL(tk);
	KEXPECT_EQ(tk->patch_state, KLP_PATCHED);
	KEXPECT_TRUE(test_tsk_thread_flag(tk, TIF_PATCH_PENDING));
	KEXPECT_EQ(tk->parent, current);
	KEXPECT_EQ(task_call_func(tk, tcf_fn, &pid), 5);
	KEXPECT_EQ(pid, tk->pid);
	bool found = false, idle = false;
	struct task *p;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(p) {
		found |= p == tk;
		idle |= (p->flags & PF_IDLE) && p->pid == 0;
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	KEXPECT_TRUE(found);
	KEXPECT_TRUE(idle);
	KEXPECT_EQ(kthread_stop(tk), -EINTR); /* stopped before it ever ran */
}

/* ---- pick-next stays O(1) ---- */

static int parked_thread(void *data)
{
	(void)data;
	return 0;
}

static u64 min_yield_cost(void)
{
	u64 best = ~0ULL;
	for (int i = 0; i < 64; i++) {
		u64 t0 = bench_now();
		yield();
		u64 d = bench_now() - t0;
		if (d < best)
			best = d;
	}
	return best;
}

KTEST(sched, pick_next_constant_with_1000_runnable)
{
	struct task **th = kmalloc(MANY * sizeof(*th));
	KASSERT_NOT_NULL(th);
	u64 empty = min_yield_cost();
	int made = 0;
	for (int i = 0; i < MANY; i++) {
		th[i] = kthread_create(parked_thread, NULL, "parked");
		if (!th[i])
			break;
		/* Runnable but less urgent than us: they wait on the queue. */
		sched_set_prio(th[i], SCHED_PRIO_DEFAULT + 10);
		kthread_wake(th[i]);
		made++;
	}
	KEXPECT_EQ(made, MANY);
	KEXPECT_GE(sched_nr_running(), MANY);
	u64 full = min_yield_cost();
	for (int i = 0; i < made; i++)
		kthread_stop(th[i]);
	kfree(th);
	/* Under icount these are instructions: the same within a few. On
	 * plain TCG they are host time, so only rule out a walk of the 1,000
	 * (thousands of cycles more). */
	if (cmdline_has("icount"))
		KEXPECT_LE(full, empty + empty / 10 + 10);
	else
		KEXPECT_LE(full, 3 * empty + 1500);
	kprintf("    # yield() with an empty runqueue: %llu, with %d runnable: %llu\n",
		(unsigned long long)empty, made, (unsigned long long)full);
}

/* ---- preempt_disable nesting ---- */

static volatile int flag_set;

static int set_flag_thread(void *data)
{
	(void)data;
	flag_set = 1;
	return 0;
}

KTEST(sched, preempt_disable_nests)
{
	flag_set = 0;
	struct task *tk = kthread_create(set_flag_thread, NULL, "flagger");
	KASSERT_NOT_NULL(tk);
	preempt_disable();
	preempt_disable();
	kthread_wake(tk); /* runnable, same priority: waits for our slice */
	/* The slice runs out after SCHED_SLICE_TICKS ticks; on a loaded host
	 * QEMU delivers ticks late, so wait for it (bounded) rather than for a
	 * fixed time. */
	for (int ms = 0; ms < 100 * SCHED_SLICE_TICKS && !need_resched(); ms++)
		mdelay(1);
	KEXPECT_EQ(flag_set, 0);
	KEXPECT_TRUE(need_resched()); /* the slice ran out meanwhile */
	preempt_enable();
	mdelay(2);
	KEXPECT_EQ(flag_set, 0); /* still disabled once */
	preempt_enable();         /* switches right here */
	KEXPECT_EQ(flag_set, 1);
	KEXPECT_EQ(preempt_count(), 0);
	kthread_join(tk);

	/* cond_resched() is a preemption point too. */
	flag_set = 0;
	tk = kthread_create(set_flag_thread, NULL, "flagger");
	KASSERT_NOT_NULL(tk);
	preempt_disable();
	kthread_wake(tk);
	preempt_enable_no_resched();
	set_tsk_thread_flag(current, TIF_NEED_RESCHED);
	cond_resched();
	KEXPECT_EQ(flag_set, 1);
	kthread_join(tk);
}
