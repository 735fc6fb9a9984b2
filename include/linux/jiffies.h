/* <linux/jiffies.h>: Linux's tick counter and its wrap-safe comparisons on
 * top of Kelp's jiffies (HZ=1000, <kelp/time.h>). */
#pragma once
#include <kelp/time.h>
#include <kelp/wait.h>

#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)

static inline unsigned int jiffies_to_msecs(unsigned long j) { return j * 1000 / HZ; }
static inline unsigned long usecs_to_jiffies(unsigned int us) { return (us + 999) / 1000; }
