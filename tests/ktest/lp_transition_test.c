/* Self-tests of the transition's bookkeeping (livepatch/transition.c): the
 * array of pending tasks collected when the transition starts, the verdicts
 * kept for tasks that have not run since their last check, and the final
 * sweep for tasks created during the transition. Each case holds a
 * transition open with a thread asleep inside a patched function. */
#include <kelp/ktest.h>
#include <kelp/livepatch.h>
#include <kelp/module.h>
#include <kelp/pseudofs.h>
#include <kelp/printk.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <kelp/time.h>
#include <kelp/string.h>

#define __lpt_target noinline __attribute__((noipa))

static volatile bool lpt_hold_a, lpt_hold_b, lpt_spawn, lpt_done, lpt_skip_b;
static struct task *lpt_child;
static DECLARE_WAIT_QUEUE_HEAD(lpt_wq);

__lpt_target void lpt_block_b(void)
{
	while (READ_ONCE(lpt_hold_b))
		msleep(1);
}

static int lpt_child_fn(void *unused)
{
	(void)unused;
	lpt_block_b();
	return 0;
}

/* A thread more urgent than the transition worker. These cases count on
 * the worker checking their threads only while they sleep (in a patched
 * function, or at their own switch points), and a new child only once it
 * sleeps in lpt_block_b. Since a task preempted in traced code has a
 * reliable stack (192d5f3), the worker, woken by the tick, would otherwise
 * preempt a thread in the few instructions between two sleeps (or find a
 * child before it first ran) and switch it there. */
static struct task *lpt_run_urgent(int (*fn)(void *), const char *name)
{
	struct task *tk = kthread_create(fn, NULL, "%s", name);
	if (tk) {
		sched_set_prio(tk, SCHED_PRIO_DEFAULT - 10);
		kthread_wake(tk);
	}
	return tk;
}

__lpt_target void lpt_block_a(void)
{
	while (READ_ONCE(lpt_hold_a)) {
		if (READ_ONCE(lpt_spawn)) {
			/* Created inside a patched function by a pending task:
			 * the child inherits the old state and the flag. */
			WRITE_ONCE(lpt_spawn, false);
			lpt_child = lpt_run_urgent(lpt_child_fn, "lpt_child");
		}
		msleep(1);
	}
}

__lpt_target void lpt_block_a_new(void)
{
}

__lpt_target void lpt_block_b_new(void)
{
}

/* Ticks the thread spends running between a and b, and between b and its
 * last sleep (blocked_task_rechecked_after_it_ran widens those windows). */
static volatile unsigned int lpt_gap_ticks;

/* Runs on, outside every patched function, for lpt_gap_ticks ticks. */
static noinline void lpt_gap(void)
{
	u64 end = READ_ONCE(jiffies) + READ_ONCE(lpt_gap_ticks);
	while (READ_ONCE(jiffies) < end)
		arch_cpu_relax();
}

/* Sleeps in a, then (once let out) in b, then outside both. */
static int lpt_thread_fn(void *unused)
{
	(void)unused;
	lpt_block_a();
	lpt_gap();
	if (!READ_ONCE(lpt_skip_b))
		lpt_block_b();
	lpt_gap();
	wait_event_interruptible(lpt_wq, READ_ONCE(lpt_done));
	return 0;
}

static struct klp_func lpt_funcs[] = {
	{ .old_name = "lpt_block_a", .new_func = lpt_block_a_new },
	{ .old_name = "lpt_block_b", .new_func = lpt_block_b_new },
	{}
};
static struct klp_object lpt_objs[] = { { .funcs = lpt_funcs }, {} };
static struct module lpt_mod1 = { .name = "lpt_p1", .state = MODULE_STATE_LIVE, .klp = true };
static struct module lpt_mod2 = { .name = "lpt_p2", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_patch lpt_p1 = { .mod = &lpt_mod1, .objs = lpt_objs };
static struct klp_patch lpt_p2 = { .mod = &lpt_mod2, .objs = lpt_objs };
static struct module lpt_mod3 = { .name = "lpt_p3", .state = MODULE_STATE_LIVE, .klp = true };
static struct module lpt_mod4 = { .name = "lpt_p4", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_patch lpt_p3 = { .mod = &lpt_mod3, .objs = lpt_objs };
static struct klp_patch lpt_p4 = { .mod = &lpt_mod4, .objs = lpt_objs };
extern bool klp_test_no_memory;

static void lpt_disable(struct ktest *t, struct klp_patch *p)
{
	char path[96];
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/enabled", p->mod->name);
	KEXPECT_EQ(pfs_write(path, "0", 1), 1);
	KEXPECT_TRUE(klp_wait_transition(5000));
}

/* Start the thread and wait until it sleeps inside lpt_block_a. */
static struct task *lpt_start(struct ktest *t)
{
	lpt_hold_a = lpt_hold_b = true;
	lpt_spawn = lpt_done = lpt_skip_b = false;
	lpt_child = NULL;
	struct task *tk = lpt_run_urgent(lpt_thread_fn, "lpt_thread");
	if (!KEXPECT_NOT_NULL(tk))
		return NULL;
	msleep(10);
	return tk;
}

static void lpt_finish(struct task *tk)
{
	lpt_hold_a = lpt_hold_b = false;
	lpt_done = true;
	wake_up_all(&lpt_wq);
	kthread_stop(tk);
	if (lpt_child)
		kthread_join(lpt_child);
}

/* Whether the timeline records pid's switch as "self" (the task switched
 * itself at a switch point) in the newest transition that followed it. */
static bool lpt_switched_self(int pid)
{
	struct seq_file m = SEQ_FILE_INIT;
	char needle[32];
	bool found = false;
	snprintf(needle, sizeof(needle), " %d 0 self\n", pid);
	if (!pfs_read("/sys/kernel/debug/livepatch/timeline", &m) && m.buf)
		for (char *l = m.buf; (l = strstr(l, "event switch ")); l++) {
			char *end = strchr(l, '\n');
			char *hit = strstr(l, needle);
			if (hit && end && hit + strlen(needle) - 1 == end) {
				found = true;
				break;
			}
		}
	seq_file_release(&m);
	return found;
}

/* A task that failed its check, then ran and went to sleep in another
 * patched function, is checked again and still blocks; once it sleeps
 * outside both, the transition completes. */
static void lpt_recheck(struct ktest *t, struct klp_patch *p)
{
	struct task *tk = lpt_start(t);
	if (!tk)
		return;
	KASSERT_EQ(klp_enable_patch(p), 0);
	msleep(10);
	KEXPECT_TRUE(klp_transition_in_progress());
	KEXPECT_EQ(READ_ONCE(tk->patch_state), KLP_UNPATCHED);

	u64 sw = tk->nvcsw + tk->nivcsw;
	WRITE_ONCE(lpt_hold_a, false); /* into lpt_block_b, asleep again */
	msleep(20);
	KEXPECT_GT(tk->nvcsw + tk->nivcsw, sw);
	KEXPECT_TRUE(klp_transition_in_progress());
	KEXPECT_EQ(READ_ONCE(tk->patch_state), KLP_UNPATCHED);
	KEXPECT_TRUE(test_tsk_thread_flag(tk, TIF_PATCH_PENDING));

	WRITE_ONCE(lpt_hold_b, false); /* asleep outside the patch */
	KEXPECT_TRUE(klp_wait_transition(5000));
	/* it switched itself going to sleep, and the record says so */
	KEXPECT_TRUE(lpt_switched_self(tk->pid));
	lpt_disable(t, p);
	lpt_finish(tk);
}

/* With the windows between its sleeps a few ticks wide: the worker's
 * retries come meanwhile, and must not find the thread preempted there. */
KTEST(lp_transition, blocked_task_rechecked_after_it_ran)
{
	lpt_gap_ticks = 5;
	lpt_recheck(t, &lpt_p1);
	lpt_gap_ticks = 0;
}

/* A child created during the transition by a pending task inherits the
 * pending flag without being in the array collected at the start: the
 * transition must not complete while the child sleeps in a patched
 * function, even after every task of the array has switched. */
static void lpt_child_blocks(struct ktest *t, struct klp_patch *p)
{
	struct task *tk = lpt_start(t);
	if (!tk)
		return;
	KASSERT_EQ(klp_enable_patch(p), 0);
	msleep(10);
	KEXPECT_TRUE(klp_transition_in_progress());

	WRITE_ONCE(lpt_spawn, true);
	for (int i = 0; i < 100 && !READ_ONCE(lpt_child); i++)
		msleep(1);
	KASSERT_NOT_NULL(lpt_child);
	msleep(5); /* the child sleeps in lpt_block_b */
	KEXPECT_EQ(READ_ONCE(lpt_child->patch_state), KLP_UNPATCHED);
	KEXPECT_TRUE(test_tsk_thread_flag(lpt_child, TIF_PATCH_PENDING));

	/* The parent leaves both functions and sleeps (it switches itself),
	 * while the child stays in lpt_block_b. */
	WRITE_ONCE(lpt_skip_b, true);
	WRITE_ONCE(lpt_hold_a, false);
	msleep(20);
	KEXPECT_EQ(READ_ONCE(tk->patch_state), KLP_PATCHED);
	KEXPECT_TRUE(klp_transition_in_progress());
	KEXPECT_EQ(READ_ONCE(lpt_child->patch_state), KLP_UNPATCHED);

	WRITE_ONCE(lpt_hold_b, false);
	KEXPECT_TRUE(klp_wait_transition(5000));
	lpt_disable(t, p);
	lpt_finish(tk);
}

KTEST(lp_transition, child_of_pending_task_blocks)
{
	lpt_child_blocks(t, &lpt_p2);
}

/* The same without memory for the pending array and the ranges: every
 * pass walks every task and looks each function up. */
KTEST(lp_transition, without_memory_the_same)
{
	WRITE_ONCE(klp_test_no_memory, true);
	lpt_recheck(t, &lpt_p3);
	lpt_child_blocks(t, &lpt_p4);
	WRITE_ONCE(klp_test_no_memory, false);
}

/* ---- a thread that never sleeps: it switches only by the worker's check,
 * made while it is preempted (an interrupt frame on its stack) ---- */

static volatile bool lpt_spin_in_a, lpt_spin_stop, lpt_spinning;

/* Leaves: no call from them leaves a return address behind. */
__lpt_target void lpt_spin_a(void)
{
	lpt_spinning = true;
	while (READ_ONCE(lpt_spin_in_a))
		barrier();
}

__lpt_target void lpt_spin_a_new(void)
{
}

__lpt_target void lpt_spin_elsewhere(void)
{
	while (!READ_ONCE(lpt_spin_stop))
		barrier();
}

static int lpt_spinner_fn(void *unused)
{
	(void)unused;
	lpt_spin_a();
	lpt_spin_elsewhere();
	return 0;
}

static struct klp_func lpt_spin_funcs[] = { { .old_name = "lpt_spin_a", .new_func = lpt_spin_a_new },
					    {} };
static struct klp_object lpt_spin_objs[] = { { .funcs = lpt_spin_funcs }, {} };
static struct module lpt_mod5 = { .name = "lpt_p5", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_patch lpt_p5 = { .mod = &lpt_mod5, .objs = lpt_spin_objs };

/* Preempted inside the function being replaced, the thread blocks the
 * transition; preempted elsewhere, it is switched by the check of its
 * preempted stack (regression: a kernel-mode interrupt frame made every
 * such stack unreliable, and a thread that never sleeps kept the
 * transition open for good). */
KTEST(lp_transition, preempted_thread_switched_by_its_stack_check)
{
	lpt_spin_in_a = true;
	lpt_spin_stop = lpt_spinning = false;
	struct task *tk = kthread_create(lpt_spinner_fn, NULL, "lpt_spinner");
	KASSERT_NOT_NULL(tk);
	/* Less urgent than us: it runs while we sleep, and the tick that
	 * wakes us preempts it. */
	sched_set_prio(tk, SCHED_PRIO_DEFAULT + 5);
	kthread_wake(tk);
	for (int i = 0; i < 1000 && !READ_ONCE(lpt_spinning); i++)
		msleep(1);
	KEXPECT_TRUE(lpt_spinning);
	KASSERT_EQ(klp_enable_patch(&lpt_p5), 0);
	msleep(20);
	KEXPECT_TRUE(klp_transition_in_progress());
	KEXPECT_EQ(READ_ONCE(tk->patch_state), KLP_UNPATCHED);

	WRITE_ONCE(lpt_spin_in_a, false);
	KEXPECT_TRUE(klp_wait_transition(5000));
	lpt_disable(t, &lpt_p5);
	lpt_spin_stop = true;
	kthread_stop(tk);
}

/* ---- a straggler that leaves the patched function and exits ---- */

static int lpt_exit_fn(void *unused)
{
	(void)unused;
	lpt_block_a();
	return 0; /* straight to do_exit: no sleep on the way */
}

static struct module lpt_mod6 = { .name = "lpt_p6", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_patch lpt_p6 = { .mod = &lpt_mod6, .objs = lpt_objs };

/* A pending thread that leaves the patched function and exits without
 * sleeping again switches itself in do_exit (its own stack check), so the
 * transition it held completes as it leaves: the timeline records it as
 * switched by itself, not found exited at the worker's next retry
 * (regression: only the timer retry noticed, a tick later). */
KTEST(lp_transition, exiting_straggler_switches_itself)
{
	lpt_hold_a = true;
	struct task *tk = lpt_run_urgent(lpt_exit_fn, "lpt_exiter");
	KASSERT_NOT_NULL(tk);
	msleep(10); /* asleep in lpt_block_a */
	int pid = tk->pid;
	KASSERT_EQ(klp_enable_patch(&lpt_p6), 0);
	msleep(10);
	KEXPECT_TRUE(klp_transition_in_progress());
	KEXPECT_EQ(READ_ONCE(tk->patch_state), KLP_UNPATCHED);

	WRITE_ONCE(lpt_hold_a, false);
	kthread_join(tk);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_TRUE(lpt_switched_self(pid));
	lpt_disable(t, &lpt_p6);
}
