/* Sleeping and waking: wait queues, completions, timed sleeps.
 * (kernel/sched/wait.c, kernel/sched/timer.c)
 *
 * The sleep pattern is Linux's: set the task state, test the condition,
 * schedule(). A wake-up between the test and schedule() sets the task back to
 * TASK_RUNNING, so it is never lost. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/spinlock.h>
#include <kelp/time.h>

struct task;

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head; /* struct wait_queue_entry, FIFO */
};

struct wait_queue_entry {
	struct task *task;
	struct list_head entry;
	unsigned int flags;
};

#define WQ_FLAG_EXCLUSIVE 1

#define WAIT_QUEUE_HEAD_INIT(name) { SPINLOCK_INIT, LIST_HEAD_INIT((name).head) }
#define DECLARE_WAIT_QUEUE_HEAD(name) struct wait_queue_head name = WAIT_QUEUE_HEAD_INIT(name)
void init_waitqueue_head(struct wait_queue_head *wq);

/* Queue the current task on wq (if not already) and set its state. */
void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *w, long state);
void prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *w, long state);
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *w);
/* Wake every non-exclusive waiter and at most nr exclusive ones (0 = all)
 * whose state matches mode. Safe from interrupts. Returns tasks woken. */
int __wake_up(struct wait_queue_head *wq, unsigned int mode, int nr);
#define wake_up(wq) __wake_up(wq, TASK_NORMAL, 1)
#define wake_up_all(wq) __wake_up(wq, TASK_NORMAL, 0)
#define wake_up_interruptible(wq) __wake_up(wq, TASK_INTERRUPTIBLE, 1)
bool waitqueue_active(struct wait_queue_head *wq);

#define DEFINE_WAIT(name) struct wait_queue_entry name = { .task = current, .entry = LIST_HEAD_INIT((name).entry) }

/* Sleep until cond; uninterruptible. */
#define wait_event(wq, cond)                                                                       \
	do {                                                                                       \
		DEFINE_WAIT(__w);                                                                  \
		might_sleep();                                                                     \
		for (;;) {                                                                         \
			prepare_to_wait(&(wq), &__w, TASK_UNINTERRUPTIBLE);                        \
			if (cond)                                                                  \
				break;                                                             \
			schedule();                                                                \
		}                                                                                  \
		finish_wait(&(wq), &__w);                                                          \
	} while (0)

/* Sleep until cond or a pending signal/kill/nudge: 0 or -EINTR. */
#define wait_event_interruptible(wq, cond)                                                         \
	({                                                                                         \
		int __ret = 0;                                                                     \
		DEFINE_WAIT(__w);                                                                  \
		might_sleep();                                                                     \
		for (;;) {                                                                         \
			prepare_to_wait(&(wq), &__w, TASK_INTERRUPTIBLE);                          \
			if (cond)                                                                  \
				break;                                                             \
			if (signal_pending(current)) {                                             \
				__ret = -EINTR;                                                    \
				break;                                                             \
			}                                                                          \
			schedule();                                                                \
		}                                                                                  \
		finish_wait(&(wq), &__w);                                                          \
		__ret;                                                                             \
	})

/* Completions: a count of "done" events with waiters. */
struct completion {
	unsigned int done;
	struct wait_queue_head wait;
};
#define COMPLETION_INIT(name) { 0, WAIT_QUEUE_HEAD_INIT((name).wait) }
#define DECLARE_COMPLETION(name) struct completion name = COMPLETION_INIT(name)
void init_completion(struct completion *c);
static inline void reinit_completion(struct completion *c) { c->done = 0; }
void complete(struct completion *c);
void complete_all(struct completion *c);
void wait_for_completion(struct completion *c);
/* Remaining jiffies (>= 1) when completed, 0 on timeout. */
long wait_for_completion_timeout(struct completion *c, long timeout);
bool completion_done(struct completion *c);

/* Timers (kernel/sched/timer.c): fn(data) runs from the tick, in interrupt
 * context, once jiffies >= expires. */
struct ktimer {
	struct list_head entry;
	u64 expires;
	void (*fn)(struct ktimer *t);
	void *data;
	bool pending;
};
void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *t), void *data);
void ktimer_add(struct ktimer *t, u64 expires);
/* Returns true when the timer was pending (and is now cancelled). */
bool ktimer_del(struct ktimer *t);

#define MAX_SCHEDULE_TIMEOUT ((long)(~0UL >> 1))
/* Sleep in the current state (set it first) for up to timeout jiffies;
 * returns the jiffies left (0 when it timed out). */
long schedule_timeout(long timeout);
long schedule_timeout_interruptible(long timeout);
long schedule_timeout_uninterruptible(long timeout);
void msleep(unsigned int ms);
/* Returns the milliseconds left when woken early (by a signal/nudge). */
unsigned long msleep_interruptible(unsigned int ms);
static inline u64 msecs_to_jiffies(u64 ms) { return (ms * HZ + 999) / 1000; }
