/* The per-task consistency model: every task moves from the old patch state
 * to the target one on its own, at a point where it is provably not running
 * any function the transition changes (on the way back to user mode, in
 * schedule()/cond_resched() or do_exit() after checking its own stack, in
 * the idle loop, or by a reliable stack check while it is switched out).
 *
 * Unlike Linux, which retries stragglers once a second, Kelp retries when
 * something happens (a pending task switched itself: it went to sleep, hit
 * cond_resched, returned to user mode, or the idle loop ran) and on a
 * short timer, from a dedicated worker thread. Signalling keeps Linux's
 * rule in time: interruptible sleepers are woken (and "signaling remaining
 * tasks" logged) after SIGNALS_TIMEOUT seconds of timer retries, then
 * again every SIGNALS_TIMEOUT seconds.
 *
 * What a pass costs: the tasks still pending are kept in an array (with a
 * reference each), collected in the marking pass, so a retry looks only at
 * them, with interrupts on. A task whose check failed is not walked again
 * until it has run (its context-switch count moved): a switched-out stack
 * cannot change. The functions a stack must not hold are collected once per
 * transition into sorted [start, end) ranges, searched per return address.
 * When few tasks are left, each one switching itself wakes the worker at
 * once instead of at the next tick. */
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
#include <kelp/mm.h>

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
static void klp_worker_wake(void);

static unsigned long klp_stack_entries[MAX_CPUS][MAX_STACK_ENTRIES];

/* Tasks pending when the transition started, less those that switched
 * since (any path that clears a flag by switching counts it down). New
 * children of pending tasks are not counted, so it may run low: it only
 * decides when a switch point wakes the worker itself. */
static int klp_nr_pending;
/* Below this many pending tasks a task switching itself wakes the worker
 * right away: the last stragglers (user tasks preempted in a system call
 * switch on their way back to user mode) then finish the transition in
 * microseconds, not one tick each. Above it the tick batches the wake-ups. */
#define KLP_WAKE_DIRECT 32

/* The pending tasks of this transition, each with a reference, and what
 * their last check found: a switched-out task whose switch count has not
 * moved has the same stack, so the same verdict. Written under klp_mutex. */
struct klp_pend {
	struct task *task;
	u64 switches; /* context switches when its stack was last checked */
	int verdict;  /* that check's result; 0: not checked yet */
};
static struct klp_pend *klp_pend;
static unsigned int klp_nr_pend;
static bool klp_pend_valid; /* else (no memory): a pass over every task */

/* The code a stack must not hold during this transition, sorted by start:
 * per function, the replaced implementation when patching, the new one
 * when unpatching. Published with rcu_assign_pointer: klp_sched_try_switch
 * reads it without klp_mutex, with interrupts off. NULL: look the
 * functions up one by one (no memory, or no transition). */
struct klp_range {
	unsigned long start, end;
	struct klp_func *func;
};
struct klp_ranges {
	unsigned int nr;
	struct klp_range r[];
};
static struct klp_ranges *klp_ranges;

/* Both are optional: without them a pass walks every task under
 * tasklist_lock and a stack check looks each function up (Linux's way). */
#ifdef CONFIG_KTEST
bool klp_test_no_memory; /* the lp_transition self-tests take that way */
#define klp_alloc(size) (READ_ONCE(klp_test_no_memory) ? NULL : kmalloc_optional(size))
#else
#define klp_alloc(size) kmalloc_optional(size)
#endif

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
	__atomic_fetch_sub(&klp_nr_pending, 1, __ATOMIC_RELAXED);
}

/* A task switched itself: tell the worker, at once when few are left. */
static notrace void klp_self_switched(void)
{
	if (__atomic_load_n(&klp_nr_pending, __ATOMIC_RELAXED) < KLP_WAKE_DIRECT)
		klp_worker_wake();
	else
		klp_kick = true;
}

/* Switch a task (current, or one that cannot run) if it is pending. The
 * test-and-clear is the read barrier of the pair described above. */
notrace void klp_update_patch_state(struct task *task)
{
	preempt_disable();
	if (__atomic_fetch_and(&task->thread_flags, ~(1UL << TIF_PATCH_PENDING), __ATOMIC_SEQ_CST) &
	    (1UL << TIF_PATCH_PENDING)) {
		WRITE_ONCE(task->patch_state, READ_ONCE(klp_target_state));
		__atomic_fetch_sub(&klp_nr_pending, 1, __ATOMIC_RELAXED);
		klp_self_switched();
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

/* The range holding addr, or NULL. */
static const struct klp_range *klp_range_find(const struct klp_ranges *rs, unsigned long addr)
{
	unsigned int lo = 0, hi = rs->nr;
	while (lo < hi) { /* the first range starting above addr */
		unsigned int mid = lo + (hi - lo) / 2;
		if (rs->r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Functions do not overlap: only the one before can hold addr. */
	return lo && addr < rs->r[lo - 1].end ? &rs->r[lo - 1] : NULL;
}

/* The range a func contributes (see klp_check_stack_func). */
static void klp_func_range(struct klp_func *func, unsigned long *addr, unsigned long *size)
{
	if (klp_target_state == KLP_UNPATCHED) {
		*addr = (unsigned long)func->new_func;
		*size = func->new_size;
	} else {
		struct klp_ops *ops = klp_find_ops(func->old_func);
		struct klp_func *prev = ops ? klp_ops_next(ops, func) : NULL;
		*addr = prev ? (unsigned long)prev->new_func : (unsigned long)func->old_func;
		*size = prev ? prev->new_size : func->old_size;
	}
}

/* Collect this transition's ranges, again whenever an object is patched
 * during it (a module coming). klp_mutex held; may sleep. */
void klp_transition_ranges_update(void)
{
	struct klp_ranges *old = klp_ranges, *rs = NULL;
	struct klp_object *obj;
	struct klp_func *func;
	unsigned int n = 0;

	if (klp_transition_patch && klp_target_state != KLP_UNDEFINED) {
		klp_for_each_object(klp_transition_patch, obj)
			klp_for_each_func(obj, func)
				n++;
		rs = klp_alloc(sizeof(*rs) + n * sizeof(rs->r[0]));
	}
	if (rs) {
		rs->nr = 0;
		klp_for_each_object(klp_transition_patch, obj) {
			if (!obj->patched)
				continue;
			klp_for_each_func(obj, func) {
				unsigned long addr, size;
				klp_func_range(func, &addr, &size);
				if (!size)
					continue;
				unsigned int j = rs->nr++;
				for (; j && rs->r[j - 1].start > addr; j--)
					rs->r[j] = rs->r[j - 1];
				rs->r[j] = (struct klp_range){ addr, addr + size, func };
			}
		}
	}
	rcu_assign_pointer(klp_ranges, rs);
	if (old) {
		/* klp_sched_try_switch may still be searching it. */
		klp_synchronize_transition();
		kfree(old);
	}
}

void klp_transition_object_patched(void)
{
	if (klp_ranges)
		klp_transition_ranges_update();
}

static int klp_check_stack(struct task *task, const char **oldname)
{
	unsigned long *entries = klp_stack_entries[this_cpu()->cpu_id];
	const struct klp_ranges *rs;
	struct klp_object *obj;
	struct klp_func *func;
	int nr = stack_trace_save_tsk_reliable_held(task, entries, MAX_STACK_ENTRIES);
	if (nr == -EBUSY || nr == -ESRCH)
		return nr;
	if (nr < 0)
		return -EINVAL;
	rs = rcu_dereference(klp_ranges);
	if (rs) {
		for (int i = 0; i < nr; i++) {
			const struct klp_range *r = klp_range_find(rs, entries[i]);
			if (r) {
				*oldname = r->func->old_name;
				return -EADDRINUSE;
			}
		}
		return 0;
	}
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

struct klp_check_arg {
	const char **oldname;
	u64 switches; /* the task's context-switch count when its stack was read */
};

/* Runs under task_call_func(): the task cannot run, so its stack check and
 * its switch are one step. */
static int klp_check_and_switch_held(struct task *task, void *data)
{
	struct klp_check_arg *arg = data;
	arg->switches = klp_task_switches(task);
	int ret = klp_check_stack(task, arg->oldname);
	if (!ret)
		klp_switch_task_state(task);
	return ret;
}

/* *switches: the task's switch count when its stack was read (callers
 * cache a failed verdict until it moves). */
static int klp_check_and_switch_task(struct task *task, const char **oldname, u64 *switches)
{
	struct klp_check_arg arg = { oldname, 0 };
	int ret;

	if (task == current) {
		/* Interrupts are off (both callers): the check and the
		 * switch are one step for this CPU. */
		*switches = klp_task_switches(task);
		ret = klp_check_stack(task, oldname);
		if (ret)
			return ret;
		klp_switch_task_state(task);
		return 0;
	}
	if (task_curr(task))
		return -EBUSY;
	ret = task_call_func(task, klp_check_and_switch_held, &arg);
	*switches = arg.switches;
	return ret;
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
 * ("func klp_try_switch_task") governs it and the lines it summarises.
 * pend, when given, receives the verdict and the switch count it holds
 * for. */
static bool klp_try_switch_task(struct task *task, struct klp_pend *pend)
{
	const char *old_name = NULL;
	u64 switches = 0;
	int ret;

	if (!task) {
		if (klp_diag_repeats)
			pr_debug("%s: repeated diagnostics of %u task%s not logged (%u)\n", __func__,
				 klp_nr_named, klp_nr_named == 1 ? "" : "s", klp_diag_repeats);
		klp_nr_named = 0;
		klp_diag_repeats = 0;
		return true;
	}
	if (READ_ONCE(task->patch_state) == klp_target_state)
		return klp_timeline_check(task, KLP_TL_FOUND_SWITCHED, NULL), true;
	if (task == current) {
		unsigned long flags = arch_irq_save();
		ret = klp_check_and_switch_task(task, &old_name, &switches);
		arch_irq_restore(flags);
	} else {
		ret = klp_check_and_switch_task(task, &old_name, &switches);
	}
	klp_timeline_check(task, ret, old_name);
	if (ret == -ESRCH) {
		/* Exited: it will never run patched code again. Its struct is
		 * held (tasklist_lock, or the pending array's reference). */
		klp_switch_task_state(task);
		return true;
	}
	if (pend) {
		pend->verdict = ret;
		pend->switches = switches;
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
	u64 switches;
	if (pending && READ_ONCE(klp_transition_patch) &&
	    !klp_check_and_switch_task(cur, &old_name, &switches))
		klp_self_switched();
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

/* Drop the pending array and its references. klp_mutex held. */
static void klp_pend_drop(void)
{
	for (unsigned int i = 0; i < klp_nr_pend; i++)
		put_task_struct(klp_pend[i].task);
	kfree(klp_pend);
	klp_pend = NULL;
	klp_nr_pend = 0;
	klp_pend_valid = false;
}

/* A pending array of up to cap tasks, before tasklist_lock is taken. */
static struct klp_pend *klp_pend_alloc(unsigned int *cap)
{
	*cap = (unsigned int)nr_tasks() + 16;
	return klp_alloc(*cap * sizeof(struct klp_pend));
}

/* Under tasklist_lock: add a pending task to the array being filled; false
 * when it is full (then every reference taken is dropped by the caller). */
static bool klp_pend_add(struct klp_pend *a, unsigned int cap, unsigned int *n, struct task *task)
{
	if (!a || *n == cap)
		return false;
	get_task_struct(task);
	a[(*n)++] = (struct klp_pend){ task, 0, 0 };
	return true;
}

/* Install a filled array, or fall back to passes over every task. */
static void klp_pend_install(struct klp_pend *a, unsigned int n, bool ok)
{
	klp_pend_drop();
	if (!ok) {
		for (unsigned int i = 0; i < n; i++)
			put_task_struct(a[i].task);
		kfree(a);
		return;
	}
	klp_pend = a;
	klp_nr_pend = n;
	klp_pend_valid = true;
}

/* Every task still pending, into a new array (children of pending tasks
 * created since the marking pass inherit the flag and are not in the old
 * one). Usually there is none: that is found without allocating. */
static void klp_pend_collect(void)
{
	unsigned int cap, n = 0;
	struct task *task;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		n += test_tsk_thread_flag(task, TIF_PATCH_PENDING);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	if (!n) {
		klp_pend_install(NULL, 0, true);
		return;
	}
	n = 0;
	struct klp_pend *a = klp_pend_alloc(&cap);
	bool ok = a;
	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		if (ok && test_tsk_thread_flag(task, TIF_PATCH_PENDING))
			ok = klp_pend_add(a, cap, &n, task);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	klp_pend_install(a, n, ok);
}

/* One retry over the pending array; true when it emptied. Preemption is
 * off, interrupts on: the pass is not overtaken by the tasks it waits for
 * (as Linux's pass under tasklist_lock), and each task is held only for
 * its own check. A task that failed its last check and has not run since
 * is skipped: its stack is the one already found blocking. */
static bool klp_pend_round(void)
{
	unsigned int w = 0;
	preempt_disable();
	for (unsigned int i = 0; i < klp_nr_pend; i++) {
		struct klp_pend *p = &klp_pend[i];
		struct task *task = p->task;
		bool keep;
		if (!test_tsk_thread_flag(task, TIF_PATCH_PENDING) &&
		    READ_ONCE(task->patch_state) == klp_target_state) {
			/* switched itself, or was forced: the timeline says which */
			klp_timeline_check(task, KLP_TL_FOUND_SWITCHED, NULL);
			keep = false;
		} else if (p->verdict && p->verdict != -EBUSY && !task_curr(task) &&
			 klp_task_switches(task) == p->switches)
			keep = true;
		else
			keep = !klp_try_switch_task(task, p);
		if (keep)
			klp_pend[w++] = *p;
		else
			put_task_struct(task);
	}
	klp_nr_pend = w;
	preempt_enable();
	return !w;
}

/* Without memory for the array: Linux's pass over every task. */
static bool klp_pass_all(void)
{
	struct task *task;
	bool complete = true;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		if (!klp_try_switch_task(task, NULL))
			complete = false;
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return complete;
}

void klp_try_complete_transition(void)
{
	struct klp_patch *patch;
	bool complete;

	WARN_ON(klp_target_state == KLP_UNDEFINED);

	if (!klp_pend_valid) {
		complete = klp_pass_all();
	} else {
		complete = klp_pend_round();
		if (complete) {
			/* Newcomers: whatever is still flagged, once more. */
			klp_pend_collect();
			complete = klp_pend_valid ? klp_pend_round() : klp_pass_all();
		}
	}

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

	klp_pend_drop();
	klp_try_switch_task(NULL, NULL);
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
	/* Every flag is clear and a grace period has passed since (above):
	 * no stack check still searches the ranges. */
	kfree(klp_ranges);
	klp_ranges = NULL;
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

	klp_try_switch_task(NULL, NULL);
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
	unsigned int cap, n = 0;
	int nr = 0;

	WARN_ON(klp_target_state == KLP_UNDEFINED);
	klp_worker_start();
	/* Before any flag is set: a switch point then finds the ranges. */
	klp_transition_ranges_update();
	struct klp_pend *a = klp_pend_alloc(&cap);
	bool ok = a;
	pr_notice("'%s': starting %s transition\n", klp_patch_name(klp_transition_patch),
		  klp_state_word(klp_target_state));
	klp_transition_patch->start_ns = ktime_get_ns();

	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
		nr += task->patch_state != klp_target_state;
	__atomic_store_n(&klp_nr_pending, nr, __ATOMIC_RELAXED);
	for_each_task(task)
		if (task->patch_state != klp_target_state) {
			if (ok)
				ok = klp_pend_add(a, cap, &n, task);
			set_tsk_thread_flag(task, TIF_PATCH_PENDING);
		}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	klp_pend_install(a, n, ok);
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

/* From a switch point (interrupts or preemption off, any task). */
static notrace void klp_worker_wake(void)
{
	struct task *worker = READ_ONCE(klp_worker);
	if (!worker)
		return;
	klp_work_pending = true;
	wake_up_state(worker, TASK_INTERRUPTIBLE);
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
