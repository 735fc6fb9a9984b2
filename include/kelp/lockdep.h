/* The lock validator of the test kernel (kernel/locking/lockdep.c, built
 * with CONFIG_KTEST only; in the run kernel every hook below is an empty
 * inline). It checks, as Linux's lockdep does in spirit:
 *   - might_sleep(): a sleeping primitive called atomic (a spinlock held,
 *     preemption or interrupts off);
 *   - a spinlock taken again by the context that holds it (self-deadlock:
 *     reported, and the second acquire is skipped so the report gets out);
 *   - lock order: classes (a static lock is its own class, a lock set up by
 *     spin_lock_init gets its init site's) and the order they nest in; the
 *     first acquire that closes a cycle is reported with both stacks.
 *   - interrupt safety: a spinlock taken in an interrupt handler and, in
 *     task context, with interrupts on (its irqsave form forgotten).
 * Each report counts; the self-test runner fails the case during which
 * one was made (tests/ktest/ktest.c). Lock layouts are the same in both
 * kernels (patch blobs are built without CONFIG_KTEST): the validator keeps
 * its state beside the locks, keyed by address. */
#pragma once
#include <kelp/compiler.h>

#define LOCKDEP_MAX_HELD 24

struct lockdep_held {
	const void *lock;
	unsigned long ip;
	unsigned short cls;
};

/* Per task (struct task) and per CPU for interrupt context. */
struct lockdep_task {
	int depth;
	struct lockdep_held held[LOCKDEP_MAX_HELD];
};

#ifdef CONFIG_KTEST
/* Off under `bench` (the benchmarks measure what the run kernel runs) and
 * `nolockdep`: then each hook costs one test. */
extern bool lockdep_on;
void __lockdep_init_lock(const void *lock, const void *key, const char *name);
bool __lockdep_acquire(const void *lock, const char *name, bool trylock);
void __lockdep_release(const void *lock);
void __lockdep_switch_out(const void *lock);
void __lockdep_switch_in(const void *lock);
void __might_sleep(const char *file, int line);

static __always_inline void lockdep_init_lock(const void *lock, const void *key, const char *name)
{
	if (lockdep_on)
		__lockdep_init_lock(lock, key, name);
}
/* true: lock is already held by this context (reported; do not spin).
 * name: a mutex's; spinlocks pass NULL (named by symbol or init site). */
static __always_inline bool lockdep_acquire(const void *lock, const char *name, bool trylock)
{
	return lockdep_on && __lockdep_acquire(lock, name, trylock);
}
static __always_inline void lockdep_release(const void *lock)
{
	if (lockdep_on)
		__lockdep_release(lock);
}
/* The rq lock crosses a task switch: taken by prev, released by next. */
static __always_inline void lockdep_switch_out(const void *lock)
{
	if (lockdep_on)
		__lockdep_switch_out(lock);
}
static __always_inline void lockdep_switch_in(const void *lock)
{
	if (lockdep_on)
		__lockdep_switch_in(lock);
}
#define might_sleep()                                                                              \
	do {                                                                                       \
		if (lockdep_on)                                                                    \
			__might_sleep(__FILE__, __LINE__);                                         \
	} while (0)
/* Reports made and not yet accounted for by the self-test runner. */
unsigned int lockdep_unacked(void);
void lockdep_ack(void);
#else
static inline void lockdep_init_lock(const void *lock, const void *key, const char *name)
{
	(void)lock, (void)key, (void)name;
}
static inline bool lockdep_acquire(const void *lock, const char *name, bool trylock)
{
	(void)lock, (void)name, (void)trylock;
	return false;
}
static inline void lockdep_release(const void *lock) { (void)lock; }
static inline void lockdep_switch_out(const void *lock) { (void)lock; }
static inline void lockdep_switch_in(const void *lock) { (void)lock; }
#define might_sleep() do { } while (0)
#endif
