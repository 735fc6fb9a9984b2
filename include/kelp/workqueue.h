/* Deferred work in process context (kernel/sched/workqueue.c), with Linux's
 * names: one shared worker thread ("kworker") runs queued work items in
 * order; a delayed work item is queued by a ktimer when its delay ends.
 *
 * The worker is created by the first queueing (so boot keeps its pids), in
 * process context. A work item that sleeps holds up the items queued after
 * it: there is one worker, not a pool. cancel_*_sync() waits for a running
 * item to return and stops it from queueing itself again meanwhile. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/wait.h>

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	struct list_head entry;	/* on the worker's queue while pending */
	work_func_t func;
	bool pending;		/* queued, or its timer armed (delayed) */
	bool canceling;		/* cancel_*_sync() running: no requeue */
};

struct delayed_work {
	struct work_struct work;
	struct ktimer timer;
};

void workqueue_delayed_timer_fn(struct ktimer *t);

#define __WORK_INITIALIZER(n, f) { LIST_HEAD_INIT((n).entry), (f), false, false }
#define __DELAYED_WORK_INITIALIZER(n, f)                                                           \
	{ __WORK_INITIALIZER((n).work, (f)),                                                       \
	  { LIST_HEAD_INIT((n).timer.entry), 0, workqueue_delayed_timer_fn, &(n), false } }
#define DECLARE_WORK(n, f) struct work_struct n = __WORK_INITIALIZER(n, f)
#define DECLARE_DELAYED_WORK(n, f) struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f)

static inline void INIT_WORK(struct work_struct *w, work_func_t f)
{
	INIT_LIST_HEAD(&w->entry);
	w->func = f;
	w->pending = false;
	w->canceling = false;
}

static inline void INIT_DELAYED_WORK(struct delayed_work *dw, work_func_t f)
{
	INIT_WORK(&dw->work, f);
	ktimer_init(&dw->timer, workqueue_delayed_timer_fn, dw);
}

static inline struct delayed_work *to_delayed_work(struct work_struct *w)
{
	return container_of(w, struct delayed_work, work);
}

/* Queue w unless it is pending already (false then); process context. */
bool schedule_work(struct work_struct *w);
/* Queue dw after `delay` jiffies (0: at once); false if already pending. */
bool schedule_delayed_work(struct delayed_work *dw, unsigned long delay);
/* Wait until w, queued or running, has run to the end; false if it was
 * idle. May sleep. */
bool flush_work(struct work_struct *w);
/* Take dw off the queue (or its timer) and wait for a running dw to return;
 * true if it was pending. May sleep. */
bool cancel_delayed_work_sync(struct delayed_work *dw);
