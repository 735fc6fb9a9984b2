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
#include <kelp/wait.h>
#include <kelp/lockdep.h>
#include <kelp/printk.h>
#include <arch/cpu.h>

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

/* ---- priority inheritance ---- */

#define PI_LOW 30
#define PI_MID 10
#define PI_HIGH 5
#define PI_MID_SPIN_MS 400 /* the middle task gives up after this: bounded */
#define PI_LOW_WORK_MS 5

static DEFINE_MUTEX(pi_test_mutex);
static struct completion pi_low_locked;
static volatile bool pi_high_done, pi_mid_saw_high;
static volatile int pi_low_prio_at_unlock, pi_low_prio_after;

static void spin_ms(u64 ms)
{
	u64 end = ktime_get_ms() + ms;
	while (ktime_get_ms() < end)
		arch_cpu_relax();
}

/* Takes the mutex, then needs CPU time before it can release it. */
static int pi_low_thread(void *arg)
{
	(void)arg;
	mutex_lock(&pi_test_mutex);
	complete(&pi_low_locked);
	spin_ms(PI_LOW_WORK_MS);
	pi_low_prio_at_unlock = current->prio;
	mutex_unlock(&pi_test_mutex);
	pi_low_prio_after = current->prio;
	return 0;
}

/* CPU-bound, more urgent than the owner, less than the waiter. */
static int pi_mid_thread(void *arg)
{
	(void)arg;
	u64 end = ktime_get_ms() + PI_MID_SPIN_MS;
	while (ktime_get_ms() < end)
		if (READ_ONCE(pi_high_done)) {
			pi_mid_saw_high = true;
			break;
		}
	return 0;
}

static int pi_high_thread(void *arg)
{
	(void)arg;
	mutex_lock(&pi_test_mutex);
	WRITE_ONCE(pi_high_done, true);
	mutex_unlock(&pi_test_mutex);
	return 0;
}

/* High waits for a mutex that low holds while mid spins: with inheritance
 * low runs at high's prio, finishes and hands over while mid still spins;
 * without, mid starves low until it gives up. */
KTEST(locking, priority_inheritance_unblocks_the_owner)
{
	int my_prio = current->normal_prio;
	pi_high_done = pi_mid_saw_high = false;
	pi_low_prio_at_unlock = pi_low_prio_after = -1;
	init_completion(&pi_low_locked);
	sched_set_prio(current, 0); /* start all three before any of them runs */
	struct task *low = kthread_create(pi_low_thread, NULL, "pi_low");
	struct task *mid = kthread_create(pi_mid_thread, NULL, "pi_mid");
	struct task *high = kthread_create(pi_high_thread, NULL, "pi_high");
	if (!KEXPECT_TRUE(low && mid && high)) {
		sched_set_prio(current, my_prio);
		return;
	}
	sched_set_prio(low, PI_LOW);
	sched_set_prio(mid, PI_MID);
	sched_set_prio(high, PI_HIGH);
	kthread_wake(low);
	wait_for_completion(&pi_low_locked); /* low holds it now */
	kthread_wake(mid);
	kthread_wake(high);
	sched_set_prio(current, my_prio); /* lets high, then mid or low, run */
	kthread_join(high);
	kthread_join(mid);
	kthread_join(low);
	KEXPECT_TRUE(pi_high_done);
	KEXPECT_TRUE(pi_mid_saw_high); /* high got the mutex while mid still spun */
	KEXPECT_EQ(pi_low_prio_at_unlock, PI_HIGH);
	KEXPECT_EQ(pi_low_prio_after, PI_LOW); /* the boost ends with the unlock */
	KEXPECT_FALSE(mutex_is_locked(&pi_test_mutex));
}

/* ---- the lock validator: each check fires (then its report is taken
 * back so the runner does not fail the case) ---- */

static spinlock_t vd_a = SPINLOCK_INIT, vd_b = SPINLOCK_INIT;
static DEFINE_MUTEX(vd_mutex);

/* The lines logged since seq that contain needle. */
static int log_count(u64 seq, const char *needle)
{
	static char buf[256];
	struct log_record rec;
	int n = 0;
	while (log_read(&seq, &rec, buf, sizeof(buf)))
		if (strstr(buf, needle))
			n++;
	return n;
}

KTEST(locking, validator_reports_sleeping_while_atomic)
{
	u64 seq = log_next_seq();
	unsigned int before = lockdep_unacked();
	spin_lock(&vd_a);
	mutex_lock(&vd_mutex); /* free, so it does not sleep: might_sleep still fires */
	mutex_unlock(&vd_mutex);
	spin_unlock(&vd_a);
	KEXPECT_EQ(lockdep_unacked(), before + 1);
	KEXPECT_EQ(log_count(seq, "sleeping function called from invalid context"), 1);
	KEXPECT_EQ(log_count(seq, "vd_a, taken at"), 1); /* the held lock is named */
	/* and preemption alone, no lock */
	seq = log_next_seq();
	preempt_disable();
	might_sleep();
	preempt_enable();
	KEXPECT_EQ(lockdep_unacked(), before + 2);
	KEXPECT_EQ(log_count(seq, "preempt_count 1"), 2);
	lockdep_ack();
	mutex_lock(&vd_mutex); /* in task context: no report */
	mutex_unlock(&vd_mutex);
	KEXPECT_EQ(lockdep_unacked(), 0);
}

KTEST(locking, validator_reports_recursive_spinlock)
{
	u64 seq = log_next_seq();
	int pc = preempt_count();
	spin_lock(&vd_a);
	spin_lock(&vd_a); /* reported and skipped instead of spinning forever */
	spin_unlock(&vd_a);
	spin_unlock(&vd_a);
	KEXPECT_EQ(preempt_count(), pc);
	KEXPECT_EQ(lockdep_unacked(), 1);
	KEXPECT_EQ(log_count(seq, "recursive locking"), 1);
	KEXPECT_EQ(log_count(seq, "taking vd_a again"), 1);
	lockdep_ack();
}

static noinline void vd_take_a_then_b(void)
{
	spin_lock(&vd_a);
	spin_lock(&vd_b);
	spin_unlock(&vd_b);
	spin_unlock(&vd_a);
}

static noinline void vd_take_b_then_a(void)
{
	unsigned long flags = spin_lock_irqsave(&vd_b);
	spin_lock(&vd_a);
	spin_unlock(&vd_a);
	spin_unlock_irqrestore(&vd_b, flags);
}

KTEST(locking, validator_reports_lock_inversion_with_both_stacks)
{
	u64 seq = log_next_seq();
	vd_take_a_then_b();
	vd_take_a_then_b(); /* the same order again: nothing new */
	KEXPECT_EQ(lockdep_unacked(), 0);
	vd_take_b_then_a();
	KEXPECT_EQ(lockdep_unacked(), 1);
	KEXPECT_EQ(log_count(seq, "possible circular locking dependency"), 1);
	KEXPECT_EQ(log_count(seq, "taking vd_a while holding vd_b"), 1);
	KEXPECT_EQ(log_count(seq, "vd_take_a_then_b+"), 1); /* the recorded order's stack */
	KEXPECT_GE(log_count(seq, "vd_take_b_then_a+"), 1); /* and this one's */
	lockdep_ack();
	vd_take_b_then_a(); /* reported again: the inverted order is never recorded */
	KEXPECT_EQ(lockdep_unacked(), 1);
	lockdep_ack();
}

static spinlock_t vd_irq = SPINLOCK_INIT;
static volatile int vd_irq_hits;

static void vd_irq_tick(void)
{
	spin_lock(&vd_irq); /* interrupt context, interrupts off */
	vd_irq_hits++;
	spin_unlock(&vd_irq);
}

KTEST(locking, validator_reports_interrupt_unsafe_lock)
{
	u64 seq = log_next_seq();
	unsigned long flags = spin_lock_irqsave(&vd_irq); /* the safe form: fine */
	spin_unlock_irqrestore(&vd_irq, flags);
	vd_irq_hits = 0;
	KASSERT_EQ(timer_tick_register(vd_irq_tick), 0);
	for (int i = 0; i < 1000 && !READ_ONCE(vd_irq_hits); i++)
		msleep(1);
	timer_tick_unregister(vd_irq_tick);
	KEXPECT_GT(vd_irq_hits, 0);
	KEXPECT_EQ(lockdep_unacked(), 0);
	spin_lock(&vd_irq); /* interrupts on: the tick could spin on us */
	spin_unlock(&vd_irq);
	KEXPECT_EQ(lockdep_unacked(), 1);
	KEXPECT_EQ(log_count(seq, "interrupt-unsafe lock"), 1);
	KEXPECT_EQ(log_count(seq, "vd_irq is taken in interrupt context"), 1);
	KEXPECT_EQ(log_count(seq, "vd_irq_tick+"), 1); /* the other use's stack */
	lockdep_ack();
	spin_lock(&vd_irq); /* once per class */
	spin_unlock(&vd_irq);
	KEXPECT_EQ(lockdep_unacked(), 0);
}
