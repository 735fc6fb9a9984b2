/* Wait queues and completions. A waiter queues itself, sets its state, tests
 * its condition and only then schedules, so a wake-up in between is never
 * lost (it just makes the task runnable again). */
#include <kelp/sched.h>
#include <kelp/errno.h>

void init_waitqueue_head(struct wait_queue_head *wq)
{
	spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->head);
}

static void __prepare(struct wait_queue_head *wq, struct wait_queue_entry *w, long state,
		      bool exclusive)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	w->task = current;
	if (list_empty(&w->entry)) {
		if (exclusive) {
			w->flags |= WQ_FLAG_EXCLUSIVE;
			list_add_tail(&w->entry, &wq->head);
		} else {
			w->flags &= ~WQ_FLAG_EXCLUSIVE;
			list_add(&w->entry, &wq->head);
		}
	}
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w, long state)
{
	__prepare(wq, w, state, false);
}

void prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *w, long state)
{
	__prepare(wq, w, state, true);
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *w)
{
	__set_current_state(TASK_RUNNING);
	if (!list_empty(&w->entry)) {
		unsigned long flags = spin_lock_irqsave(&wq->lock);
		list_del_init(&w->entry);
		spin_unlock_irqrestore(&wq->lock, flags);
	}
}

/* Non-exclusive waiters sit at the front, exclusive ones at the back.
 * wq->lock held. */
static int __wake_up_locked(struct wait_queue_head *wq, unsigned int mode, int nr)
{
	struct wait_queue_entry *w, *n;
	int woken = 0;
	list_for_each_entry_safe(w, n, &wq->head, entry) {
		bool excl = w->flags & WQ_FLAG_EXCLUSIVE;
		if (wake_up_state(w->task, mode)) {
			woken++;
			if (excl && nr && --nr == 0)
				break;
		}
	}
	return woken;
}

/* The unlock is the preemption point for a more urgent task woken here. */
int __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	int woken = __wake_up_locked(wq, mode, nr);
	spin_unlock_irqrestore(&wq->lock, flags);
	return woken;
}

bool waitqueue_active(struct wait_queue_head *wq)
{
	return !list_empty(&wq->head);
}

/* ---- completions ---- */

#define COMPLETE_ALL_DONE (~0U)

void init_completion(struct completion *c)
{
	c->done = 0;
	init_waitqueue_head(&c->wait);
}

/* The count and the wake-up in one section of the queue's lock (Linux's
 * complete()): a waiter never sees the count without the wake-up coming,
 * and the hot wake path takes the lock once. */
void complete(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->wait.lock);
	if (c->done != COMPLETE_ALL_DONE)
		c->done++;
	__wake_up_locked(&c->wait, TASK_NORMAL, 1);
	spin_unlock_irqrestore(&c->wait.lock, flags);
}

void complete_all(struct completion *c)
{
	unsigned long flags = spin_lock_irqsave(&c->wait.lock);
	c->done = COMPLETE_ALL_DONE;
	__wake_up_locked(&c->wait, TASK_NORMAL, 0);
	spin_unlock_irqrestore(&c->wait.lock, flags);
}

bool completion_done(struct completion *c)
{
	return READ_ONCE(c->done) != 0;
}

/* Returns the jiffies left (>= 1) when taken, 0 on timeout, -EINTR. The
 * queue's lock is dropped only around the sleep (Linux's order): queueing,
 * the test, taking the count and leaving the queue are one section each
 * time round, so a woken waiter takes the lock once. complete() changes
 * the count under the same lock, so no wake-up falls between the test and
 * the sleep. */
static long do_wait_for_common(struct completion *c, long timeout, long state)
{
	might_sleep();
	struct wait_queue_entry w = { .task = current, .flags = WQ_FLAG_EXCLUSIVE,
				      .entry = LIST_HEAD_INIT(w.entry) };
	long ret;
	unsigned long flags = spin_lock_irqsave(&c->wait.lock);
	for (;;) {
		if (c->done) {
			if (c->done != COMPLETE_ALL_DONE)
				c->done--;
			ret = timeout ? timeout : 1;
			break;
		}
		if ((state & TASK_INTERRUPTIBLE) && signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (!timeout) {
			ret = 0;
			break;
		}
		if (list_empty(&w.entry))
			list_add_tail(&w.entry, &c->wait.head);
		set_current_state(state);
		spin_unlock_irqrestore(&c->wait.lock, flags);
		timeout = schedule_timeout(timeout);
		flags = spin_lock_irqsave(&c->wait.lock);
	}
	list_del_init(&w.entry);
	__set_current_state(TASK_RUNNING);
	spin_unlock_irqrestore(&c->wait.lock, flags);
	return ret;
}

void wait_for_completion(struct completion *c)
{
	do_wait_for_common(c, MAX_SCHEDULE_TIMEOUT, TASK_UNINTERRUPTIBLE);
}

long wait_for_completion_timeout(struct completion *c, long timeout)
{
	return do_wait_for_common(c, timeout, TASK_UNINTERRUPTIBLE);
}
