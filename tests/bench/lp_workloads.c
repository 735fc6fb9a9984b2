/* Livepatch workload benchmarks (`make bench`, guest µs under icount, where
 * one µs is about 1,000 instructions): the figures issue 17 compares with
 * Linux that livepatch.c does not measure. From klp_enable_patch() to the
 * completed transition for one function, alone and stacked on 100 installed
 * patches; the unpatching transition with 10 sleeping kthreads and 4 user
 * getpid loopers; a straggler sleeping in the patched function that wakes
 * and leaves it (its exit to completion); the transition over 10,000
 * sleeping kthreads (bench_threads=N for another count). Completion is stamped by the patch's post_patch
 * callback, which runs inside the completion as in Linux, so
 * tools/bench-compare's Linux modules measure the very same span. */
#include <kelp/bench.h>
#include <kelp/livepatch.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <kelp/time.h>
#include <kelp/string.h>
#include <kelp/pseudofs.h>
#include <kelp/mm.h>
#include <kelp/rcupdate.h>
#include <kelp/user.h>
#include <kelp/cmdline.h>
#include <kelp/kstrtox.h>
#include "lp_target.h"

static volatile bool lpw_hold;
static DECLARE_WAIT_QUEUE_HEAD(lpw_hold_wq);
static volatile u64 lpw_exit_ns; /* the straggler left lpw_block */

/* A thread sleeping in here holds a transition that changes it open. */
__lp_target void lpw_block(void)
{
	wait_event_interruptible(lpw_hold_wq, !READ_ONCE(lpw_hold));
}

__lp_target void lpw_block_new(void)
{
}

static volatile u64 lpw_complete_ns;

static void lpw_post_patch(struct klp_object *obj)
{
	(void)obj;
	WRITE_ONCE(lpw_complete_ns, ktime_get_ns());
}

/* One patch with its module, built at run time: the stack bench needs 100. */
struct lpw_patch {
	struct module mod;
	struct klp_func funcs[3];
	struct klp_object objs[2];
	struct klp_patch patch;
};

/* funcs: lp_bench_target, plus lpw_block when block is set. */
static struct lpw_patch *lpw_patch_new(const char *name, bool block)
{
	struct lpw_patch *p = kzalloc(sizeof(*p));
	if (!p)
		return NULL;
	strlcpy(p->mod.name, name, sizeof(p->mod.name));
	p->mod.state = MODULE_STATE_LIVE;
	p->mod.klp = true;
	p->funcs[0].old_name = "lp_bench_target";
	p->funcs[0].new_func = lp_bench_new;
	if (block) {
		p->funcs[1].old_name = "lpw_block";
		p->funcs[1].new_func = lpw_block_new;
	}
	p->objs[0].funcs = p->funcs;
	p->objs[0].callbacks.post_patch = lpw_post_patch;
	p->patch.mod = &p->mod;
	p->patch.objs = p->objs;
	return p;
}

static void lpw_wait(void)
{
	while (klp_transition_in_progress())
		msleep(1);
}

/* Disables p and waits for the unpatching to complete: the patch is then
 * off the stack and its memory can go, once lock-free readers of the
 * patch list (klp_nr_patches) are past it. */
static int lpw_disable(struct lpw_patch *p)
{
	char path[96];
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/enabled", p->mod.name);
	int ret = pfs_write(path, "0", 1) == 1 ? 0 : -1;
	lpw_wait();
	return ret;
}

static void lpw_free(struct lpw_patch *p)
{
	synchronize_rcu();
	kfree(p);
}

/* klp_enable_patch() to the post_patch callback, µs; 0 if the patch did
 * not enable or lp_bench_target's site is not then a jmp to lp_bench_new. */
static u64 lpw_enable_us(struct lpw_patch *p)
{
	WRITE_ONCE(lpw_complete_ns, 0);
	u64 t0 = ktime_get_ns();
	if (klp_enable_patch(&p->patch))
		return 0;
	lpw_wait();
	if (!lpw_complete_ns || !bench_site_is_jmp(lp_bench_target, lp_bench_new))
		return 0;
	return (lpw_complete_ns - t0) / 1000;
}

KBENCH(lp_enable)
{
	struct lpw_patch *p = lpw_patch_new("lpw_enable", false);
	if (!p) {
		bench_skip("lp_enable_to_complete_1func", "no memory");
		return;
	}
	if (!bench_site_is_nop(lp_bench_target)) {
		bench_skip("lp_enable_to_complete_1func", "lp_bench_target's site is not the NOP");
		kfree(p);
		return;
	}
	u64 us = lpw_enable_us(p);
	if (us)
		bench_report("lp_enable_to_complete_1func", us, "us");
	else
		bench_skip("lp_enable_to_complete_1func", "the patch did not complete as a jmp");
	if (p->patch.enabled || klp_find_patch(p->mod.name))
		lpw_disable(p);
	lpw_free(p);
}

#define LPW_STACK 100

/* 100 patches of lp_bench_target installed, then one more: how enabling grows
 * with the patch stack (the per-patch cost is (this - 1func) / 100). */
KBENCH(lp_enable_stacked)
{
	static struct lpw_patch *stack[LPW_STACK];
	int base = klp_nr_patches(), n = 0;
	const char *why = NULL;
	for (; n < LPW_STACK; n++) {
		char name[MODULE_NAME_LEN];
		snprintf(name, sizeof(name), "lpw_stack_%d", n);
		struct lpw_patch *p = lpw_patch_new(name, false);
		if (!p || klp_enable_patch(&p->patch)) {
			if (p)
				lpw_free(p); /* klp_enable_patch let go of it */
			why = "the stack of 100 patches did not build";
			break;
		}
		stack[n] = p;
		lpw_wait();
	}
	struct lpw_patch *top = why ? NULL : lpw_patch_new("lpw_stack_top", false);
	if (!why && !top)
		why = "no memory";
	u64 us = why ? 0 : lpw_enable_us(top);
	if (!why && (!us || klp_nr_patches() != base + LPW_STACK + 1))
		why = "the 101st patch did not complete as a jmp on top of the stack";
	if (why)
		bench_skip("lp_enable_to_complete_stacked_100", why);
	else
		bench_report("lp_enable_to_complete_stacked_100", us, "us");
	if (top) {
		if (top->patch.enabled || klp_find_patch(top->mod.name))
			lpw_disable(top);
		lpw_free(top);
	}
	/* top first: every disable is then of the stack's top */
	while (n-- > 0) {
		lpw_disable(stack[n]);
		lpw_free(stack[n]);
	}
}

static int lpw_straggler(void *unused)
{
	(void)unused;
	lpw_block();
	WRITE_ONCE(lpw_exit_ns, ktime_get_ns());
	return 0;
}

/* Linux retries stragglers once a second; 100 ms after the start is a
 * point between two of its retries, the same for both kernels. */
#define LPW_STRAGGLER_MS 100

KBENCH(lp_straggler)
{
	struct lpw_patch *p = lpw_patch_new("lpw_straggler", true);
	struct task *t = NULL;
	const char *why = NULL;
	if (p) {
		lpw_hold = true;
		lpw_exit_ns = 0;
		t = kthread_run(lpw_straggler, NULL, "lpw_straggler");
	}
	if (!t) {
		kfree(p);
		bench_skip("lp_straggler_exit_to_complete", "no memory");
		return;
	}
	msleep(5); /* asleep in lpw_block */
	lpw_complete_ns = 0;
	if (klp_enable_patch(&p->patch)) {
		why = "the patch did not enable";
	} else {
		msleep(LPW_STRAGGLER_MS);
		if (!klp_transition_in_progress() || t->patch_state == KLP_PATCHED)
			why = "the straggler did not hold the transition";
	}
	WRITE_ONCE(lpw_hold, false);
	wake_up_all(&lpw_hold_wq);
	kthread_join(t);
	lpw_wait();
	if (!why && !(lpw_exit_ns && lpw_complete_ns > lpw_exit_ns))
		why = "no completion after the straggler left";
	if (!why && !bench_site_is_jmp(lp_bench_target, lp_bench_new))
		why = "lp_bench_target's site is not a jmp to lp_bench_new";
	if (why)
		bench_skip("lp_straggler_exit_to_complete", why);
	else
		bench_report("lp_straggler_exit_to_complete",
			     (lpw_complete_ns - lpw_exit_ns) / 1000, "us");
	if (p->patch.enabled || klp_find_patch(p->mod.name))
		lpw_disable(p);
	lpw_free(p);
}

static volatile bool lpw_stop;
static DECLARE_WAIT_QUEUE_HEAD(lpw_sleep_wq);

static int lpw_sleeper(void *unused)
{
	(void)unused;
	wait_event_interruptible(lpw_sleep_wq, READ_ONCE(lpw_stop));
	return 0;
}

#define LPW_USERS 4

/* n sleeping kthreads and `users` getpid loopers, then a patch of lp_bench_target
 * and lpw_block: the start-to-completion time of its patching transition
 * (patch_name) and of its unpatching transition (unpatch_name, or none). */
static void lpw_workload(int n, int users, const char *patch_name, const char *unpatch_name)
{
	struct task **th = kzalloc(n * sizeof(*th));
	struct task *u[LPW_USERS];
	struct lpw_patch *p = lpw_patch_new("lpw_workload", true);
	int made = 0, nu = 0, err;
	const char *why = NULL;
	if (!th || !p) {
		why = "no memory";
		goto out;
	}
	lpw_stop = false;
	for (; made < n; made++)
		if (!(th[made] = kthread_run(lpw_sleeper, NULL, "lpw/%d", made)))
			break;
	for (; nu < users && nu < LPW_USERS; nu++)
		if (!(u[nu] = user_spawn("getpid_loop", "10", &err)))
			break;
	if (made < n || nu < users) {
		why = "not every task could be started";
		goto out;
	}
	msleep(20); /* all asleep */
	if (klp_enable_patch(&p->patch)) {
		why = "the patch did not enable";
		goto out;
	}
	lpw_wait();
	u64 patch_us = READ_ONCE(klp_last_transition_us);
	if (!bench_site_is_jmp(lp_bench_target, lp_bench_new)) {
		why = "lp_bench_target's site is not a jmp to lp_bench_new";
		goto out;
	}
	lpw_disable(p);
	u64 unpatch_us = READ_ONCE(klp_last_transition_us);
	if (!bench_site_is_nop(lp_bench_target)) {
		why = "lp_bench_target's site is not the NOP after unpatching";
		goto out;
	}
	/* the loopers must have been running through both transitions (they
	 * loop for 10 s, then are killed) */
	for (int i = 0; i < nu; i++)
		if (READ_ONCE(u[i]->state) == TASK_DEAD || (READ_ONCE(u[i]->flags) & PF_EXITING))
			why = "a user looper ended before the transitions did";
	if (!why) {
		bench_report(patch_name, patch_us, "us");
		if (unpatch_name)
			bench_report(unpatch_name, unpatch_us, "us");
	}
out:
	if (why) {
		bench_skip(patch_name, why);
		if (unpatch_name)
			bench_skip(unpatch_name, why);
	}
	if (p && (p->patch.enabled || klp_find_patch(p->mod.name)))
		lpw_disable(p);
	lpw_stop = true;
	wake_up_all(&lpw_sleep_wq);
	for (int i = 0; i < made; i++)
		kthread_stop(th[i]);
	for (int i = 0; i < nu; i++) {
		user_task_kill(u[i]); /* they would loop for 10 s */
		task_wait_exit(u[i]);
		put_task_struct(u[i]);
	}
	kfree(th);
	if (p)
		lpw_free(p);
	msleep(10);
}

KBENCH(lp_unpatch_workload)
{
	lpw_workload(10, LPW_USERS, "lp_patch_10_kthreads_4_user_getpid",
		     "lp_unpatch_10_kthreads_4_user_getpid");
}

/* bench_threads=N on the command line: how many (default 10,000, the
 * figure issue 17 asks for; make test asks for fewer, to stay quick). */
#define LPW_MANY_DEFAULT 10000
#define LPW_MANY_MAX 100000

KBENCH(lp_transition_many)
{
	char buf[16], name[48];
	unsigned int n = LPW_MANY_DEFAULT;
	if (cmdline_get("bench_threads", buf, sizeof(buf)) &&
	    (kstrtouint(buf, 10, &n) || !n || n > LPW_MANY_MAX)) {
		bench_skip("lp_transition_many", "bench_threads= is not a count of 1 to 100000");
		return;
	}
	snprintf(name, sizeof(name), "lp_transition_%u_kthreads", n);
	lpw_workload(n, 0, name, NULL);
}
