/* Sleeping mutexes (kernel/sched/mutex.c): one owner, waiters served in FIFO
 * order; the unlocker hands the lock straight to the first waiter, so no
 * newcomer can overtake the queue. Task context only. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/spinlock.h>

struct task;

struct mutex {
	spinlock_t wait_lock;
	struct task *owner;
	struct list_head waiters;
	const char *name;
};

#define MUTEX_INIT(name_) { SPINLOCK_INIT, NULL, LIST_HEAD_INIT((name_).waiters), #name_ }
#define DEFINE_MUTEX(name_) struct mutex name_ = MUTEX_INIT(name_)
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
static inline bool mutex_is_locked(struct mutex *m) { return READ_ONCE(m->owner) != NULL; }
static inline struct task *mutex_owner(struct mutex *m) { return READ_ONCE(m->owner); }
