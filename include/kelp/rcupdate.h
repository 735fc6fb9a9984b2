/* Grace periods (kernel/sched/rcu.c): Linux's sched-RCU flavour. A reader
 * is anything that runs with preemption or interrupts off (rcu_read_lock()
 * is preempt_disable()): the tracer's trampolines and handlers, the
 * livepatch handler, the scheduler's livepatch switch point, symbol lookups.
 * A CPU passes a quiescent state when it switches tasks, runs its idle loop
 * or returns to user mode: no reader can span one. synchronize_rcu() waits,
 * sleeping, until every online CPU has passed one since the call, so memory
 * unpublished before the call can be freed after it.
 *
 * Writers still serialise among themselves (a mutex); these helpers only
 * order the publication and removal of what readers walk without a lock. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/barrier.h>
#include <kelp/list.h>
#include <kelp/sched.h>

static __always_inline void rcu_read_lock(void)
{
	preempt_disable();
}
static __always_inline void rcu_read_unlock(void)
{
	preempt_enable();
}
/* For readers that must not reschedule on the way out (notrace paths under
 * the tracer's recursion guard). */
static __always_inline void rcu_read_unlock_no_resched(void)
{
	preempt_enable_no_resched();
}

/* Publish p = v: v's contents are written before the pointer. The
 * smp_wmb() pairs with the address dependency in rcu_dereference() (on
 * every CPU Kelp targets a dependent load needs no barrier of its own). */
#define rcu_assign_pointer(p, v)                                                                   \
	do {                                                                                       \
		smp_wmb(); /* pairs with rcu_dereference()'s dependent loads */                  \
		WRITE_ONCE((p), (v));                                                              \
	} while (0)
/* One load of p, whose target is then read through it (see above). */
#define rcu_dereference(p) READ_ONCE(p)

/* Wait until every reader that could have seen what the caller unpublished
 * has finished. Sleeps: process context, no lock held, preemption on. */
void synchronize_rcu(void);
/* A quiescent state of this CPU other than a context switch (which the
 * runqueue's switch count already records): notrace, any context. */
void rcu_note_qs(void);
/* The idle loop's quiescent state, which also lets waiters go on at once. */
void rcu_idle_qs(void);
/* Grace periods completed since boot (tests). */
u64 rcu_gp_count(void);
/* Whether the caller runs as a reader (preemption or interrupts off). */
bool rcu_read_lock_any_held(void);

/* ---- lists walked by readers while a writer (holding its mutex) edits ---- */

static inline void __list_add_rcu(struct list_head *n, struct list_head *prev,
				  struct list_head *next)
{
	n->next = next;
	n->prev = prev;
	/* n's links before n itself: readers going forward from prev meet a
	 * complete entry */
	rcu_assign_pointer(prev->next, n);
	next->prev = n;
}

static inline void list_add_rcu(struct list_head *n, struct list_head *head)
{
	__list_add_rcu(n, head, head->next);
}

static inline void list_add_tail_rcu(struct list_head *n, struct list_head *head)
{
	__list_add_rcu(n, head->prev, head);
}

/* Unlink e but keep e->next: a reader standing on e still finds its way
 * on. e may be freed, or re-initialised, only after synchronize_rcu(). */
static inline void list_del_rcu(struct list_head *e)
{
	e->next->prev = e->prev;
	WRITE_ONCE(e->prev->next, e->next);
	e->prev = NULL;
}

#define list_for_each_entry_rcu(pos, head, member)                                                 \
	for (pos = list_entry(rcu_dereference((head)->next), __typeof__(*pos), member);            \
	     &pos->member != (head);                                                               \
	     pos = list_entry(rcu_dereference(pos->member.next), __typeof__(*pos), member))
