/* Livepatch benchmarks (`make bench`, guest instructions under icount):
 * the cost of calling a patched function on the handler path during a
 * transition, in the steady state (the jmp), the floor (calling the new
 * function directly), after a completed atomic replace reverted it (goal:
 * ftrace's call_nop), and transition latency over sleeping kthreads, alone
 * and with four user tasks calling getpid() in a loop (they switch on their
 * way back to user mode). */
#include <kelp/bench.h>
#include <kelp/livepatch.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <kelp/time.h>
#include <kelp/string.h>
#include <kelp/pseudofs.h>
#include <kelp/errno.h>
#include <kelp/user.h>
#include "lp_target.h"

#define LP_BENCH_CALLS 1000

__lp_target long lp_bench_target(long x)
{
	barrier();
	return x + 1;
}

__lp_target long lp_bench_new(long x)
{
	barrier();
	return x + 2;
}

static volatile bool lp_bench_hold;
static DECLARE_WAIT_QUEUE_HEAD(lp_bench_wq);

/* A thread sleeping in here blocks any transition that changes it. */
__lp_target void lp_bench_block(void)
{
	while (READ_ONCE(lp_bench_hold))
		msleep_interruptible(1);
}

__lp_target void lp_bench_block_new(void)
{
}

static long (*volatile fn_target)(long) = lp_bench_target;
static long (*volatile fn_new)(long) = lp_bench_new;

/* The loop's result goes here, after the clock stops, so that the calls
 * cannot be dropped. */
static volatile long bench_sink;

static notrace u64 lp_measure(long (*fn)(long))
{
	long acc = 0;
	fn(0);
	u64 t0 = bench_now();
	for (int i = 0; i < LP_BENCH_CALLS; i++)
		acc += fn(i);
	u64 t1 = bench_now();
	bench_sink = acc;
	return (t1 - t0) / LP_BENCH_CALLS;
}

static struct module lpb_mod1 = { .name = "lp_bench_p1", .state = MODULE_STATE_LIVE, .klp = true };
static struct module lpb_mod2 = { .name = "lp_bench_p2", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_func lpb_funcs1[] = {
	{ .old_name = "lp_bench_target", .new_func = lp_bench_new },
	{ .old_name = "lp_bench_block", .new_func = lp_bench_block_new },
	{}
};
static struct klp_func lpb_funcs2[] = {
	{ .old_name = "lp_bench_block", .new_func = lp_bench_block_new },
	{}
};
static struct klp_object lpb_objs1[] = { { .funcs = lpb_funcs1 }, {} };
static struct klp_object lpb_objs2[] = { { .funcs = lpb_funcs2 }, {} };
static struct klp_patch lpb_p1 = { .mod = &lpb_mod1, .objs = lpb_objs1 };
static struct klp_patch lpb_p2 = { .mod = &lpb_mod2, .objs = lpb_objs2, .replace = true };

static int lp_block_thread(void *unused)
{
	(void)unused;
	lp_bench_block();
	return 0;
}

static void lp_wait(void)
{
	while (klp_transition_in_progress())
		msleep(1);
}

static int lp_disable(struct klp_patch *p)
{
	char path[96];
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/enabled", p->mod->name);
	return pfs_write(path, "0", 1) == 1 ? 0 : -1;
}

/* Lets the blocker out of lp_bench_block and waits for it: on every path,
 * so that no thread is left asleep when a step fails. */
static void lp_release(struct task *blocker)
{
	WRITE_ONCE(lp_bench_hold, false);
	if (blocker)
		kthread_join(blocker);
}

KBENCH_DESC(lp_calls, "one call to a livepatched function, before, in and after a transition")
{
	if (bench_site_is_nop(lp_bench_target))
		bench_report("lp_call_unpatched", lp_measure(fn_target), "insns/call");
	else
		bench_skip("lp_call_unpatched", "lp_bench_target's site is not the NOP");
	bench_report("lp_call_new_direct", lp_measure(fn_new), "insns/call");

	/* a sleeper inside lp_bench_block holds the transition open */
	lp_bench_hold = true;
	struct task *blocker = kthread_run(lp_block_thread, NULL, "lp_bench_blk");
	if (!blocker) {
		lp_release(NULL);
		bench_skip("lp_call_transition", "no blocker thread");
		return;
	}
	msleep(5);
	if (klp_enable_patch(&lpb_p1)) {
		lp_release(blocker);
		bench_skip("lp_call_transition", "the patch did not enable");
		return;
	}
	msleep(5);
	/* The handler path: the site calls livepatch's trampoline (not a jmp)
	 * and the call reaches the replacement for this patched task. */
	if (!klp_transition_in_progress() || current->patch_state != KLP_PATCHED)
		bench_skip("lp_call_transition", "the transition was not held open");
	else if (!bench_site_is_direct(lp_bench_target) || fn_target(1) != lp_bench_new(1))
		bench_skip("lp_call_transition",
			   "lp_bench_target's site does not call livepatch's trampoline");
	else
		bench_report("lp_call_transition", lp_measure(fn_target), "insns/call");
	lp_release(blocker);
	lp_wait();
	if (bench_site_is_jmp(lp_bench_target, lp_bench_new))
		bench_report("lp_call_steady", lp_measure(fn_target), "insns/call");
	else
		bench_skip("lp_call_steady", "lp_bench_target's site is not a jmp to lp_bench_new");

	/* cumulative patch no longer changing lp_bench_target: its nop is
	 * gone at completion, the site is a NOP again */
	if (!klp_enable_patch(&lpb_p2)) {
		lp_wait();
		if (bench_site_is_nop(lp_bench_target))
			bench_report("lp_call_after_replace_nop", lp_measure(fn_target),
				     "insns/call");
		else
			bench_skip("lp_call_after_replace_nop", "lp_bench_target's site is not the NOP");
		lp_disable(&lpb_p2);
		lp_wait();
	} else {
		bench_skip("lp_call_after_replace_nop", "the replace patch did not enable");
		lp_disable(&lpb_p1);
		lp_wait();
	}
	(void)lp_bench_wq;
}

static volatile bool lat_stop;
static DECLARE_WAIT_QUEUE_HEAD(lat_wq);

static int lat_sleeper(void *unused)
{
	(void)unused;
	wait_event_interruptible(lat_wq, READ_ONCE(lat_stop));
	return 0;
}

static struct task *lat_tasks[1000];

#define LAT_USERS 4

static void lp_latency(int n, int users, const char *name)
{
	struct task *u[LAT_USERS];
	int nu = 0, err;
	for (; nu < users && nu < LAT_USERS; nu++)
		if (!(u[nu] = user_spawn("getpid_loop", "1", &err)))
			break;
	lat_stop = false;
	int made = 0;
	for (; made < n; made++)
		if (!(lat_tasks[made] = kthread_run(lat_sleeper, NULL, "lp_lat/%d", made)))
			break;
	msleep(20); /* all asleep */
	if (!klp_enable_patch(&lpb_p1)) {
		/* Waiting with yield() lets each CPU-bound user looper run a whole
		 * slice before we look again, so report the transition's own
		 * start-to-completion time, measured where it completes. */
		while (klp_transition_in_progress())
			msleep(1);
		if (made == n && nu == users)
			bench_report(name, READ_ONCE(klp_last_transition_us), "us");
		else
			bench_skip(name, "not every task could be started");
		lp_disable(&lpb_p1);
		lp_wait();
	} else {
		bench_skip(name, "the patch did not enable");
	}
	lat_stop = true;
	wake_up_all(&lat_wq);
	for (int i = 0; i < made; i++)
		kthread_stop(lat_tasks[i]);
	for (int i = 0; i < nu; i++) {
		task_wait_exit(u[i]);
		put_task_struct(u[i]);
	}
	msleep(10);
}

KBENCH_DESC(lp_transition_latency, "a livepatch transition over N sleeping tasks, start to end")
{
	lp_latency(10, 0, "lp_transition_10_kthreads");
	lp_latency(100, 0, "lp_transition_100_kthreads");
	lp_latency(1000, 0, "lp_transition_1000_kthreads");
	lp_latency(10, LAT_USERS, "lp_transition_10_kthreads_4_user_getpid");
}
