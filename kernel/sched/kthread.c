/* Kernel threads: task allocation (stack, pid, /proc entry, family, patch
 * state inherited from the creator), the first C code a thread runs, exit,
 * and stopping. A dead task's stack is freed by the next task right after
 * the switch away from it (finish_task_switch); its struct when the last
 * reference goes (the waiter's, or the task's own). */
#define pr_fmt(fmt) "kthread: " fmt
#include <kelp/sched.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <arch/cpu.h>
#include <arch/switch.h>

extern void finish_task_switch(struct task *prev);
extern void task_list_add_child(struct task *t, struct task *parent);
extern void task_list_del(struct task *t);
extern __noreturn void sched_exit_schedule(void);

static int next_pid = 1;

struct task *task_alloc(const char *name)
{
	struct task *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	t->stack = kmalloc_aligned(KSTACK_SIZE, 16);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	t->stack_size = KSTACK_SIZE;
	t->stack_top = (unsigned long)t->stack + KSTACK_SIZE;
	t->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_SEQ_CST);
	strlcpy(t->comm, name, sizeof(t->comm));
	t->state = TASK_NEW;
	t->prio = t->normal_prio = SCHED_PRIO_DEFAULT;
	INIT_LIST_HEAD(&t->pi_mutexes);
	t->cpu = this_cpu()->cpu_id;
	t->refcount = 1; /* the task's own, dropped after its last switch */
	INIT_LIST_HEAD(&t->run_list);
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->sibling);
	init_waitqueue_head(&t->child_exit);
	init_completion(&t->exited);

	/* Linux's fork rule: a child starts in its parent's patch state,
	 * with the parent's pending switch (copied as it is listed). */
	task_list_add_child(t, current);
	task_proc_add(t); /* best effort: a task works without /proc */
	return t;
}

void kthread_start_c(struct task *prev)
{
	finish_task_switch(prev);
	arch_irq_enable();
	preempt_enable();
	struct task *t = current;
	int ret = -EINTR;
	if (!READ_ONCE(t->should_stop))
		ret = t->threadfn(t->data);
	do_exit(ret);
}

struct task *kthread_create(int (*fn)(void *data), void *data, const char *fmt, ...)
{
	char name[TASK_COMM_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);

	struct task *t = task_alloc(name);
	if (!t)
		return NULL;
	t->flags |= PF_KTHREAD;
	t->threadfn = fn;
	t->data = data;
	arch_kthread_init(t);
	/* As inside a switch: schedule()'s count (the rq lock adds none),
	 * which kthread_start_c drops after finish_task_switch. */
	t->preempt_count = 1;
	get_task_struct(t);   /* the caller's */
	return t;
}

void kthread_wake(struct task *t)
{
	wake_up_state(t, TASK_NEW);
}

bool kthread_should_stop(void)
{
	return READ_ONCE(current->should_stop);
}

/* A thread that did not ask for kills would stop for good (the livepatch
 * worker: no transition ever finishes again) or spin on a pending signal
 * its sleeps keep returning for (the channel thread): refuse. */
int kthread_kill(struct task *t)
{
	if (!(t->flags & PF_KTHREAD) || !(READ_ONCE(t->flags) & PF_SIGNALS))
		return -EPERM;
	WRITE_ONCE(t->should_stop, true);
	set_tsk_thread_flag(t, TIF_SIGPENDING);
	wake_up_state(t, TASK_NORMAL | TASK_NEW);
	return 0;
}

void kthread_allow_signals(struct task *t)
{
	WARN_ON(t != current && t->state != TASK_NEW);
	t->flags |= PF_SIGNALS;
}

int task_wait_exit(struct task *t)
{
	wait_for_completion(&t->exited);
	return t->exit_code;
}

int kthread_join(struct task *t)
{
	int ret = task_wait_exit(t);
	put_task_struct(t);
	return ret;
}

int kthread_stop(struct task *t)
{
	WRITE_ONCE(t->should_stop, true);
	wake_up_state(t, TASK_NORMAL | TASK_NEW);
	int ret = task_wait_exit(t);
	put_task_struct(t);
	return ret;
}

void do_exit(int code)
{
	struct task *t = current, *c;

	BUG_ON(t->flags & PF_IDLE);
	t->flags |= PF_EXITING;
	t->exit_code = code;
	task_proc_remove(t);

	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	/* Orphans have no parent to report to. */
	list_for_each_entry(c, &t->children, sibling)
		c->parent = NULL;
	while (!list_empty(&t->children))
		list_del_init(t->children.next);
	list_del_init(&t->sibling);
	struct task *parent = t->parent;
	if (parent && !(parent->flags & PF_IDLE))
		get_task_struct(parent);
	spin_unlock_irqrestore(&tasklist_lock, flags);

	complete_all(&t->exited);
	if (parent) {
		wake_up_all(&parent->child_exit);
		if (!(parent->flags & PF_IDLE))
			put_task_struct(parent);
	}

	/* Livepatch: a task still pending checks its own stack one last time
	 * (as at a sleep), so that a transition it held completes as it leaves
	 * rather than at the worker's next timer retry. */
	if (unlikely(test_tsk_thread_flag(t, TIF_PATCH_PENDING)))
		klp_sched_try_switch();

	preempt_disable();
	arch_irq_disable();
	/* Off the task list only now, interrupts off until the last switch:
	 * up to here the task runs (and is interrupted, and preempted by the
	 * joiner it woke), and livepatch transitions set its patch state
	 * only through the list (an interrupt handler's patched calls follow
	 * the state of the task it interrupts). */
	task_list_del(t);
	t->state = TASK_DEAD;
	sched_exit_schedule();
}
