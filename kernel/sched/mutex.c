/* Sleeping mutexes with an owner and a FIFO of waiters. Unlock hands the
 * mutex to the first waiter (sets it as owner before waking it), so waiters
 * are served strictly in arrival order.
 *
 * Priority inheritance: a task's effective prio is the most urgent of its
 * normal_prio and the prios of every waiter of the mutexes it holds; a
 * waiter blocked in turn on another mutex passes the boost down that chain.
 * Without it a busy task of middle priority starves a low-priority owner
 * forever, and the high-priority waiter with it. The bookkeeping (waiter
 * lists' prios, pi_mutexes, pi_blocked_on, owners of contended mutexes) is
 * under one pi_lock, nested inside a mutex's wait_lock and outside the
 * runqueue lock; on SMP it would want a per-task lock as Linux's pi_lock. */
#include <kelp/mutex.h>
#include <kelp/sched.h>
#include <kelp/errno.h>
#include <kelp/panic.h>
#include <kelp/lockdep.h>

#define PI_MAX_CHAIN 16 /* a longer chain is a deadlock or a bug: stop there */

struct mutex_waiter {
	struct list_head list;
	struct task *task;
};

static spinlock_t pi_lock = SPINLOCK_INIT;

/* The validator knows a mutex by an address of its own: its wait_lock,
 * a lock of its own class, sits at the mutex's address. */
static inline const void *dep_id(struct mutex *m)
{
	return &m->owner;
}

/* The most urgent prio among t's boosters, SCHED_PRIO_MAX if none. pi_lock held. */
static int pi_top_prio(struct task *t)
{
	int top = SCHED_PRIO_MAX;
	struct mutex *m;
	struct mutex_waiter *w;
	list_for_each_entry(m, &t->pi_mutexes, pi_node)
		list_for_each_entry(w, &m->waiters, list)
			if (w->task->prio < top)
				top = w->task->prio;
	return top;
}

/* Give t the prio it is owed, then its owner down the chain. pi_lock held. */
static void pi_adjust(struct task *t)
{
	for (int depth = 0; t && depth < PI_MAX_CHAIN; depth++) {
		int want = READ_ONCE(t->normal_prio);
		int top = pi_top_prio(t);
		if (top < want)
			want = top;
		if (want == t->prio)
			break;
		sched_pi_set_prio(t, want);
		t = t->pi_blocked_on ? t->pi_blocked_on->owner : NULL;
	}
}

void mutex_pi_update(struct task *t)
{
	unsigned long flags = spin_lock_irqsave(&pi_lock);
	pi_adjust(t);
	spin_unlock_irqrestore(&pi_lock, flags);
}

bool mutex_trylock(struct mutex *m)
{
	bool ok = false;
	unsigned long flags = spin_lock_irqsave(&m->wait_lock);
	if (!m->owner) {
		m->owner = current;
		ok = true;
	}
	spin_unlock_irqrestore(&m->wait_lock, flags);
	if (ok)
		lockdep_acquire(dep_id(m), m->name, true);
	return ok;
}

static int __mutex_lock(struct mutex *m, long state)
{
	struct task *me = current;
	struct mutex_waiter w = { .task = me };
	int ret = 0;
	might_sleep();
	lockdep_acquire(dep_id(m), m->name, false); /* the order check, before any wait */
	unsigned long flags = spin_lock_irqsave(&m->wait_lock);

	if (!m->owner) {
		m->owner = me;
		goto out;
	}
	if (m->owner == me)
		panic("mutex %s: recursive lock by %s/%d", m->name, me->comm, me->pid);
	spin_lock(&pi_lock);
	list_add_tail(&w.list, &m->waiters);
	if (list_empty(&m->pi_node))
		list_add(&m->pi_node, &m->owner->pi_mutexes);
	me->pi_blocked_on = m;
	pi_adjust(m->owner);
	spin_unlock(&pi_lock);
	for (;;) {
		set_current_state(state);
		if (m->owner == me)
			break;
		if ((state & TASK_INTERRUPTIBLE) && signal_pending(me)) {
			/* Leave the queue, and take our boost back from the owner. */
			spin_lock(&pi_lock);
			list_del_init(&w.list);
			if (list_empty(&m->waiters))
				list_del_init(&m->pi_node);
			me->pi_blocked_on = NULL;
			pi_adjust(m->owner);
			spin_unlock(&pi_lock);
			ret = -EINTR;
			lockdep_release(dep_id(m));
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
	struct task *me = current;
	unsigned long flags = spin_lock_irqsave(&m->wait_lock);
	if (m->owner != me)
		panic("mutex %s: unlocked by %s/%d, not its owner", m->name, me->comm, me->pid);
	lockdep_release(dep_id(m));
	if (list_empty(&m->waiters)) {
		m->owner = NULL;
	} else {
		struct mutex_waiter *w = list_first_entry(&m->waiters, struct mutex_waiter, list);
		struct task *next = w->task;
		spin_lock(&pi_lock);
		list_del_init(&m->pi_node);
		list_del_init(&w->list);
		m->owner = next;
		next->pi_blocked_on = NULL;
		if (!list_empty(&m->waiters))
			list_add(&m->pi_node, &next->pi_mutexes);
		pi_adjust(next); /* the waiters left now boost the new owner */
		pi_adjust(me); /* and no longer this one */
		spin_unlock(&pi_lock);
		wake_up_process(next);
	}
	spin_unlock_irqrestore(&m->wait_lock, flags);
	sched_preempt_check();
}
