// SPDX-License-Identifier: GPL-2.0
/* kbench: the Linux side of `make bench-compare`. It holds the functions the
 * Kelp benches measure (tests/bench/ftrace.c, livepatch.c, lp_workloads.c),
 * in the same shapes, and the workloads around them; the init script drives
 * it by writing commands to /proc/kbench. Each figure is printed as
 * "kbench: fig NAME VALUE UNIT", or "kbench: skip NAME: WHY" when its
 * precondition (the ftrace site's state, the task's patch state) does not
 * hold. kbench_lp.ko patches kbench_target and kbench_block. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/livepatch.h>
#include <linux/ktime.h>
#include <asm/msr.h>

#define KBENCH_CALLS 1000
#define KBENCH_MAX_SLEEPERS 1000
#define __kb_target noinline __attribute__((noipa))

/* Kelp's bench_fn_plain / bench_fn_traced: one frame each, the same body. */
static void *volatile kbench_frame;

notrace noinline long kbench_plain(long x)
{
	kbench_frame = __builtin_frame_address(0);
	return x + 1;
}

noinline long kbench_traced(long x)
{
	kbench_frame = __builtin_frame_address(0);
	return x + 1;
}

/* Kelp's lp_bench_target: what kbench_lp replaces. */
__kb_target long kbench_target(long x)
{
	barrier();
	return x + 1;
}
EXPORT_SYMBOL_GPL(kbench_target);

static bool kbench_hold;
static DECLARE_WAIT_QUEUE_HEAD(kbench_hold_wq);
static u64 kbench_exit_ns, kbench_complete_ns, kbench_enable_ns;
static int kbench_blocker_state_at_release = -2;

/* A thread sleeping in here holds a patching transition open. */
__kb_target void kbench_block(void)
{
	wait_event_interruptible(kbench_hold_wq, !READ_ONCE(kbench_hold) || kthread_should_stop());
}
EXPORT_SYMBOL_GPL(kbench_block);

/* kbench_lp's init, right before klp_enable_patch(). */
void kbench_lp_enabling(void)
{
	WRITE_ONCE(kbench_complete_ns, 0);
	WRITE_ONCE(kbench_enable_ns, ktime_get_ns());
}
EXPORT_SYMBOL_GPL(kbench_lp_enabling);

/* kbench_lp's post_patch callback: inside klp_complete_transition(). */
void kbench_lp_completed(void)
{
	WRITE_ONCE(kbench_complete_ns, ktime_get_ns());
}
EXPORT_SYMBOL_GPL(kbench_lp_completed);

static long (*volatile fn_plain)(long) = kbench_plain;
static long (*volatile fn_traced)(long) = kbench_traced;
static long (*volatile fn_target)(long) = kbench_target;
static volatile long kbench_sink;

static notrace u64 kbench_measure(long (*fn)(long))
{
	long acc = 0;
	u64 t0, t1;
	int i;

	fn(0);
	t0 = rdtsc();
	for (i = 0; i < KBENCH_CALLS; i++)
		acc += fn(i);
	t1 = rdtsc();
	kbench_sink = acc;
	return (t1 - t0) / KBENCH_CALLS;
}

/* The fentry site of fn (the first instruction: this kernel has no IBT):
 * 'n' the 5-byte NOP, 'c' a call (to an ftrace trampoline), else '?'. */
static char kbench_site(void *fn)
{
	static const u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	const u8 *p = fn;

	if (!memcmp(p, nop5, sizeof(nop5)))
		return 'n';
	return p[0] == 0xe8 ? 'c' : '?';
}

static void kbench_fig(const char *name, u64 value, const char *unit)
{
	pr_info("kbench: fig %s %llu %s\n", name, value, unit);
}

static void kbench_skip(const char *name, const char *why)
{
	pr_info("kbench: skip %s: %s\n", name, why);
}

static void kbench_calls(const char *which)
{
	int state = current->patch_state;

	if (!strcmp(which, "plain")) {
		kbench_fig("call_plain", kbench_measure(fn_plain), "insns/call");
	} else if (!strcmp(which, "nop")) {
		if (kbench_site(kbench_traced) == 'n')
			kbench_fig("call_nop", kbench_measure(fn_traced), "insns/call");
		else
			kbench_skip("call_nop", "kbench_traced's site is not the NOP");
	} else if (!strcmp(which, "target")) {
		if (kbench_site(kbench_target) == 'n')
			kbench_fig("lp_call_unpatched", kbench_measure(fn_target), "insns/call");
		else
			kbench_skip("lp_call_unpatched", "kbench_target's site is not the NOP");
	} else if (!strcmp(which, "steady")) {
		/* patch_state is KLP_UNDEFINED outside a transition */
		if (kbench_site(kbench_target) == 'c' && state == KLP_UNDEFINED)
			kbench_fig("lp_call_steady", kbench_measure(fn_target), "insns/call");
		else
			kbench_skip("lp_call_steady", "not patched, or a transition runs");
	} else if (!strcmp(which, "transition")) {
		if (kbench_site(kbench_target) == 'c' && state == KLP_PATCHED)
			kbench_fig("lp_call_transition", kbench_measure(fn_target), "insns/call");
		else
			kbench_skip("lp_call_transition",
				    "no transition, or this task is not switched");
	} else if (!strcmp(which, "replaced")) {
		if (kbench_site(kbench_target) == 'n')
			kbench_fig("lp_call_after_replace_nop", kbench_measure(fn_target),
				   "insns/call");
		else
			kbench_skip("lp_call_after_replace_nop",
				    "kbench_target's site is not the NOP");
	} else {
		pr_warn("kbench: no such call figure '%s'\n", which);
	}
}

/* ---- the threads ---- */

static struct task_struct *kbench_sleepers[KBENCH_MAX_SLEEPERS];
static int kbench_nr_sleepers;
static bool kbench_stop_sleepers;
static DECLARE_WAIT_QUEUE_HEAD(kbench_sleep_wq);
static struct task_struct *kbench_blocker;

static int kbench_sleeper_fn(void *unused)
{
	wait_event_interruptible(kbench_sleep_wq,
				 READ_ONCE(kbench_stop_sleepers) || kthread_should_stop());
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int kbench_blocker_fn(void *unused)
{
	kbench_block();
	WRITE_ONCE(kbench_exit_ns, ktime_get_ns());
	return 0;
}

static void kbench_sleepers_start(int n)
{
	struct task_struct *t;

	WRITE_ONCE(kbench_stop_sleepers, false);
	while (kbench_nr_sleepers < n && kbench_nr_sleepers < KBENCH_MAX_SLEEPERS) {
		t = kthread_run(kbench_sleeper_fn, NULL, "kbench/%d", kbench_nr_sleepers);
		if (IS_ERR(t))
			break;
		get_task_struct(t);
		kbench_sleepers[kbench_nr_sleepers++] = t;
	}
	if (kbench_nr_sleepers != n)
		pr_warn("kbench: started %d of %d sleepers\n", kbench_nr_sleepers, n);
}

static void kbench_sleepers_stop(void)
{
	WRITE_ONCE(kbench_stop_sleepers, true);
	wake_up_all(&kbench_sleep_wq);
	while (kbench_nr_sleepers > 0) {
		struct task_struct *t = kbench_sleepers[--kbench_nr_sleepers];

		kthread_stop(t);
		put_task_struct(t);
	}
}

static void kbench_block_start(void)
{
	struct task_struct *t;

	if (kbench_blocker)
		return;
	WRITE_ONCE(kbench_hold, true);
	WRITE_ONCE(kbench_exit_ns, 0);
	t = kthread_run(kbench_blocker_fn, NULL, "kbench_blocker");
	if (IS_ERR(t)) {
		pr_warn("kbench: no blocker thread\n");
		return;
	}
	get_task_struct(t);
	kbench_blocker = t;
}

/* Lets the blocker out of kbench_block; it records when it left and ends. */
static void kbench_block_release(void)
{
	if (kbench_blocker)
		kbench_blocker_state_at_release = READ_ONCE(kbench_blocker->patch_state);
	WRITE_ONCE(kbench_hold, false);
	wake_up_all(&kbench_hold_wq);
}

static void kbench_block_reap(void)
{
	kbench_block_release();
	if (kbench_blocker) {
		kthread_stop(kbench_blocker);
		put_task_struct(kbench_blocker);
		kbench_blocker = NULL;
	}
}

static void kbench_report(const char *which)
{
	if (!strcmp(which, "enable")) {
		if (kbench_complete_ns > kbench_enable_ns && kbench_enable_ns)
			kbench_fig("lp_enable_to_complete_1func",
				   (kbench_complete_ns - kbench_enable_ns) / 1000, "us");
		else
			kbench_skip("lp_enable_to_complete_1func",
				    "no completion after the enable");
	} else if (!strcmp(which, "straggler")) {
		/* released while unswitched, in a transition: it held it open */
		if (kbench_blocker_state_at_release != KLP_UNPATCHED)
			kbench_skip("lp_straggler_exit_to_complete",
				    "the straggler did not hold the transition");
		else if (!kbench_exit_ns || kbench_complete_ns <= kbench_exit_ns)
			kbench_skip("lp_straggler_exit_to_complete",
				    "no completion after the straggler left");
		else
			kbench_fig("lp_straggler_exit_to_complete",
				   (kbench_complete_ns - kbench_exit_ns) / 1000, "us");
	} else {
		pr_warn("kbench: no such report '%s'\n", which);
	}
}

/* Commands: "calls plain|nop|target|steady|transition|replaced", "sleepers N",
 * "stop", "block", "release", "reap", "report enable|straggler". */
static ssize_t kbench_write(struct file *file, const char __user *ubuf, size_t len, loff_t *off)
{
	char buf[64], *arg;
	int n;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	strim(buf);
	arg = strchr(buf, ' ');
	if (arg)
		*arg++ = 0;
	if (!strcmp(buf, "calls") && arg)
		kbench_calls(arg);
	else if (!strcmp(buf, "sleepers") && arg && !kstrtoint(arg, 10, &n))
		kbench_sleepers_start(n);
	else if (!strcmp(buf, "stop"))
		kbench_sleepers_stop();
	else if (!strcmp(buf, "block"))
		kbench_block_start();
	else if (!strcmp(buf, "release"))
		kbench_block_release();
	else if (!strcmp(buf, "reap"))
		kbench_block_reap();
	else if (!strcmp(buf, "report") && arg)
		kbench_report(arg);
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops kbench_ops = {
	.proc_write = kbench_write,
};

static struct proc_dir_entry *kbench_proc;

static int __init kbench_init(void)
{
	kbench_proc = proc_create("kbench", 0200, NULL, &kbench_ops);
	return kbench_proc ? 0 : -ENOMEM;
}

static void __exit kbench_exit(void)
{
	proc_remove(kbench_proc);
	kbench_block_reap();
	kbench_sleepers_stop();
}

module_init(kbench_init);
module_exit(kbench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kelp bench-compare: the Linux side of each Kelp bench");
