/* The scheduler core: per-CPU runqueues (a FIFO per priority and a bitmap of
 * the non-empty ones), schedule() and the context switch, preemption from
 * the tick and on the way out of interrupts, wake-ups, the idle loop, the
 * global task list and task_call_func(). */
#define pr_fmt(fmt) "sched: " fmt
#include <kelp/sched.h>
#include <kelp/mutex.h>
#include <kelp/ftrace.h>
#include <kelp/stacktrace.h>
#include <kelp/errno.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/ksyms.h>
#include <kelp/time.h>
#include <kelp/mm.h>
#include <kelp/rcupdate.h>
#include <arch/cpu.h>
#include <arch/switch.h>
#include <arch/trap.h>

BUILD_BUG_ON(offsetof(struct task, ksp) != 0);
BUILD_BUG_ON(SCHED_PRIO_MAX > 64);

struct rq {
	spinlock_t lock;
	int cpu;
	struct task *curr; /* the task running on this CPU */
	u64 bitmap; /* bit p set <=> queue[p] is not empty */
	struct list_head queue[SCHED_PRIO_MAX];
	int nr_running;
	struct task *idle;
	u64 nr_switches;
};

static struct rq runqueues[MAX_CPUS];
static struct task idle_tasks[MAX_CPUS];
static bool sched_up;

spinlock_t tasklist_lock = SPINLOCK_INIT;
LIST_HEAD(task_list);
static int task_count;


static inline struct rq *this_rq(void)
{
	return &runqueues[this_cpu()->cpu_id];
}

static inline struct rq *task_rq(struct task *t)
{
	return &runqueues[t->cpu];
}

notrace bool sched_running(void)
{
	return READ_ONCE(sched_up);
}

static void enqueue_task(struct rq *rq, struct task *t)
{
	list_add_tail(&t->run_list, &rq->queue[t->prio]);
	rq->bitmap |= 1ULL << t->prio;
	rq->nr_running++;
	t->on_rq = 1;
}

static void dequeue_task(struct rq *rq, struct task *t)
{
	list_del_init(&t->run_list);
	if (list_empty(&rq->queue[t->prio]))
		rq->bitmap &= ~(1ULL << t->prio);
	rq->nr_running--;
	t->on_rq = 0;
}

/* The head of the most urgent non-empty queue: one bit scan, whatever the
 * number of runnable tasks. */
static struct task *pick_next_task(struct rq *rq)
{
	if (!rq->bitmap)
		return rq->idle;
	int prio = __builtin_ctzll(rq->bitmap);
	struct task *t = list_first_entry(&rq->queue[prio], struct task, run_list);
	dequeue_task(rq, t);
	return t;
}

/* Whether a runnable task should take the CPU from cur. */
static bool should_preempt(struct rq *rq, struct task *cur, int prio)
{
	return (cur->flags & PF_IDLE) || (rq->bitmap && prio < cur->prio);
}

static void account_exec(struct task *t, u64 now)
{
	if (t->exec_start && now > t->exec_start)
		t->sum_exec_ns += now - t->exec_start;
	t->exec_start = now;
}

/* Replaced by the user-mode layer to load next's address space (cr3). */
__weak void sched_switch_mm(struct task *prev, struct task *next)
{
	(void)prev;
	(void)next;
}

/* Runs in the new task's context right after the switch, with the rq lock
 * still held, interrupts off and preemption off (the count schedule() or
 * its callers took; the rq lock itself does not count, see __schedule).
 * A dead prev's stack is freed here: nothing can run on it any more. */
void finish_task_switch(struct task *prev)
{
	struct rq *rq = this_rq();
	struct percpu *pc = this_cpu();
	struct task *cur = pc->current_task;
	void *dead_stack = NULL;

	lockdep_switch_in(&rq->lock); /* taken by prev, released here */
	pc->preempt_count = cur->preempt_count;
	WRITE_ONCE(prev->on_cpu, 0);
	if (prev->state == TASK_DEAD) {
		dead_stack = prev->stack;
		prev->stack = NULL;
	}
	spin_unlock_preempt_off(&rq->lock);
	if (prev->state == TASK_DEAD) {
		kfree(dead_stack);
		put_task_struct(prev); /* the reference the task held on itself */
	}
}

static void context_switch(struct rq *rq, struct task *prev, struct task *next)
{
	struct percpu *pc = this_cpu();
	u64 now = ktime_get_ns();

	account_exec(prev, now);
	next->exec_start = now;
	prev->preempt_count = pc->preempt_count;
	/* Per-CPU state that belongs to the running task */
	prev->fault_catch = pc->fault_catch;
	pc->fault_catch = next->fault_catch;
	WRITE_ONCE(next->on_cpu, 1);
	next->cpu = pc->cpu_id;
	pc->current_task = next;
	rq->curr = next;
	if (next->stack_top && !(next->flags & PF_IDLE))
		arch_set_kernel_stack(next->stack_top);
	sched_switch_mm(prev, next);
	rq->nr_switches++;
	lockdep_switch_out(&rq->lock);
	prev = arch_switch_to(prev, next);
	finish_task_switch(prev);
}

/* preempt: prev is being preempted, not going to sleep, so it stays
 * runnable whatever its state (it may be between set_current_state() and
 * schedule(), and will call schedule() itself when it runs again).
 * Every caller holds preemption off, and interrupts are off from here to
 * the unlock, so the rq lock is taken without adding to the preempt count
 * (spin_lock_preempt_off): a switch saves and restores a count of 1. */
static void __schedule(bool preempt)
{
	struct rq *rq = this_rq();
	unsigned long flags = arch_irq_save();
	struct task *prev = current, *next;

	spin_lock_preempt_off(&rq->lock);
	clear_tsk_thread_flag(prev, TIF_NEED_RESCHED);
	if (!preempt && (prev->state & TASK_INTERRUPTIBLE) && signal_pending(prev))
		prev->state = TASK_RUNNING;
	if (!(prev->flags & PF_IDLE) && prev->state != TASK_DEAD &&
	    (preempt || prev->state == TASK_RUNNING))
		enqueue_task(rq, prev);
	if (preempt)
		prev->nivcsw++;
	else
		prev->nvcsw++;
	next = pick_next_task(rq);
	if (next->slice <= 0)
		next->slice = SCHED_SLICE_TICKS;
	if (next != prev)
		context_switch(rq, prev, next);
	else
		spin_unlock_preempt_off(&rq->lock);
	arch_irq_restore(flags);
}

void schedule(void)
{
	static bool warned;
	might_sleep();
	if (unlikely(preempt_count()) && !warned) {
		warned = true;
		printk(KERN_ERR "BUG: scheduling while atomic: %s/%d/%#x\n", current->comm,
		       current->pid, preempt_count());
		dump_stack();
	}
	/* Livepatch: a pending task going to sleep switches here when its
	 * own stack is clear of the functions being changed. */
	if (unlikely(test_tsk_thread_flag(current, TIF_PATCH_PENDING)))
		klp_sched_try_switch();
	preempt_disable();
	__schedule(false);
	preempt_enable_no_resched();
}

/* The last switch of an exiting task (state TASK_DEAD, preemption and
 * interrupts off): finish_task_switch in the next task frees its stack. */
__noreturn void sched_exit_schedule(void)
{
	__schedule(false);
	panic("dead task %d ran again", current->pid);
}

void preempt_schedule(void)
{
	if (preempt_count() || !arch_irqs_enabled() || !sched_running())
		return;
	do {
		preempt_disable();
		__schedule(true);
		preempt_enable_no_resched();
	} while (need_resched());
}

/* From the interrupt exit path: interrupts are off and stay off. */
static void preempt_schedule_irq(void)
{
	do {
		preempt_disable();
		__schedule(true);
		preempt_enable_no_resched();
	} while (need_resched());
}

void yield(void)
{
	set_current_state(TASK_RUNNING);
	schedule();
}

void cond_resched(void)
{
	if (unlikely(test_tsk_thread_flag(current, TIF_PATCH_PENDING)))
		klp_sched_try_switch();
	if (need_resched() && !preempt_count() && arch_irqs_enabled())
		preempt_schedule();
}

bool wake_up_state(struct task *t, unsigned int mask)
{
	struct rq *rq = task_rq(t);
	bool woken = false;
	unsigned long flags = spin_lock_irqsave(&rq->lock);

	if (READ_ONCE(t->state) & mask) {
		WRITE_ONCE(t->state, TASK_RUNNING);
		woken = true;
		/* Still on the CPU (it has not reached schedule() yet) or
		 * preempted and queued: the state change is enough. */
		if (!t->on_rq && !t->on_cpu) {
			enqueue_task(rq, t);
			struct task *cur = rq == this_rq() ? current : NULL;
			if (cur && should_preempt(rq, cur, t->prio))
				set_tsk_thread_flag(cur, TIF_NEED_RESCHED);
		}
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	sched_preempt_check();
	return woken;
}

/* After waking something more urgent: switch now if this context may. */
void sched_preempt_check(void)
{
	if (unlikely(need_resched()) && !preempt_count() && arch_irqs_enabled() && sched_running())
		preempt_schedule();
}

bool wake_up_process(struct task *t)
{
	return wake_up_state(t, TASK_NORMAL);
}

void sched_set_prio(struct task *t, int prio)
{
	if (prio < 0)
		prio = 0;
	if (prio >= SCHED_PRIO_MAX)
		prio = SCHED_PRIO_MAX - 1;
	WRITE_ONCE(t->normal_prio, prio);
	mutex_pi_update(t);
}

void sched_pi_set_prio(struct task *t, int prio)
{
	struct rq *rq = task_rq(t);
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	if (t->on_rq) {
		dequeue_task(rq, t);
		t->prio = prio;
		enqueue_task(rq, t);
	} else {
		t->prio = prio;
	}
	if (rq == this_rq() && should_preempt(rq, current, rq->bitmap ? __builtin_ctzll(rq->bitmap) : SCHED_PRIO_MAX))
		set_tsk_thread_flag(current, TIF_NEED_RESCHED);
	spin_unlock_irqrestore(&rq->lock, flags);
}

int sched_nr_running(void)
{
	return READ_ONCE(this_rq()->nr_running);
}

u64 sched_nr_switches(void)
{
	return READ_ONCE(this_rq()->nr_switches);
}

/* Grace periods count a CPU's context switches as quiescent states (no
 * reader spans one: readers run with preemption or interrupts off). The
 * count moves under the runqueue lock, whose release orders the switched-
 * out task's accesses before it. */
notrace u64 sched_cpu_nr_switches(int cpu)
{
	return READ_ONCE(runqueues[cpu].nr_switches);
}

/* The tick: time slices. In interrupt context, interrupts off. */
static void scheduler_tick(void)
{
	struct rq *rq = this_rq();
	struct task *cur = current;

	if (!cur)
		return;
	spin_lock(&rq->lock);
	if (cur->flags & PF_IDLE) {
		if (rq->bitmap)
			set_tsk_thread_flag(cur, TIF_NEED_RESCHED);
	} else if (--cur->slice <= 0) {
		cur->slice = SCHED_SLICE_TICKS;
		/* Round robin among equals; more urgent ones preempted at wake-up. */
		if (rq->bitmap && (int)__builtin_ctzll(rq->bitmap) <= cur->prio)
			set_tsk_thread_flag(cur, TIF_NEED_RESCHED);
	}
	spin_unlock(&rq->lock);
}

/* Set by the user-mode layer: delivers signals and other resume work. */
void (*exit_to_user_mode_hook)(struct trap_frame *tf);

void exit_to_user_mode_work(struct trap_frame *tf)
{
	struct task *t = current;
	while (need_resched())
		preempt_schedule_irq();
	if (test_tsk_thread_flag(t, TIF_PATCH_PENDING))
		klp_update_patch_state(t);
	if ((READ_ONCE(t->thread_flags) & ((1UL << TIF_SIGPENDING) | (1UL << TIF_NOTIFY_RESUME))) &&
	    exit_to_user_mode_hook)
		exit_to_user_mode_hook(tf);
}

/* notrace, and no preemption after kernel-mode exceptions: the int3 that
 * text poking raises on a site under change returns through here, and a
 * traced or scheduling exit path would hit another site under change. */
notrace void irqentry_exit(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();

	if (!sched_running() || !pc->current_task)
		return;
	if (trap_from_user(tf)) {
		exit_to_user_mode_work(tf);
		return;
	}
	/* Preempt a kernel context only where it could have scheduled
	 * itself: interrupts were on and no preempt_disable() was held. */
	if (!arch_trap_is_irq(tf) || !arch_trap_irqs_enabled(tf) || pc->preempt_count ||
	    pc->in_irq)
		return;
	/* Never switch a task out inside a tracer trampoline (its few
	 * instructions outside the preempt-disabled handler call): no sleeping
	 * task then holds a trampoline slot, so unregistering an ops can reuse
	 * its slot at once on this CPU. */
	if (ftrace_text_is_trampoline(arch_trap_ip(tf)))
		return;
	if (need_resched())
		preempt_schedule_irq();
}

noinline void sched_idle_hook(void)
{
	klp_update_patch_state(current);
}

/* The idle task runs with preemption disabled (interrupts never switch it
 * out) and schedules itself, so its stack is always a clean voluntary one. */
void cpu_idle_loop(void)
{
	struct rq *rq = this_rq();
	preempt_disable();
	for (;;) {
		sched_idle_hook();
		rcu_idle_qs();
		/* Test and halt with interrupts off: a wake-up from an
		 * interrupt between the two would otherwise be slept through. */
		arch_irq_disable();
		if (!need_resched() && !READ_ONCE(rq->bitmap))
			arch_idle();
		arch_irq_enable();
		if (need_resched() || READ_ONCE(rq->bitmap))
			__schedule(false);
	}
}

const char *task_state_name(const struct task *t)
{
	long s = READ_ONCE(t->state);
	if (s == TASK_RUNNING)
		return "R (running)";
	if (s & TASK_INTERRUPTIBLE)
		return "S (sleeping)";
	if (s & TASK_UNINTERRUPTIBLE)
		return "D (disk sleep)";
	if (s & TASK_NEW)
		return "N (new)";
	if (s & TASK_DEAD)
		return "X (dead)";
	return "? (unknown)";
}

char task_state_char(const struct task *t)
{
	if (t->flags & PF_IDLE && READ_ONCE(t->state) == TASK_RUNNING && !t->on_cpu)
		return 'I';
	return task_state_name(t)[0];
}

/* ---- the task list ---- */

void put_task_struct(struct task *t)
{
	if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_SEQ_CST) == 0) {
		BUG_ON(t->flags & PF_IDLE);
		kfree(t->stack);
		kfree(t);
		__atomic_fetch_sub(&task_count, 1, __ATOMIC_SEQ_CST);
	}
}

void task_list_add(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	list_add_tail(&t->tasks, &task_list);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	__atomic_fetch_add(&task_count, 1, __ATOMIC_SEQ_CST);
}

/* A new task joins the list as its creator's child, in the creator's patch
 * state with its pending switch (Linux's fork rule), all in one
 * tasklist_lock section: the transition code sets and resets every listed
 * task's state under this lock, so none starts or ends between the copy
 * and the listing. */
void task_list_add_child(struct task *t, struct task *parent)
{
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	t->patch_state = parent->patch_state;
	if (test_tsk_thread_flag(parent, TIF_PATCH_PENDING))
		set_tsk_thread_flag(t, TIF_PATCH_PENDING);
	t->parent = parent;
	list_add_tail(&t->sibling, &parent->children);
	list_add_tail(&t->tasks, &task_list);
	spin_unlock_irqrestore(&tasklist_lock, flags);
	__atomic_fetch_add(&task_count, 1, __ATOMIC_SEQ_CST);
}

void task_list_del(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	list_del_init(&t->tasks);
	spin_unlock_irqrestore(&tasklist_lock, flags);
}

/* Task structs allocated and not yet freed (idle tasks included). */
int nr_tasks(void)
{
	return __atomic_load_n(&task_count, __ATOMIC_SEQ_CST);
}

struct task *find_get_task_by_pid(int pid)
{
	struct task *t, *found = NULL;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(t)
		if (t->pid == pid && t->state != TASK_DEAD) {
			get_task_struct(t);
			found = t;
			break;
		}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	return found;
}

int task_call_func(struct task *t, int (*fn)(struct task *t, void *arg), void *arg)
{
	struct rq *rq = task_rq(t);
	int ret;
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	if (t->on_cpu)
		ret = -EBUSY;
	else if (t->state == TASK_DEAD || !t->stack)
		ret = -ESRCH;
	else
		ret = fn(t, arg);
	spin_unlock_irqrestore(&rq->lock, flags);
	return ret;
}

/* panic.h's hook: the backtrace follows frames on any task's stack. Panics
 * may come with the list lock held: try it, else only current's stack. */
static bool task_stack_bounds(unsigned long addr, unsigned long *lo, unsigned long *hi)
{
	struct task *cur = this_cpu()->current_task, *t;
	bool found = false;

	if (cur && cur->stack && addr >= (unsigned long)cur->stack && addr < cur->stack_top) {
		*lo = (unsigned long)cur->stack;
		*hi = cur->stack_top;
		return true;
	}
	if (!spin_trylock(&tasklist_lock))
		return false;
	for_each_task(t)
		if (t->stack && addr >= (unsigned long)t->stack && addr < t->stack_top) {
			*lo = (unsigned long)t->stack;
			*hi = t->stack_top;
			found = true;
			break;
		}
	spin_unlock(&tasklist_lock);
	return found;
}

/* CPU cpu's idle task: the context that is running on this CPU now, on a
 * stack from stack to stack_top whose first frame record is at top - 16
 * (kmain's, or the AP entry's, both entered with rbp = 0). */
static struct task *idle_init(int cpu, void *stack, unsigned long stack_top)
{
	struct task *idle = &idle_tasks[cpu];
	memset(idle, 0, sizeof(*idle));
	idle->state = TASK_RUNNING;
	idle->flags = PF_IDLE | PF_KTHREAD;
	idle->pid = 0;
	strlcpy(idle->comm, "idle", sizeof(idle->comm));
	idle->prio = idle->normal_prio = SCHED_PRIO_MAX - 1;
	INIT_LIST_HEAD(&idle->pi_mutexes);
	idle->cpu = cpu;
	idle->on_cpu = 1;
	idle->refcount = 1;
	idle->patch_state = KLP_UNDEFINED;
	INIT_LIST_HEAD(&idle->run_list);
	INIT_LIST_HEAD(&idle->children);
	INIT_LIST_HEAD(&idle->sibling);
	init_waitqueue_head(&idle->child_exit);
	init_completion(&idle->exited);
	idle->stack_top = stack_top;
	idle->stack = stack;
	idle->stack_size = idle->stack_top - (unsigned long)idle->stack;
	idle->first_frame = idle->stack_top - 16;
	idle->exec_start = ktime_get_ns();
	runqueues[cpu].idle = idle;
	runqueues[cpu].curr = idle;
	return idle;
}

extern char boot_stack_high_top[];
#define BOOT_STACK_SIZE 16384 /* boot/boot.asm */

/* The boot context becomes CPU 0's idle task (pid 0): its stack is the boot
 * stack, its first frame kmain's (entered with rbp = 0). Every runqueue is
 * set up here, before any other CPU can take one. */
void sched_init(void)
{
	struct percpu *pc = this_cpu();
	struct ksym s;

	for (int c = 0; c < MAX_CPUS; c++) {
		struct rq *rq = &runqueues[c];
		spin_lock_init(&rq->lock);
		for (int p = 0; p < SCHED_PRIO_MAX; p++)
			INIT_LIST_HEAD(&rq->queue[p]);
		rq->cpu = c;
	}
	unsigned long top = (unsigned long)boot_stack_high_top;
	void *stack = (void *)(top - BOOT_STACK_SIZE);
	if (!ksym_lookup_name("boot_stack_high", 0, &s) && s.addr + s.size == top)
		stack = (void *)s.addr;
	struct task *idle = idle_init(pc->cpu_id, stack, top);
	task_list_add(idle);

	pc->current_task = idle;
	pc->preempt_count = 0;
	kstack_bounds_hook = task_stack_bounds;
	extern void timer_tick_init(void);
	timer_tick_init();
	if (timer_tick_register_percpu(scheduler_tick))
		panic("sched: cannot register the tick");
	WRITE_ONCE(sched_up, true);
	pr_info("idle task pid 0 on cpu %d, %d priorities, %d-tick slices\n", pc->cpu_id,
		SCHED_PRIO_MAX, SCHED_SLICE_TICKS);
}

/* An application processor's context becomes its idle task. It is listed
 * before the CPU counts as online, so a transition started after that
 * finds it. */
void sched_init_ap(void *stack, unsigned long stack_top)
{
	struct percpu *pc = this_cpu();
	struct task *idle = idle_init(pc->cpu_id, stack, stack_top);
	pc->current_task = idle; /* before any lock: the validator needs it */
	pc->preempt_count = 0;
	task_list_add(idle);
}
