/* Sleeping mutexes (kernel/sched/mutex.c): one owner, waiters served in FIFO
 * order; the unlocker hands the lock straight to the first waiter, so no
 * newcomer can overtake the queue. Priority inheritance: while a task waits,
 * the owner (and whoever that owner waits for, down the chain) runs at
 * least at the waiter's priority, so a busy task of middle priority cannot
 * starve the owner and with it the waiter. Task context only. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/spinlock.h>

struct task;

struct mutex {
	spinlock_t wait_lock;
	struct task *owner;
	struct list_head waiters;
	struct list_head pi_node; /* on owner->pi_mutexes while there are waiters */
	const char *name;
};

#define MUTEX_INIT(name_)                                                                          \
	{ SPINLOCK_INIT, NULL, LIST_HEAD_INIT((name_).waiters), LIST_HEAD_INIT((name_).pi_node),  \
	  #name_ }
#define DEFINE_MUTEX(name_) struct mutex name_ = MUTEX_INIT(name_)
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
static inline bool mutex_is_locked(struct mutex *m) { return READ_ONCE(m->owner) != NULL; }
static inline struct task *mutex_owner(struct mutex *m) { return READ_ONCE(m->owner); }
/* Recompute t's priority from its own (normal_prio) and the waiters of the
 * mutexes it holds; sched_set_prio calls it. */
void mutex_pi_update(struct task *t);
