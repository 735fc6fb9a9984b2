/* Deferred work in process context: the shared worker thread, its queue,
 * and delayed work through ktimers (include/kelp/workqueue.h). Written for the
 * ports of Linux's livepatch samples, which schedule delayed work. */
#define pr_fmt(fmt) "workqueue: " fmt
#include <kelp/workqueue.h>
#include <kelp/errno.h>
#include <kelp/mutex.h>
#include <kelp/printk.h>
#include <kelp/sched.h>
#include <kelp/spinlock.h>

static spinlock_t wq_lock = SPINLOCK_INIT;	/* the queue, pending, canceling, running */
static LIST_HEAD(wq_queue);
static DECLARE_WAIT_QUEUE_HEAD(wq_more);	/* the worker waits for work */
static DECLARE_WAIT_QUEUE_HEAD(wq_done);	/* cancel/flush wait for an item */
static struct work_struct *wq_running;
static struct task *wq_task;
static DEFINE_MUTEX(wq_create_lock);

static int worker_thread(void *unused)
{
	(void)unused;
	for (;;) {
		DEFINE_WAIT(w);
		unsigned long flags;
		struct work_struct *work;

		for (;;) {
			prepare_to_wait(&wq_more, &w, TASK_INTERRUPTIBLE);
			flags = spin_lock_irqsave(&wq_lock);
			if (!list_empty(&wq_queue))
				break;
			spin_unlock_irqrestore(&wq_lock, flags);
			schedule();
		}
		finish_wait(&wq_more, &w);
		work = list_first_entry(&wq_queue, struct work_struct, entry);
		list_del_init(&work->entry);
		work->pending = false;
		wq_running = work;
		spin_unlock_irqrestore(&wq_lock, flags);

		work->func(work);

		flags = spin_lock_irqsave(&wq_lock);
		wq_running = NULL;
		spin_unlock_irqrestore(&wq_lock, flags);
		wake_up_all(&wq_done);
		cond_resched();
	}
	return 0;
}

/* Process context: the worker exists once anything can be queued. */
static int wq_ensure_worker(void)
{
	if (READ_ONCE(wq_task))
		return 0;
	mutex_lock(&wq_create_lock);
	if (!wq_task) {
		struct task *t = kthread_create(worker_thread, NULL, "kworker");
		if (!t) {
			mutex_unlock(&wq_create_lock);
			pr_err("cannot create the worker thread\n");
			return -ENOMEM;
		}
		WRITE_ONCE(wq_task, t);
		kthread_wake(t);
	}
	mutex_unlock(&wq_create_lock);
	return 0;
}

/* wq_lock held */
static void wq_enqueue(struct work_struct *w)
{
	list_add_tail(&w->entry, &wq_queue);
	wake_up(&wq_more);
}

bool schedule_work(struct work_struct *w)
{
	if (wq_ensure_worker())
		return false;
	unsigned long flags = spin_lock_irqsave(&wq_lock);
	bool queued = !w->pending && !w->canceling;
	if (queued) {
		w->pending = true;
		wq_enqueue(w);
	}
	spin_unlock_irqrestore(&wq_lock, flags);
	return queued;
}

void workqueue_delayed_timer_fn(struct ktimer *t)
{
	struct delayed_work *dw = t->data;
	unsigned long flags = spin_lock_irqsave(&wq_lock);
	/* pending stays set from schedule_delayed_work until the worker
	 * takes the item; a cancel in between cleared it */
	if (dw->work.pending && !dw->work.canceling && list_empty(&dw->work.entry))
		wq_enqueue(&dw->work);
	spin_unlock_irqrestore(&wq_lock, flags);
}

bool schedule_delayed_work(struct delayed_work *dw, unsigned long delay)
{
	if (!delay)
		return schedule_work(&dw->work);
	if (wq_ensure_worker())
		return false;
	unsigned long flags = spin_lock_irqsave(&wq_lock);
	bool queued = !dw->work.pending && !dw->work.canceling;
	if (queued) {
		dw->work.pending = true;
		ktimer_add(&dw->timer, READ_ONCE(jiffies) + delay);
	}
	spin_unlock_irqrestore(&wq_lock, flags);
	return queued;
}

static bool wq_not_running(struct work_struct *w)
{
	return READ_ONCE(wq_running) != w;
}

static bool wq_cancel(struct work_struct *w, struct ktimer *timer)
{
	unsigned long flags = spin_lock_irqsave(&wq_lock);
	bool was = w->pending;
	w->canceling = true;
	if (timer)
		ktimer_del(timer);
	if (!list_empty(&w->entry))
		list_del_init(&w->entry);
	w->pending = false;
	spin_unlock_irqrestore(&wq_lock, flags);

	/* the item may be running (and trying to requeue itself: refused) */
	wait_event(wq_done, wq_not_running(w));

	flags = spin_lock_irqsave(&wq_lock);
	w->canceling = false;
	spin_unlock_irqrestore(&wq_lock, flags);
	return was;
}

bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	return wq_cancel(&dw->work, &dw->timer);
}

static bool wq_idle(struct work_struct *w)
{
	return !READ_ONCE(w->pending) && READ_ONCE(wq_running) != w;
}

bool flush_work(struct work_struct *w)
{
	if (wq_idle(w))
		return false;
	/* the worker wakes wq_done after every item it ran */
	wait_event(wq_done, wq_idle(w));
	return true;
}
