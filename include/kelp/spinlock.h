/* Spinlocks: busy-wait locks for short sections that never sleep. Taking
 * one disables preemption until it is released, so the holder keeps the CPU
 * and nothing more urgent on this CPU can spin behind it; the irqsave form
 * also disables interrupts, for locks an interrupt handler takes too.
 * Sections that may sleep or run long use a mutex (<kelp/mutex.h>). */
#pragma once
#include <arch/cpu.h>
#include <kelp/preempt.h>
#include <kelp/lockdep.h>

typedef struct spinlock {
	volatile int locked;
	int owner_cpu;
} spinlock_t;

#define SPINLOCK_INIT { 0, -1 }

void smp_call_poll(void); /* <kelp/smp.h> */

/* Spinning with interrupts off, a CPU runs the cross-CPU calls queued for
 * it: the holder may be waiting for one of them (a TLB shootdown from
 * under a lock), and this CPU would otherwise never take the IPI. */
static __always_inline void __spin_acquire(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked)) {
			if (!arch_irqs_enabled())
				smp_call_poll();
			arch_cpu_relax();
		}
}

static inline void spin_lock(spinlock_t *l)
{
	preempt_disable();
	if (!lockdep_acquire(l, NULL, false))
		__spin_acquire(l);
}
static inline bool spin_trylock(spinlock_t *l)
{
	preempt_disable();
	if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		lockdep_acquire(l, NULL, true);
		return true;
	}
	preempt_enable();
	return false;
}
/* Release, then the preemption point a wake-up under the lock may have
 * asked for (preempt_enable's resched check). */
static inline void spin_unlock(spinlock_t *l)
{
	lockdep_release(l);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	preempt_enable();
}
/* For a caller that already holds preemption off, and keeps it off until
 * after the unlock (the rq lock in __schedule, taken with interrupts off
 * and released by the next task in finish_task_switch): the same lock and
 * the same validator hooks, without the preempt count round trip, which
 * would be a redundant inc/dec on every context switch. Using it with
 * preemption on is a bug: the holder could be switched out while others
 * spin on the lock. */
static inline void spin_lock_preempt_off(spinlock_t *l)
{
	if (!lockdep_acquire(l, NULL, false))
		__spin_acquire(l);
}
static inline void spin_unlock_preempt_off(spinlock_t *l)
{
	lockdep_release(l);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
static inline void __spin_lock_init(spinlock_t *l) { l->locked = 0; l->owner_cpu = -1; }
/* The validator gives every init site its own lock class. */
#define spin_lock_init(l)                                                                          \
	do {                                                                                       \
		static char __key __attribute__((unused));                                         \
		__spin_lock_init(l);                                                               \
		lockdep_init_lock(l, &__key, #l);                                                  \
	} while (0)

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_irq_save();
	preempt_disable();
	if (!lockdep_acquire(l, NULL, false))
		__spin_acquire(l);
	return flags;
}
static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	lockdep_release(l);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	arch_irq_restore(flags);
	preempt_enable();
}
