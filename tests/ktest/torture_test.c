/* The torture suite of the concurrency contract: for a bounded time, all at
 * once,
 *   - a tracer thread registers and unregisters an ops filtered on the
 *     torture functions, an ops over every site, and the function tracer;
 *   - a livepatch thread enables, stacks, replaces, disables and unloads
 *     the built-in patches torture_v1 and torture_v2 (tests/builtin/),
 *     waiting for every transition;
 *   - a module thread loads and unloads the embedded ktest_mod blob (its
 *     sites join the all-sites ops while it is registered);
 *   - 16 kthreads of mixed priorities call torture_pair() (traced and
 *     patched) in loops and check that each call sees one version, 0, 1 or
 *     2, for a, b and their caller.
 * Then everything is torn down and checked: no mixed or unknown version,
 * every transition completed, every thread made progress, the heap, frames,
 * module area, module list and sites at their baseline, and the run ended
 * within its bound. The watchdog (on in every kernel) turns a hang into a
 * panic; a lock validator report fails this case (tests/ktest/ktest.c).
 * `torture_seconds=N` on the command line sets the length (default 3):
 * tests/py/test_torture.py, `make stress TORTURE_SECONDS=N`. */
#include <kelp/ktest.h>
#include <kelp/livepatch.h>
#include <kelp/module.h>
#include <kelp/ftrace.h>
#include <kelp/pseudofs.h>
#include <kelp/sched.h>
#include <kelp/cmdline.h>
#include <kelp/time.h>
#include <kelp/wait.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/printk.h>
#include <kelp/errno.h>
#include <kelp/irq.h>

#define TORTURE_WORKERS 16
#define TORTURE_SECONDS_DEFAULT 3
#define TORTURE_TRANSITION_MS 10000 /* one transition longer than this: failed */
#define TORTURE_SLACK_MS 20000 /* teardown after the run, at most */
#define TORTURE_MAX_VERSION 2

/* The targets torture_v1 and torture_v2 replace. noipa: the compiler must
 * not fold their results, which change under its feet. */
noinline __attribute__((noipa)) int torture_a(void)
{
	return 0;
}

noinline __attribute__((noipa)) int torture_b(void)
{
	return 0;
}

/* Between a and b: now and then the caller sleeps there, or runs on until
 * it is preempted, with the pair on its stack, which is where a transition
 * must leave it alone. Without this the window between the two calls is a
 * few instructions wide. */
static u64 torture_windows;
/* Set by exiting_task_follows_transitions: a caller parks in the window
 * until it completes, so a transition that needs it to switch stays open. */
static struct completion *torture_hold;
static volatile bool torture_parked;
/* The least urgent caller: every other task preempts it. */
static struct task *torture_spinner;
noinline void torture_window(void)
{
	struct completion *hold = READ_ONCE(torture_hold);
	if (hold && !in_interrupt()) {
		WRITE_ONCE(torture_parked, true);
		wait_for_completion(hold);
		return;
	}
	u64 w = __atomic_fetch_add(&torture_windows, 1, __ATOMIC_RELAXED);
	if (in_interrupt())
		return;
	if ((w & 63) == 0) {
		msleep(1);
	} else if ((w & 15) == 8 && current == READ_ONCE(torture_spinner)) {
		/* Or the least urgent caller runs on to the next tick, where
		 * any wake-up preempts it: a preempted stack (an interrupt
		 * frame over traced code) counts as reliable (192d5f3), so a
		 * transition checks it there and must find the pair on it.
		 * (A more urgent spinner would starve the least urgent.) */
		u64 j = READ_ONCE(jiffies);
		while (READ_ONCE(jiffies) == j)
			arch_cpu_relax();
	}
}

noinline __attribute__((noipa)) long torture_pair(void)
{
	long a = torture_a();
	torture_window();
	return a << 16 | (torture_b() & 0xffff);
}

static volatile bool torture_stop;

static struct {
	u64 calls[TORTURE_WORKERS];
	u64 irq_calls;
	u64 seen[TORTURE_MAX_VERSION + 1];
	u64 mixed, unknown, first_bad;
	int first_bad_id; /* the caller that saw first_bad: 0..15, or -1 for the tick */
	/* What the first bad pair ran under: the task (the one the tick
	 * interrupted, for id -1), its patch state and flags, and the
	 * patcher's step at the time. Enough to tell a task the transitions
	 * did not follow (exiting, say) from a wrong switch. */
	struct {
		int pid, patch_state;
		bool pending, exiting, in_transition;
		char comm[TASK_COMM_LEN];
		const char *op, *name;
		u64 transitions;
	} bad;
	const char *step_op, *step_name; /* the patcher's current step */
	u64 filter_hits, all_hits;
	u64 tracer_rounds, function_tracer_rounds;
	u64 transitions, transitions_failed;
	u64 loads, load_errors;
	int tracer_err, patch_err, module_err;
	const char *patch_err_step;
} tt;

/* ---- the 16 callers ---- */

/* Mixed priorities around the default (20) and the transition worker's
 * (15); wake-ups preempt less urgent callers in the middle of a pair. */
static const int worker_prio[TORTURE_WORKERS] = { 5,  10, 14, 15, 16, 18, 20, 20,
						  20, 20, 22, 25, 28, 30, 35, 39 };

/* id -1: the tick, in interrupt context (its sites may be in the middle
 * of a rewrite: the int3 handler must emulate what is being written). */
static void torture_check(int id)
{
	long v = torture_pair();
	long a = v >> 16, b = v & 0xffff;
	if (id < 0)
		tt.irq_calls++;
	else
		tt.calls[id]++;
	if (a != b || a < 0 || a > TORTURE_MAX_VERSION) {
		u64 zero = 0;
		if (__atomic_compare_exchange_n(&tt.first_bad, &zero, (u64)v + 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			struct task *cur = current;
			tt.first_bad_id = id;
			tt.bad.pid = cur->pid;
			tt.bad.patch_state = READ_ONCE(cur->patch_state);
			tt.bad.pending = test_tsk_thread_flag(cur, TIF_PATCH_PENDING);
			tt.bad.exiting = READ_ONCE(cur->flags) & PF_EXITING;
			tt.bad.in_transition = klp_transition_in_progress();
			memcpy(tt.bad.comm, cur->comm, TASK_COMM_LEN);
			tt.bad.comm[TASK_COMM_LEN - 1] = 0;
			tt.bad.op = READ_ONCE(tt.step_op);
			tt.bad.name = READ_ONCE(tt.step_name);
			tt.bad.transitions = tt.transitions;
		}
		__atomic_fetch_add(a != b ? &tt.mixed : &tt.unknown, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&tt.seen[a], 1, __ATOMIC_RELAXED);
}

static int torture_worker(void *arg)
{
	int id = (int)(long)arg;
	if (id == TORTURE_WORKERS - 1)
		WRITE_ONCE(torture_spinner, current);
	while (!READ_ONCE(torture_stop)) {
		for (int i = 0; i < 32; i++)
			torture_check(id);
		/* The least urgent caller takes what CPU is left; the others
		 * sleep after each burst, or on one CPU a busy caller would
		 * starve every less urgent one. */
		if (id == TORTURE_WORKERS - 1)
			cond_resched(); /* where a busy kthread switches its patch state */
		else
			msleep(2 + id % 3);
	}
	return 0;
}

static void torture_tick(void)
{
	torture_check(-1);
}

/* ---- tracing on and off ---- */

static notrace void filter_func(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
				struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op, (void)fregs;
	__atomic_fetch_add(&tt.filter_hits, 1, __ATOMIC_RELAXED);
}

static notrace void all_func(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			     struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op, (void)fregs;
	__atomic_fetch_add(&tt.all_hits, 1, __ATOMIC_RELAXED);
}

static int tracer_round(unsigned long round)
{
	static const char globs[] = "torture_* str*";
	struct ftrace_ops filtered = { .func = filter_func };
	struct ftrace_ops all = { .func = all_func };
	int err = ftrace_set_filter(&filtered, globs, sizeof(globs) - 1, 1);
	if (!err)
		err = register_ftrace_function(&filtered);
	if (err) {
		ftrace_free_filter(&filtered);
		return err;
	}
	if (round % 2 == 0) { /* every site, on top of the filtered one */
		err = register_ftrace_function(&all);
		msleep(1);
		if (!err)
			err = unregister_ftrace_function(&all);
	}
	if (!err && round % 4 == 1) {
		err = tracer_function_start();
		msleep(1);
		if (!err)
			tracer_function_stop();
		tt.function_tracer_rounds++;
	}
	int uerr = unregister_ftrace_function(&filtered);
	ftrace_free_filter(&filtered);
	return err ? err : uerr;
}

static int torture_tracer(void *arg)
{
	(void)arg;
	for (unsigned long r = 0; !READ_ONCE(torture_stop); r++) {
		int err = tracer_round(r);
		if (err) {
			tt.tracer_err = err;
			return 0;
		}
		tt.tracer_rounds++;
		msleep(1);
	}
	return 0;
}

/* ---- livepatch transitions ---- */

static bool patch_step(const char *step, int err)
{
	if (err && !tt.patch_err) {
		tt.patch_err = err;
		tt.patch_err_step = step;
	}
	return !err;
}

static bool patch_wait(const char *step)
{
	tt.transitions++;
	if (klp_wait_transition(TORTURE_TRANSITION_MS))
		return true;
	tt.transitions_failed++;
	return patch_step(step, -ETIMEDOUT);
}

/* Recorded for a bad pair's report: which step of the round was running. */
static void patch_note(const char *op, const char *name)
{
	WRITE_ONCE(tt.step_name, name);
	WRITE_ONCE(tt.step_op, op);
}

static bool patch_load(const char *name)
{
	patch_note("load", name);
	return patch_step(name, module_builtin_load(name)) && patch_wait(name);
}

static bool patch_disable(const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/enabled", name);
	patch_note("disable", name);
	return patch_step(path, pfs_write(path, "0", 1) == 1 ? 0 : -EIO) && patch_wait(path);
}

static bool patch_unload(const char *name)
{
	patch_note("unload", name);
	return patch_step(name, module_unload(name, NULL, 0));
}

/* Even rounds: v1, then v2 replacing it. Odd rounds: v2 (replacing
 * nothing), v1 stacked on it, then both disabled from the top. */
static bool patch_round(unsigned long round)
{
	if (round % 2 == 0)
		return patch_load("torture_v1") && patch_load("torture_v2") &&
		       patch_unload("torture_v1") && patch_disable("torture_v2") &&
		       patch_unload("torture_v2");
	return patch_load("torture_v2") && patch_load("torture_v1") &&
	       patch_disable("torture_v1") && patch_unload("torture_v1") &&
	       patch_disable("torture_v2") && patch_unload("torture_v2");
}

static int torture_patcher(void *arg)
{
	(void)arg;
	for (unsigned long r = 0; !READ_ONCE(torture_stop); r++)
		if (!patch_round(r))
			return 0;
	return 0;
}

/* ---- modules in and out ---- */

extern const u8 kt_mod[], kt_mod_end[];
static const struct module_load_opts torture_mod_opts = {
	.build_id = (const u8 *)"kelp-ktest-build-id!",
	.build_id_len = 20,
};

static int module_round(void)
{
	char why[96];
	int err = module_load_opts(kt_mod, (size_t)(kt_mod_end - kt_mod), NULL, &torture_mod_opts,
				   NULL, why, sizeof(why));
	if (err)
		return err;
	msleep(1);
	return module_unload("ktest_mod", why, sizeof(why));
}

static int torture_loader(void *arg)
{
	(void)arg;
	while (!READ_ONCE(torture_stop)) {
		int err = module_round();
		if (err) {
			tt.module_err = err;
			tt.load_errors++;
			return 0;
		}
		tt.loads++;
		msleep(1);
	}
	return 0;
}

/* ---- the run ---- */

struct torture_baseline {
	struct kmalloc_stats km;
	size_t pmm_free, mod_pages, nmods, nsites;
	int patches, klp_ops;
};

static void baseline_take(struct torture_baseline *b)
{
	kmalloc_get_stats(&b->km);
	b->pmm_free = pmm_free_count();
	b->mod_pages = module_area_used_pages();
	b->nmods = module_count();
	b->nsites = ftrace_nr_sites();
	b->patches = klp_nr_patches();
	b->klp_ops = klp_nr_ops();
}

/* The suites before this one may leave frees in flight (they settle
 * within a second in `make selftest`): wait until the heap holds still
 * for three samples in a row, or 5 s, before taking the baseline. */
static void torture_settle(void)
{
	struct kmalloc_stats prev, now;
	int same = 0;
	kmalloc_get_stats(&prev);
	for (int i = 0; i < 50 && same < 3; i++) {
		msleep(100);
		kmalloc_get_stats(&now);
		bool still = now.objects_in_use == prev.objects_in_use &&
			     now.bytes_in_use == prev.bytes_in_use;
		same = still ? same + 1 : 0;
		prev = now;
	}
}

static unsigned int torture_seconds(void)
{
	char buf[16];
	int n = TORTURE_SECONDS_DEFAULT;
	if (cmdline_get("torture_seconds", buf, sizeof(buf)) && (kstrtoint(buf, 10, &n) || n < 1))
		n = TORTURE_SECONDS_DEFAULT;
	return (unsigned int)n;
}

KTEST(torture, trace_patch_modules_under_16_callers)
{
	struct torture_baseline before, after;
	struct task *workers[TORTURE_WORKERS], *tracer, *patcher, *loader;
	unsigned int seconds = torture_seconds();

	/* Warm up: the first transition starts livepatch's worker, the first
	 * load maps the module area's page tables, the first function tracer
	 * run allocates its buffers. All stay: not leaks. */
	memset(&tt, 0, sizeof(tt));
	KASSERT_TRUE(patch_round(0) && patch_round(1));
	KASSERT_EQ(module_round(), 0);
	KASSERT_EQ(tracer_round(1), 0);
	memset(&tt, 0, sizeof(tt));
	torture_settle();
	baseline_take(&before);
	u64 start = ktime_get_ms();
	WRITE_ONCE(torture_stop, false);
	for (int i = 0; i < TORTURE_WORKERS; i++) {
		workers[i] = kthread_run(torture_worker, (void *)(long)i, "torture/%d", i);
		KASSERT_NOT_NULL(workers[i]);
		sched_set_prio(workers[i], worker_prio[i]);
	}
	tracer = kthread_run(torture_tracer, NULL, "torture_trace");
	patcher = kthread_run(torture_patcher, NULL, "torture_patch");
	loader = kthread_run(torture_loader, NULL, "torture_mod");
	KASSERT_TRUE(tracer && patcher && loader);
	KEXPECT_EQ(timer_tick_register(torture_tick), 0);
	msleep(seconds * 1000);
	WRITE_ONCE(torture_stop, true);
	KEXPECT_EQ(timer_tick_unregister(torture_tick), 0);
	kthread_stop(tracer);
	kthread_stop(patcher);
	kthread_stop(loader);
	for (int i = 0; i < TORTURE_WORKERS; i++)
		kthread_stop(workers[i]);
	WRITE_ONCE(torture_spinner, NULL);
	u64 elapsed = ktime_get_ms() - start;

	u64 calls = 0, min_calls = ~0ull;
	for (int i = 0; i < TORTURE_WORKERS; i++) {
		calls += tt.calls[i];
		min_calls = MIN(min_calls, tt.calls[i]);
	}
	kprintf("    # torture: %llu ms, %llu calls by %d threads (fewest %llu; v0 %llu v1 %llu v2 "
		"%llu) and %llu from the tick, %llu transitions, %llu module loads, %llu tracer "
		"rounds (%llu function "
		"tracer), %llu filtered and %llu all-sites hits\n",
		(unsigned long long)elapsed, (unsigned long long)calls, TORTURE_WORKERS,
		(unsigned long long)min_calls, (unsigned long long)tt.seen[0],
		(unsigned long long)tt.seen[1], (unsigned long long)tt.seen[2],
		(unsigned long long)tt.irq_calls, (unsigned long long)tt.transitions,
		(unsigned long long)tt.loads, (unsigned long long)tt.tracer_rounds,
		(unsigned long long)tt.function_tracer_rounds, (unsigned long long)tt.filter_hits,
		(unsigned long long)tt.all_hits);
	if (tt.first_bad)
		kprintf("    # torture: first bad pair %#llx seen by caller %d on %s/%d "
			"(patch_state %d%s%s), %s, patcher at %s %s after %llu transitions\n",
			(unsigned long long)(tt.first_bad - 1), tt.first_bad_id, tt.bad.comm,
			tt.bad.pid, tt.bad.patch_state, tt.bad.pending ? ", pending" : "",
			tt.bad.exiting ? ", exiting" : "",
			tt.bad.in_transition ? "in a transition" : "no transition",
			tt.bad.op ? tt.bad.op : "-", tt.bad.name ? tt.bad.name : "-",
			(unsigned long long)tt.bad.transitions);
	for (int i = 0; i < TORTURE_WORKERS; i++)
		if (!tt.calls[i])
			kprintf("    # torture: caller %d (prio %d) never ran\n", i,
				worker_prio[i]);
	if (tt.patch_err)
		kprintf("    # torture: livepatch step %s failed: %d\n", tt.patch_err_step,
			tt.patch_err);

	/* Behaviour: one version per call, and the new ones were seen. */
	KEXPECT_EQ(tt.mixed, 0);
	KEXPECT_EQ(tt.unknown, 0);
	KEXPECT_UEQ(tt.first_bad ? tt.first_bad - 1 : 0, 0); /* the first bad pair, a << 16 | b */
	KEXPECT_GT(tt.seen[0], 0);
	KEXPECT_GT(tt.seen[1], 0);
	KEXPECT_GT(tt.seen[2], 0);
	/* Every operation succeeded and every transition completed. */
	KEXPECT_EQ(tt.tracer_err, 0);
	KEXPECT_EQ(tt.patch_err, 0);
	KEXPECT_EQ(tt.module_err, 0);
	KEXPECT_EQ(tt.transitions_failed, 0);
	KEXPECT_FALSE(klp_transition_in_progress());
	KEXPECT_GT(tt.transitions, 0);
	KEXPECT_GT(tt.loads, 0);
	KEXPECT_GT(tt.tracer_rounds, 0);
	KEXPECT_GT(tt.filter_hits, 0);
	KEXPECT_GT(tt.all_hits, 0);
	/* Progress: every caller, urgent or not, ran. */
	KEXPECT_GT(min_calls, 0);
	KEXPECT_GT(tt.irq_calls, 0);
	/* Bounded: the teardown did not hang short of the watchdog. */
	KEXPECT_LE(elapsed, (u64)seconds * 1000 + TORTURE_SLACK_MS);

	/* Torn down: the kthreads' stacks go back when they are reaped. */
	msleep(20);
	baseline_take(&after);
	KEXPECT_EQ(after.km.bytes_in_use, before.km.bytes_in_use);
	KEXPECT_EQ(after.km.objects_in_use, before.km.objects_in_use);
	KEXPECT_EQ(after.pmm_free, before.pmm_free);
	KEXPECT_EQ(after.mod_pages, before.mod_pages);
	KEXPECT_EQ(after.nmods, before.nmods);
	KEXPECT_EQ(after.nsites, before.nsites);
	KEXPECT_EQ(after.patches, before.patches);
	KEXPECT_EQ(after.klp_ops, before.klp_ops);
	KEXPECT_FALSE(tracer_function_active());
}

/* ---- a task on its way out still takes part in transitions ---- */

static long exiting_pair;

static int parked_caller(void *arg)
{
	(void)arg;
	exiting_pair = torture_pair(); /* parks between a and b */
	return 0;
}

static int exits_at_once(void *arg)
{
	(void)arg;
	return 0;
}

static bool task_listed(struct task *t)
{
	struct task *p;
	bool found = false;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(p)
		if (p == t)
			found = true;
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return found;
}

/* An exiting thread runs with interrupts on after it has woken its joiner
 * (complete_all, wake-ups, preemption by the joiner), and an interrupt
 * handler that calls a patched function on it reads its patch state. So it
 * must stay on the task list, where each transition sets and resets that
 * state, until its last switch. Otherwise a transition started or finished
 * meanwhile leaves it a stale state: the torture's patcher giving up after
 * a 10 s transition (a saturated host) exits in the middle of one, and the
 * tick on it during the unpatching that ends it saw torture_a already gone
 * and torture_b still patched, a (0,2) pair. Here the joiner, more urgent,
 * preempts the exiting thread right after its wake-up, starts a transition
 * held open by a caller parked inside torture_pair, and looks at the
 * thread. */
KTEST(torture, exiting_task_follows_transitions)
{
	struct completion hold;
	int prio = current->normal_prio;
	init_completion(&hold);
	exiting_pair = -1;
	WRITE_ONCE(torture_parked, false);
	WRITE_ONCE(torture_hold, &hold);
	struct task *parked = kthread_run(parked_caller, NULL, "torture_parked");
	KASSERT_NOT_NULL(parked);
	for (int i = 0; i < 1000 && !READ_ONCE(torture_parked); i++)
		msleep(1);
	KASSERT_TRUE(READ_ONCE(torture_parked));

	sched_set_prio(current, SCHED_PRIO_DEFAULT - 10);
	struct task *x = kthread_create(exits_at_once, NULL, "torture_exits");
	KASSERT_NOT_NULL(x);
	sched_set_prio(x, SCHED_PRIO_DEFAULT + 10);
	get_task_struct(x); /* kthread_join drops the creator's reference */
	kthread_wake(x);
	KEXPECT_EQ(kthread_join(x), 0);
	/* x woke us from do_exit and has not run since: it can still run. */
	bool dead = READ_ONCE(x->state) == TASK_DEAD;
	KEXPECT_FALSE(dead);
	KEXPECT_TRUE(dead || task_listed(x));

	KEXPECT_EQ(module_builtin_load("torture_v1"), 0);
	KEXPECT_TRUE(klp_transition_in_progress()); /* held open by the parked caller */
	if (!dead && READ_ONCE(x->state) != TASK_DEAD)
		KEXPECT_NE(READ_ONCE(x->patch_state), KLP_UNDEFINED);
	sched_set_prio(current, prio);

	WRITE_ONCE(torture_hold, NULL);
	complete(&hold);
	KEXPECT_EQ(kthread_join(parked), 0);
	KEXPECT_EQ(exiting_pair, 0); /* the original a and b: it could not switch */
	KEXPECT_TRUE(klp_wait_transition(TORTURE_TRANSITION_MS));
	KEXPECT_TRUE(patch_disable("torture_v1"));
	KEXPECT_TRUE(patch_unload("torture_v1"));
	put_task_struct(x);
}
