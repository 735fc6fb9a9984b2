/* Locking self-tests: the concurrency contract's regressions. A task that
 * holds ftrace's update lock while the livepatch transition worker (more
 * urgent) completes a transition; a sleeping mutex held by a low-priority
 * task wanted by a high one while a medium one spins. */
#include <kelp/ktest.h>
#include <kelp/livepatch.h>
#include <kelp/module.h>
#include <kelp/ftrace.h>
#include <kelp/pseudofs.h>
#include <kelp/sched.h>
#include <kelp/mutex.h>
#include <kelp/time.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>

/* ---- ftrace's update lock against a completing transition ---- */

static volatile u64 flip_hits, flip_rounds;
static volatile int flip_err;

static notrace void flip_func(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			      struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op, (void)fregs;
	flip_hits++;
}

/* Register and unregister tracing of every string helper, over and over:
 * nearly all of this thread's time is spent holding ftrace's lock, so the
 * tick that wakes the transition worker finds it there. Each round ends at
 * cond_resched(), where the transition can switch this busy thread. */
static int flip_thread(void *arg)
{
	(void)arg;
	static const char globs[] = "str* mem* kstr* glob_match";
	while (!kthread_should_stop()) {
		struct ftrace_ops ops = { .func = flip_func };
		int err = ftrace_set_filter(&ops, globs, sizeof(globs) - 1, 1);
		if (!err)
			err = register_ftrace_function(&ops);
		if (!err) {
			char buf[16];
			strlcpy(buf, "kelp", sizeof(buf)); /* traced */
			err = unregister_ftrace_function(&ops);
		}
		ftrace_free_filter(&ops);
		if (err && !flip_err)
			flip_err = err;
		flip_rounds++;
		cond_resched(); /* where a busy kthread switches its patch state */
	}
	return 0;
}

/* The hang of the concurrency issue: the transition worker used to spin on
 * ftrace's lock behind this preempted thread and never give the CPU back.
 * Unbounded before the fix (the harness's timeout reports it), a few
 * seconds after. */
static void patch_cycle(struct ktest *t)
{
	KEXPECT_EQ(module_builtin_load("test_klp_livepatch"), 0);
	KEXPECT_TRUE(klp_wait_transition(10000));
	KEXPECT_EQ(pfs_write("/sys/kernel/livepatch/test_klp_livepatch/enabled", "0", 1), 1);
	KEXPECT_TRUE(klp_wait_transition(10000));
	KEXPECT_EQ(module_unload("test_klp_livepatch", NULL, 0), 0);
}

KTEST(locking, ftrace_updates_while_transitions_complete)
{
	struct kmalloc_stats before, after;
	patch_cycle(t); /* the first transition starts livepatch's worker: not a leak */
	kmalloc_get_stats(&before);
	flip_hits = flip_rounds = 0;
	flip_err = 0;
	struct task *th = kthread_run(flip_thread, NULL, "ftrace_flip");
	KASSERT_NOT_NULL(th);
	for (int i = 0; i < 8; i++)
		patch_cycle(t);
	kthread_stop(th);
	KEXPECT_EQ(flip_err, 0);
	KEXPECT_GT(flip_rounds, 0);
	KEXPECT_GT(flip_hits, 0);
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}
