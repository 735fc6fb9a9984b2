/* <linux/printk.h>: Kelp's printk (levels, pr_fmt, pr_* and the log ring,
 * kernel/printk.c) plus what Linux's header also defines: the console
 * loglevel constants, console_loglevel, pr_debug through the dynamic-debug
 * control, no_printk. */
#pragma once
#include <kelp/printk.h>

#define CONSOLE_LOGLEVEL_SILENT 0
#define CONSOLE_LOGLEVEL_MIN 1
#define CONSOLE_LOGLEVEL_DEBUG 10
#define CONSOLE_LOGLEVEL_MOTORMOUTH 15
#define CONSOLE_LOGLEVEL_DEFAULT 7
#define CONSOLE_LOGLEVEL_QUIET 4
#define MESSAGE_LOGLEVEL_DEFAULT 4

#define no_printk(fmt, ...)                                                                        \
	({                                                                                         \
		if (0)                                                                             \
			printk(fmt, ##__VA_ARGS__);                                                \
		0;                                                                                 \
	})
#define pr_info_once(fmt, ...) printk_once(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...) printk_once(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define printk_once(fmt, ...)                                                                      \
	({                                                                                         \
		static bool __print_once;                                                          \
		bool __ret = !__print_once;                                                        \
		if (!__print_once) {                                                               \
			__print_once = true;                                                       \
			printk(fmt, ##__VA_ARGS__);                                                \
		}                                                                                  \
		__ret;                                                                             \
	})
