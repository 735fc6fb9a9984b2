/* <linux/kernel.h>: what Linux's kernel.h brings a module: types and
 * attributes, printk, container_of/ARRAY_SIZE, min/max, the kstrto*
 * conversions, might_sleep. */
#pragma once
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/kstrtox.h>
#include <kelp/string.h>

#define min(a, b) MIN(a, b)
#define max(a, b) MAX(a, b)
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define might_sleep() do { } while (0)
#define WARN_ON(c)                                                                                 \
	({                                                                                         \
		bool __w = !!(c);                                                                  \
		if (unlikely(__w))                                                                 \
			printk(KERN_WARNING "WARNING: %s:%d: %s\n", __FILE__, __LINE__, #c);       \
		__w;                                                                               \
	})
#define WARN_ON_ONCE(c) WARN_ON(c)
