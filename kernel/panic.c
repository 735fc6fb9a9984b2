/* panic(): report, symbolised frame-pointer backtrace, then halt or leave
 * QEMU with a failure status. Also dump_stack() and WARN_ON's slow path. */
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/ksyms.h>
#include <kelp/stacktrace.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <kelp/percpu.h>

bool panic_exit_qemu;
volatile int panic_in_progress;

/* Stacks the task layer allocates are unknown here: it sets this hook to
 * describe them. Returns true with [*lo, *hi) when addr is on such a stack. */
bool (*kstack_bounds_hook)(unsigned long addr, unsigned long *lo, unsigned long *hi);

#define PANIC_EXIT_CODE 0x11 /* QEMU status 35 */
#define BT_MAX_DEPTH 64
/* Without any stack knowledge, frames are trusted only this far above the
 * first one (bigger than any kernel stack we use). */
#define BT_UNKNOWN_WINDOW (64 * 1024)

/* The stack holding addr: a task stack (via the hook), or a stack-sized
 * bss object of the kernel image (the boot stack, the double-fault stacks). */
static bool stack_bounds(unsigned long addr, unsigned long *lo, unsigned long *hi)
{
	struct ksym s;

	if (kstack_bounds_hook && kstack_bounds_hook(addr, lo, hi))
		return true;
	if (ksym_lookup_addr(addr, &s, NULL) && (s.type == 'b' || s.type == 'B') &&
	    s.size >= 4096) {
		*lo = s.addr;
		*hi = s.addr + s.size;
		return true;
	}
	return false;
}

static void bt_bounds(unsigned long fp, unsigned long *lo, unsigned long *hi)
{
	if (!stack_bounds(fp, lo, hi)) {
		*lo = fp;
		*hi = fp + BT_UNKNOWN_WINDOW;
	}
}

static void bt_print(unsigned long addr, bool is_return)
{
	char sym[128];
	if (is_return)
		ksym_snprint_ret(sym, sizeof(sym), addr);
	else
		ksym_snprint(sym, sizeof(sym), addr);
	printk(KERN_EMERG " %s [<%016lx>]\n", sym, addr);
}

/* BT_MAX_DEPTH frames (return addresses and exception entries), each
 * printed as one line; an exception entry is followed by the interrupted
 * ip. */
static bool bt_entry(void *arg, const struct stack_entry *e)
{
	int *depth = arg;
	switch (e->kind) {
	case STACK_ENTRY_IP:
		bt_print(e->addr, false);
		return true;
	case STACK_ENTRY_RET:
		if (++*depth > BT_MAX_DEPTH)
			return false;
		bt_print(e->addr, true);
		return true;
	case STACK_ENTRY_TRAP:
		if (++*depth > BT_MAX_DEPTH)
			return false;
		printk(KERN_EMERG " <%s (vector %lu) error %#lx>\n",
		       e->vector < 256 ? trap_name((int)e->vector) : "?", e->vector, e->error);
		return true;
	}
	return false;
}

/* The walk itself is the unwinder's (arch/x86_64/stacktrace.c): it goes
 * on across exception entries into the interrupted code, possibly on
 * another stack, following frames only inside a known stack. */
void dump_backtrace(unsigned long fp, unsigned long ip)
{
	int depth = 0;
	printk(KERN_EMERG "Call Trace:\n");
	stack_trace_walk(fp, ip, bt_bounds, bt_entry, &depth);
}

void dump_stack(void)
{
	dump_backtrace(arch_frame_pointer(), 0);
}

static __noreturn void panic_finish(const char *msg)
{
	printk(KERN_EMERG "---[ end Kernel panic - not syncing: %s ]---\n", msg);
	if (panic_exit_qemu)
		arch_qemu_exit(PANIC_EXIT_CODE);
	arch_halt_forever();
}

/* A second panic while the first is printing must not recurse forever. */
static int panic_cpu = -1;

static void panic_enter(void)
{
	arch_irq_disable();
	int self = this_cpu()->cpu_id, first = -1;
	/* Another CPU panicking at the same time stops here: the first one's
	 * report is the one to read, and it ends the machine. */
	if (!__atomic_compare_exchange_n(&panic_cpu, &first, self, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST) &&
	    first != self)
		arch_halt_forever();
	if (__atomic_fetch_add(&panic_in_progress, 1, __ATOMIC_SEQ_CST)) {
		console_puts("\nKernel panic: recursive panic\n");
		if (panic_exit_qemu)
			arch_qemu_exit(PANIC_EXIT_CODE);
		arch_halt_forever();
	}
}

/* The message buffer is static: a panicking kernel may be short of stack,
 * and only one CPU gets past panic_enter(). */
static char panic_msg[256];

void panic(const char *fmt, ...)
{
	va_list ap;
	panic_enter();
	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", panic_msg);
	dump_backtrace(arch_frame_pointer(), 0);
	panic_finish(panic_msg);
}

void panic_trap(struct trap_frame *tf, const char *fmt, ...)
{
	va_list ap;
	panic_enter();
	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", panic_msg);
	trap_dump_regs(tf);
	/* Start at the faulting instruction, then its callers. */
	int depth = 0;
	printk(KERN_EMERG "Call Trace:\n");
	stack_trace_walk_trap(tf, bt_bounds, bt_entry, &depth);
	panic_finish(panic_msg);
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s at %s:%d\n", cond, file, line);
	dump_stack();
}
