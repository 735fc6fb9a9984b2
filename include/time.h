/* The monotonic clock (ns since boot) and the periodic tick. */
#pragma once
#include <types.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define HZ 1000

/* Nanoseconds since boot, from the TSC calibrated against the PIT. */
u64 ktime_get_ns(void);
/* Timer interrupts since the timer started. */
extern volatile u64 jiffies;
void time_init(void);
void time_set_tsc_khz(u64 khz);
extern u64 tsc_khz;
/* Busy-wait (no sleep), for early code and drivers. */
void udelay(u64 us);
void mdelay(u64 ms);
