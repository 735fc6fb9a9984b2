/* Sleeping mutexes with an owner and a FIFO of waiters. Unlock hands the
 * mutex to the first waiter (sets it as owner before waking it), so waiters
 * are served strictly in arrival order. */
#include <kelp/mutex.h>
#include <kelp/sched.h>
#include <kelp/errno.h>
#include <kelp/panic.h>

struct mutex_waiter {
	struct list_head list;
	struct task *task;
};

bool mutex_trylock(struct mutex *m)
{
	bool ok = false;
	unsigned long flags = spin_lock_irqsave(&m->wait_lock);
	if (!m->owner) {
		m->owner = current;
		ok = true;
	}
	spin_unlock_irqrestore(&m->wait_lock, flags);
	return ok;
}

static int __mutex_lock(struct mutex *m, long state)
{
	struct task *me = current;
	struct mutex_waiter w = { .task = me };
	int ret = 0;
	unsigned long flags = spin_lock_irqsave(&m->wait_lock);

	if (!m->owner) {
		m->owner = me;
		goto out;
	}
	if (m->owner == me)
		panic("mutex %s: recursive lock by %s/%d", m->name, me->comm, me->pid);
	list_add_tail(&w.list, &m->waiters);
	for (;;) {
		set_current_state(state);
		if (m->owner == me)
			break;
		if ((state & TASK_INTERRUPTIBLE) && signal_pending(me)) {
			list_del_init(&w.list);
			ret = -EINTR;
			break;
		}
		spin_unlock_irqrestore(&m->wait_lock, flags);
		schedule();
		flags = spin_lock_irqsave(&m->wait_lock);
	}
	__set_current_state(TASK_RUNNING);
out:
	spin_unlock_irqrestore(&m->wait_lock, flags);
	return ret;
}

void mutex_lock(struct mutex *m)
{
	__mutex_lock(m, TASK_UNINTERRUPTIBLE);
}

void mutex_unlock(struct mutex *m)
{
	unsigned long flags = spin_lock_irqsave(&m->wait_lock);
	if (m->owner != current)
		panic("mutex %s: unlocked by %s/%d, not its owner", m->name, current->comm,
		      current->pid);
	if (list_empty(&m->waiters)) {
		m->owner = NULL;
	} else {
		struct mutex_waiter *w = list_first_entry(&m->waiters, struct mutex_waiter, list);
		list_del_init(&w->list);
		m->owner = w->task;
		wake_up_process(w->task);
	}
	spin_unlock_irqrestore(&m->wait_lock, flags);
	sched_preempt_check();
}
