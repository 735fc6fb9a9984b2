/* The patch author's <delay.h>: msleep and friends (<wait.h>), udelay and
 * mdelay (<time.h>). */
#pragma once
#include <time.h>
#include <wait.h>
