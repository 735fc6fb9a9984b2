/* The patch author's <delay.h>: msleep and friends (<wait.h>), udelay and
 * mdelay (<time.h>). */
#pragma once
#include <kelp/time.h>
#include <kelp/wait.h>
