/* <linux/delay.h>: msleep and friends (<kelp/wait.h>), udelay and mdelay
 * (busy waits, <kelp/time.h>). */
#pragma once
#include <kelp/time.h>
#include <kelp/wait.h>

static inline void ssleep(unsigned int s) { msleep(s * 1000); }
static inline void usleep_range(unsigned long min, unsigned long max)
{
	(void)max;
	msleep((min + 999) / 1000);
}
