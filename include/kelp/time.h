/* The monotonic clock (ns since boot) and the periodic tick. */
#pragma once
#include <kelp/types.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define HZ 1000

/* Nanoseconds since boot, from the TSC calibrated against the PIT. Never
 * goes backwards, also across recalibration; safe in any context. */
u64 ktime_get_ns(void);
static inline u64 ktime_get_ms(void) { return ktime_get_ns() / NSEC_PER_MSEC; }
/* Ticks (1/HZ s) since the timer started. Advanced by the timer interrupt,
 * by more than one when interrupts were lost, so they keep up with
 * ktime_get_ns(); stale by up to a tick in between. */
extern volatile u64 jiffies;
void time_init(void);
/* Change the TSC rate the clock scales by; the clock stays continuous. */
void time_set_tsc_khz(u64 khz);
extern u64 tsc_khz;
/* Busy-wait (no sleep), for early code and drivers. */
void udelay(u64 us);
void mdelay(u64 ms);

/* Functions run on every tick (HZ times a second) of the boot CPU, in
 * interrupt context with interrupts off: keep them short. -ENOSPC when the
 * list is full, -EBUSY if fn is already there. */
int timer_tick_register(void (*fn)(void));
int timer_tick_unregister(void (*fn)(void));
/* The same for work every CPU does on its own tick (time slices, the
 * watchdog): run on each CPU's tick, on that CPU. */
int timer_tick_register_percpu(void (*fn)(void));
/* Called by the boot CPU's timer interrupt: advances jiffies, runs the
 * hooks, then this CPU's part (once per interrupt: lost interrupts are not
 * replayed). */
void time_tick(void);
/* Called by every other CPU's timer interrupt: the per-CPU hooks. */
void time_tick_cpu(void);
