/* The per-task consistency model: every task moves from the old patch state
 * to the target one on its own, at a point where it is provably not running
 * any function the transition changes (on the way back to user mode, in
 * schedule()/cond_resched() after checking its own stack, in the idle loop,
 * or by a reliable stack check while it is switched out).
 *
 * Unlike Linux, which retries stragglers once a second, Kelp retries when
 * something happens (a pending task switched itself: it went to sleep, hit
 * cond_resched, returned to user mode, or the idle loop ran) and on a
 * short timer, from a dedicated worker thread. Signalling keeps Linux's
 * rule in time: interruptible sleepers are woken (and "signaling remaining
 * tasks" logged) after SIGNALS_TIMEOUT seconds of timer retries, then
 * again every SIGNALS_TIMEOUT seconds. */
#define pr_fmt(fmt) "livepatch: " fmt
#include "core.h"
#include "timeline.h"
#include <kelp/sched.h>
#include <kelp/stacktrace.h>
#include <kelp/percpu.h>
#include <kelp/wait.h>
#include <kelp/time.h>
#include <kelp/errno.h>
#include <kelp/panic.h>
#include <kelp/init.h>
#include <kelp/barrier.h>
#include <kelp/rcupdate.h>

#define MAX_STACK_ENTRIES 100
#define KLP_RETRY_MS 2		/* timer retry while tasks are pending */
/* Linux signals every SIGNALS_TIMEOUT (15) retries of its 1 s cadence: the
 * same 15 s in retries of ours. */
#define KLP_SIGNALS_TIMEOUT_S 15
#define KLP_SIGNAL_ROUNDS (KLP_SIGNALS_TIMEOUT_S * 1000 / KLP_RETRY_MS)

/* Start-to-completion time of the last transition (benches and self-tests
 * read it; each patch's is in its sysfs transition_us, Linux logs none). */
u64 klp_last_transition_us;
struct klp_patch *klp_transition_patch;
static int klp_target_state = KLP_UNDEFINED;
static unsigned int klp_signals_cnt;

/* The worker and its pokes. klp_kick is set from switch points (any
 * context), the tick turns it into a wake-up of the worker. */
static struct task *klp_worker;
static DECLARE_WAIT_QUEUE_HEAD(klp_worker_wq);
static volatile bool klp_work_pending;
static volatile bool klp_kick;
static volatile u64 klp_next_retry; /* jiffies */
/* The tick's wake-up was the retry timer, not a switch point's kick: only
 * those count toward signalling, so it keeps to time. */
static volatile bool klp_timer_round;

static void klp_worker_start(void);

static unsigned long klp_stack_entries[MAX_CPUS][MAX_STACK_ENTRIES];

static const char *klp_state_word(int state)
{
	return state == KLP_PATCHED ? "patching" : "unpatching";
}

/* Every CPU has passed a point where no livepatch handler, and no switch
 * point (klp_update_patch_state, klp_sched_try_switch), can be running with
 * a stale view: a grace period, since all of them run with preemption or
 * interrupts off (RCU readers). The full fences on both sides of the wait
 * order the caller's writes (TIF flags, func->transition, the target state,
 * unlinked stack entries) before every later reader and pair with the
 * handler's smp_rmb()s in patch.c. */
void klp_synchronize_transition(void)
{
	synchronize_rcu();
}

/* A task's switch to the target state: TIF_PATCH_PENDING cleared and
 * patch_state set as one step with respect to the transition code and to
 * the handler. Every caller holds the task still: current with interrupts
 * off (or preemption off, so the step is an RCU read section that
 * klp_reverse_transition()'s and klp_complete_transition()'s
 * klp_synchronize_transition() waits for), any other task under
 * task_call_func() or with every task's flags under tasklist_lock.
 *
 * Barrier pairs (Linux's klp_update_patch_state/klp_init_transition/
 * klp_complete_transition): the caller read TIF_PATCH_PENDING set, then
 * klp_target_state; that read order (the atomic test-and-clear in
 * klp_update_patch_state, the smp_rmb() in klp_sched_try_switch) pairs with
 * the smp_wmb() that orders klp_target_state before the flag writes in
 * klp_init_transition()/klp_reverse_transition(). The flag is cleared before
 * the state is stored; the worker reads patch_state first and only counts a
 * task switched when patch_state is the target, so it never finishes on a
 * task whose flag is still set. */
static notrace void klp_switch_task_state(struct task *task)
{
	clear_tsk_thread_flag(task, TIF_PATCH_PENDING);
	WRITE_ONCE(task->patch_state, READ_ONCE(klp_target_state));
}

/* Switch a task (current, or one that cannot run) if it is pending. The
 * test-and-clear is the read barrier of the pair described above. */
notrace void klp_update_patch_state(struct task *task)
{
	preempt_disable();
	if (__atomic_fetch_and(&task->thread_flags, ~(1UL << TIF_PATCH_PENDING), __ATOMIC_SEQ_CST) &
	    (1UL << TIF_PATCH_PENDING)) {
		WRITE_ONCE(task->patch_state, READ_ONCE(klp_target_state));
		klp_kick = true;
	}
	preempt_enable_no_resched();
}

/* Is any function this transition changes on the saved stack? */
static int klp_check_stack_func(struct klp_func *func, unsigned long *entries, unsigned int nr)
{
	unsigned long addr, size;

	if (klp_target_state == KLP_UNPATCHED) {
		/* Unpatching: the new function must be off the stack. */
		addr = (unsigned long)func->new_func;
		size = func->new_size;
	} else {
		/* Patching: the implementation being replaced must be: the
		 * original when func is alone on its stack, else the entry
		 * below it. */
		struct klp_ops *ops = klp_find_ops(func->old_func);
		struct klp_func *prev = ops ? klp_ops_next(ops, func) : NULL;
		if (!prev) {
			addr = (unsigned long)func->old_func;
			size = func->old_size;
		} else {
			addr = (unsigned long)prev->new_func;
			size = prev->new_size;
		}
	}
	for (unsigned int i = 0; i < nr; i++)
		if (entries[i] >= addr && entries[i] < addr + size)
			return -EADDRINUSE;
	return 0;
}

static int klp_check_stack(struct task *task, const char **oldname)
{
	unsigned long *entries = klp_stack_entries[this_cpu()->cpu_id];
	struct klp_object *obj;
	struct klp_func *func;
	int nr = stack_trace_save_tsk_reliable(task, entries, MAX_STACK_ENTRIES);
	if (nr == -EBUSY || nr == -ESRCH)
		return nr;
	if (nr < 0)
		return -EINVAL;
	klp_for_each_object(klp_transition_patch, obj) {
		if (!obj->patched)
			continue;
		klp_for_each_func(obj, func)
			if (klp_check_stack_func(func, entries, nr)) {
				*oldname = func->old_name;
				return -EADDRINUSE;
			}
	}
	return 0;
}

static u64 klp_task_switches(struct task *task)
{
	return READ_ONCE(task->nvcsw) + READ_ONCE(task->nivcsw);
}

struct klp_switch_arg {
	u64 switches; /* the task's context-switch count when its stack was read */
};

/* Runs under task_call_func(): the task cannot run. It is switched only if
 * it has not run since its stack was checked. */
static int klp_switch_if_unchanged(struct task *task, void *data)
{
	struct klp_switch_arg *arg = data;
	if (klp_task_switches(task) != arg->switches)
		return -EAGAIN;
	klp_switch_task_state(task);
	return 0;
}

/* The unwinder keeps a switched-out task off the CPU during its own walk
 * (it takes the runqueue lock itself), so the check and the switch are two
 * steps here; the context-switch count proves the task stayed asleep
 * between them. */
static int klp_check_and_switch_task(struct task *task, const char **oldname)
{
	struct klp_switch_arg arg;
	int ret;

	if (task == current) {
		/* Interrupts are off (both callers): the check and the
		 * switch are one step for this CPU. */
		ret = klp_check_stack(task, oldname);
		if (ret)
			return ret;
		klp_switch_task_state(task);
		return 0;
	}
	if (task_curr(task))
		return -EBUSY;
	arg.switches = klp_task_switches(task);
	ret = klp_check_stack(task, oldname);
	if (ret)
		return ret;
	ret = task_call_func(task, klp_switch_if_unchanged, &arg);
	return ret == -EAGAIN ? -EBUSY : ret;
}

/* The retry diagnostics name each task once per transition: at 2 ms a
 * stalled transition would otherwise fill the log in seconds. Tasks past
 * the table, and every repeat, are counted for the summary. */
#define KLP_NAMED_MAX 32
static int klp_named_pids[KLP_NAMED_MAX];
static unsigned int klp_nr_named;
static unsigned int klp_diag_repeats;

/* True the first time this transition asks about task. */
static bool klp_diag_first(struct task *task)
{
	for (unsigned int i = 0; i < klp_nr_named; i++)
		if (klp_named_pids[i] == task->pid) {
			klp_diag_repeats++;
			return false;
		}
	if (klp_nr_named == KLP_NAMED_MAX) {
		klp_diag_repeats++;
		return false;
	}
	klp_named_pids[klp_nr_named++] = task->pid;
	return true;
}

/* Try to switch one task; true when it is (now) in the target state.
 * task == NULL: the summary of the transition that ends, then a clean
 * slate. It is printed here so that the same site switch
 * ("func klp_try_switch_task") governs it and the lines it summarises. */
static bool klp_try_switch_task(struct task *task)
{
	const char *old_name = NULL;
	int ret;

	if (!task) {
		if (klp_diag_repeats)
			pr_debug("%s: repeated diagnostics of %u task%s not logged (%u)\n", __func__,
				 klp_nr_named, klp_nr_named == 1 ? "" : "s", klp_diag_repeats);
		klp_nr_named = 0;
		klp_diag_repeats = 0;
		return true;
	}
	if (task->patch_state == klp_target_state)
		return klp_timeline_check(task, KLP_TL_FOUND_SWITCHED, NULL), true;
	if (task == current) {
		unsigned long flags = arch_irq_save();
		ret = klp_check_and_switch_task(task, &old_name);
		arch_irq_restore(flags);
	} else {
		ret = klp_check_and_switch_task(task, &old_name);
	}
	klp_timeline_check(task, ret, old_name);
	if (ret == -ESRCH) { /* exited: it will never run patched code again */
		klp_switch_task_state(task); /* tasklist_lock held, irqs off */
		return true;
	}
	if (!ret || !klp_diag_first(task))
		return !ret;
	switch (ret) {
	case -EBUSY:
		pr_debug("%s: %s:%d is running\n", __func__, task->comm, task->pid);
		break;
	case -EINVAL:
		pr_debug("%s: %s:%d has an unreliable stack\n", __func__, task->comm, task->pid);
		break;
	case -EADDRINUSE:
		pr_debug("%s: %s:%d is sleeping on function %s\n", __func__, task->comm, task->pid,
			 old_name);
		break;
	default:
		pr_debug("%s: Unknown error code (%d) when trying to switch %s:%d\n", __func__, ret,
			 task->comm, task->pid);
		break;
	}
	return !ret;
}

/* schedule()/cond_resched() of a pending task: its own stack is checked
 * here, with no lock but interrupts off (klp_mutex cannot be taken in the
 * scheduler); the transition cannot go away meanwhile because completing
 * it first requires this task's flag to be clear. */
void klp_sched_try_switch(void)
{
	struct task *cur = current;
	unsigned long flags = arch_irq_save();
	const char *old_name;
	bool pending = test_tsk_thread_flag(cur, TIF_PATCH_PENDING);
	/* The flag before klp_transition_patch and klp_target_state: pairs
	 * with the smp_wmb() in klp_init_transition()/klp_reverse_transition(). */
	smp_rmb();
	if (pending && READ_ONCE(klp_transition_patch) && !klp_check_and_switch_task(cur, &old_name))
		klp_kick = true;
	arch_irq_restore(flags);
}

static void klp_send_signals(void)
{
	struct task *task;
	unsigned long flags;

	if (klp_signals_cnt == KLP_SIGNAL_ROUNDS)
		pr_notice("signaling remaining tasks\n");
	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task) {
		if (!test_tsk_thread_flag(task, TIF_PATCH_PENDING) || (task->flags & PF_IDLE))
			continue;
		if (!(task->flags & PF_KTHREAD))
			/* User tasks: a resume-work flag makes the way out
			 * of the kernel pass klp_update_patch_state(). */
			set_tsk_thread_flag(task, TIF_NOTIFY_RESUME);
		wake_up_state(task, TASK_INTERRUPTIBLE);
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
}

void klp_try_complete_transition(void)
{
	struct klp_patch *patch;
	struct task *task;
	unsigned long flags;
	bool complete = true;

	WARN_ON(klp_target_state == KLP_UNDEFINED);

	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		if (!klp_try_switch_task(task))
			complete = false;
	spin_unlock_irqrestore(&tasklist_lock, flags);

	if (!complete) {
		if (klp_timer_round) {
			klp_timer_round = false;
			if (++klp_signals_cnt % KLP_SIGNAL_ROUNDS == 0)
				klp_send_signals();
		}
		klp_next_retry = jiffies + msecs_to_jiffies(KLP_RETRY_MS);
		return;
	}

	patch = klp_transition_patch;
	klp_complete_transition();
	if (!patch->enabled)
		klp_free_patch_now(patch);
	else if (patch->replace)
		klp_free_replaced_patches(patch);
	klp_fast_path_update();
}

/* Linux's order: unpatch replaced patches and discard nops; unpatch a
 * disabled patch and synchronise; clear the transition flags; synchronise;
 * reset task states; post callbacks; log. */
void klp_complete_transition(void)
{
	struct klp_patch *patch = klp_transition_patch;
	struct klp_object *obj;
	struct klp_func *func;
	struct task *task;
	unsigned long flags;
	u64 us = (ktime_get_ns() - patch->start_ns) / 1000;
	WRITE_ONCE(klp_last_transition_us, us);
	WRITE_ONCE(patch->transition_us, us);

	klp_try_switch_task(NULL);
	pr_debug("'%s': completing %s transition\n", klp_patch_name(patch),
		 klp_state_word(klp_target_state));

	if (patch->replace && klp_target_state == KLP_PATCHED) {
		klp_unpatch_replaced_patches(patch);
		klp_discard_nops(patch);
	}
	if (klp_target_state == KLP_UNPATCHED) {
		/* Every task is off the new code: remove it, then make sure
		 * no handler still sees the removed entries. */
		klp_unpatch_objects(patch);
		klp_synchronize_transition();
	}

	klp_for_each_object(patch, obj)
		klp_for_each_func(obj, func)
			WRITE_ONCE(func->transition, false);

	/* Patching: the handler must not see transition == false while a
	 * task can still have a stale patch_state; synchronise before the
	 * states go back to -1. */
	if (klp_target_state == KLP_PATCHED)
		klp_synchronize_transition();

	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task) {
		WARN_ON(test_tsk_thread_flag(task, TIF_PATCH_PENDING));
		task->patch_state = KLP_UNDEFINED;
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);

	klp_for_each_object(patch, obj) {
		if (!klp_is_object_loaded(obj))
			continue;
		if (klp_target_state == KLP_PATCHED)
			klp_post_patch_callback(obj);
		else if (klp_target_state == KLP_UNPATCHED)
			klp_post_unpatch_callback(obj);
	}

	pr_notice("'%s': %s complete\n", klp_patch_name(patch), klp_state_word(klp_target_state));
	klp_timeline_complete(patch, klp_target_state);

	klp_target_state = KLP_UNDEFINED;
	WRITE_ONCE(klp_transition_patch, NULL);
}

/* Called only before klp_start_transition(), on an enable error. */
void klp_cancel_transition(void)
{
	if (WARN_ON(klp_target_state != KLP_PATCHED))
		return;
	pr_debug("'%s': canceling patching transition, going to unpatch\n",
		 klp_patch_name(klp_transition_patch));
	klp_target_state = KLP_UNPATCHED;
	klp_complete_transition();
	klp_fast_path_update();
}

void klp_init_transition(struct klp_patch *patch, int state)
{
	struct task *task;
	struct klp_object *obj;
	struct klp_func *func;
	unsigned long flags;
	int initial_state = !state;

	WARN_ON(klp_target_state != KLP_UNDEFINED);
	pr_debug("'%s': initializing %s transition\n", klp_patch_name(patch), klp_state_word(state));

	klp_fast_path_clear(patch);
	WRITE_ONCE(klp_transition_patch, patch);
	klp_target_state = state;
	/* restarted by klp_start_transition; a cancelled enable (a failing
	 * pre_patch) never starts, and its "took" counts from here */
	patch->start_ns = ktime_get_ns();

	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task) {
		WARN_ON(task->patch_state != KLP_UNDEFINED);
		task->patch_state = initial_state;
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);

	/* patch_state before func->transition: pairs with the handler's
	 * second smp_rmb(), so a func in transition never meets an
	 * undefined task state. Also orders klp_target_state before the
	 * TIF_PATCH_PENDING writes of klp_start_transition(), pairing with
	 * the test-and-clear in klp_update_patch_state(). */
	smp_wmb();

	klp_for_each_object(patch, obj)
		klp_for_each_func(obj, func)
			WRITE_ONCE(func->transition, true);
}

void klp_reverse_transition(void)
{
	struct task *task;
	unsigned long flags;

	klp_try_switch_task(NULL);
	pr_debug("'%s': reversing transition from %s\n", klp_patch_name(klp_transition_patch),
		 klp_target_state == KLP_PATCHED ? "patching to unpatching" : "unpatching to patching");

	/* No switch point may act on the old target while it flips: with
	 * every flag clear, the grace period waits out any switch point
	 * (interrupts or preemption off) that saw a flag set and may still
	 * store the old target (Linux's klp_reverse_transition order). */
	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		clear_tsk_thread_flag(task, TIF_PATCH_PENDING);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	klp_synchronize_transition();

	klp_transition_patch->enabled = !klp_transition_patch->enabled;
	klp_target_state = !klp_target_state;
	/* The new target before the new TIF flags: pairs with the
	 * test-and-clear in klp_update_patch_state(). */
	smp_wmb();
	klp_start_transition();
}

void klp_start_transition(void)
{
	struct task *task;
	unsigned long flags;

	WARN_ON(klp_target_state == KLP_UNDEFINED);
	klp_worker_start();
	pr_notice("'%s': starting %s transition\n", klp_patch_name(klp_transition_patch),
		  klp_state_word(klp_target_state));
	klp_transition_patch->start_ns = ktime_get_ns();

	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		if (task->patch_state != klp_target_state)
			set_tsk_thread_flag(task, TIF_PATCH_PENDING);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	klp_timeline_start(klp_transition_patch, klp_target_state);
	klp_signals_cnt = 0;
	klp_timer_round = false;
	klp_next_retry = jiffies + msecs_to_jiffies(KLP_RETRY_MS);
}

/* Unsafe: switch every task, running or not. */
void klp_force_transition(void)
{
	struct klp_patch *patch;
	struct task *task;
	unsigned long flags;

	pr_warn("forcing remaining tasks to the patched state\n");
	klp_timeline_force();
	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		klp_update_patch_state(task);
	spin_unlock_irqrestore(&tasklist_lock, flags);

	/* The consistency model was skipped: the affected code may still run,
	 * so those modules can never be unloaded. */
	if (klp_target_state == KLP_UNPATCHED)
		klp_transition_patch->forced = true;
	else if (klp_transition_patch->replace)
		klp_for_each_patch(patch)
			if (patch != klp_transition_patch)
				patch->forced = true;
}

/* ---- the worker, poked from the tick ---- */

static int klp_transition_worker(void *unused)
{
	(void)unused;
	while (!kthread_should_stop()) {
		wait_event_interruptible(klp_worker_wq, klp_work_pending || kthread_should_stop());
		klp_work_pending = false;
		mutex_lock(&klp_mutex);
		if (klp_transition_patch)
			klp_try_complete_transition();
		mutex_unlock(&klp_mutex);
	}
	return 0;
}

static void klp_tick(void)
{
	if (!READ_ONCE(klp_transition_patch) || !klp_worker)
		return;
	if (klp_kick || jiffies >= klp_next_retry) {
		if (jiffies >= klp_next_retry)
			klp_timer_round = true;
		klp_kick = false;
		klp_next_retry = jiffies + msecs_to_jiffies(KLP_RETRY_MS);
		klp_work_pending = true;
		wake_up_state(klp_worker, TASK_INTERRUPTIBLE);
	}
}

/* The worker is created with the first transition, not at boot: pid 1
 * stays the shell's, and a kernel that never patches has no extra thread.
 * Without it (no memory) stragglers still switch on their own, and the
 * next transition tries again. */
static void klp_worker_start(void)
{
	if (klp_worker)
		return;
	klp_worker = kthread_create(klp_transition_worker, NULL, "klp_transition");
	if (!klp_worker)
		return;
	/* More urgent than ordinary tasks: when the last straggler switches
	 * itself, the tick's wake-up runs the completion at once instead of
	 * after every CPU-bound task's time slice. */
	sched_set_prio(klp_worker, SCHED_PRIO_DEFAULT - 5);
	kthread_wake(klp_worker);
	if (timer_tick_register(klp_tick)) {
		kthread_stop(klp_worker);
		klp_worker = NULL;
	}
}
