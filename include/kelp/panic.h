/* panic(), BUG_ON and WARN_ON. */
#pragma once
#include <kelp/compiler.h>

struct trap_frame;

__noreturn void panic(const char *fmt, ...) __printf(1, 2);
/* Panic from a CPU exception: prints the trap's registers and backtrace. */
__noreturn void panic_trap(struct trap_frame *tf, const char *fmt, ...) __printf(2, 3);
/* When set (cmdline "panic_exit" or "selftest"), panic leaves QEMU with a
 * failure status instead of halting. */
extern bool panic_exit_qemu;
extern volatile int panic_in_progress;

/* Print a frame-pointer backtrace: ip first (when non-zero), then the
 * callers found from frame pointer fp, continuing across exception entries. */
void dump_backtrace(unsigned long fp, unsigned long ip);
void dump_stack(void);
/* Set by the task layer: whether addr is on a kernel stack it allocated,
 * and that stack's bounds. The unwinder follows frames only inside a known
 * stack (the image's own stacks are found through the symbol table). */
extern bool (*kstack_bounds_hook)(unsigned long addr, unsigned long *lo, unsigned long *hi);

#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)
#define BUG_ON(c)                                                                                  \
	do {                                                                                       \
		if (unlikely(c))                                                                   \
			panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__);                      \
	} while (0)
void warn_slowpath(const char *file, int line, const char *cond);
#define WARN_ON(c)                                                                                 \
	({                                                                                         \
		bool __w = !!(c);                                                                  \
		if (unlikely(__w))                                                                 \
			warn_slowpath(__FILE__, __LINE__, #c);                                     \
		__w;                                                                               \
	})
