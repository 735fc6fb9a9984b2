/* Spinlocks that save and restore the interrupt flag, safe on SMP. */
#pragma once
#include <arch/cpu.h>

typedef struct spinlock {
	volatile int locked;
	int owner_cpu;
} spinlock_t;

#define SPINLOCK_INIT { 0, -1 }

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked))
			arch_cpu_relax();
}
static inline bool spin_trylock(spinlock_t *l) { return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE); }
static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }
static inline void spin_lock_init(spinlock_t *l) { l->locked = 0; l->owner_cpu = -1; }

static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_irq_save();
	spin_lock(l);
	return flags;
}
static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}
