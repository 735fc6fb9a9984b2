/* panic(): report, symbolised frame-pointer backtrace, then halt or leave
 * QEMU with a failure status. Also dump_stack() and WARN_ON's slow path. */
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/ksyms.h>
#include <arch/cpu.h>
#include <arch/trap.h>

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
#define HIGHER_HALF 0xffff800000000000UL

extern char trap_common_ret[];

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

struct bt_state {
	unsigned long lo, hi; /* the stack the walk is on */
	bool known;
};

static void bt_enter_stack(struct bt_state *st, unsigned long fp)
{
	st->known = stack_bounds(fp, &st->lo, &st->hi);
	if (!st->known) {
		st->lo = fp;
		st->hi = fp + BT_UNKNOWN_WINDOW;
	}
}

/* A frame record [saved rbp][return address] at fp is followed only when
 * it lies wholly inside the stack being walked. */
static bool bt_frame_ok(const struct bt_state *st, unsigned long fp)
{
	return fp >= HIGHER_HALF && IS_ALIGNED(fp, 8) && fp >= st->lo && fp + 16 <= st->hi;
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

/* Walk the frame-pointer chain from fp. Each frame is [saved rbp][return
 * address]; a return address of trap_common_ret means the next record was
 * pushed by the exception entry: it holds the interrupted rbp and rip, and
 * the struct trap_frame sits right above it, so the walk goes on into the
 * interrupted code (possibly on another stack). */
void dump_backtrace(unsigned long fp, unsigned long ip)
{
	struct bt_state st;
	unsigned long prev = 0;

	printk(KERN_EMERG "Call Trace:\n");
	if (ip)
		bt_print(ip, false);
	bt_enter_stack(&st, fp);
	for (int depth = 0; depth < BT_MAX_DEPTH; depth++) {
		if (!bt_frame_ok(&st, fp) || fp <= prev)
			break;
		unsigned long next = ((unsigned long *)fp)[0];
		unsigned long ret = ((unsigned long *)fp)[1];
		if (!ret)
			break;
		if (ret == (unsigned long)trap_common_ret && bt_frame_ok(&st, next) &&
		    next + 16 + sizeof(struct trap_frame) <= st.hi) {
			const struct trap_frame *tf = (const void *)(next + 16);
			unsigned long rip = ((unsigned long *)next)[1];
			printk(KERN_EMERG " <%s (vector %lu) error %#lx>\n",
			       tf->vector < 256 ? trap_name((int)tf->vector) : "?", tf->vector,
			       tf->error);
			if (!rip)
				break;
			/* The interrupted rip faulted or was interrupted, it is
			 * not a return address. */
			bt_print(rip, false);
			prev = 0;
			fp = ((unsigned long *)next)[0];
			bt_enter_stack(&st, fp);
			continue;
		}
		bt_print(ret, true);
		prev = fp;
		fp = next;
	}
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
static void panic_enter(void)
{
	arch_irq_disable();
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
	dump_backtrace(tf->rbp, tf->rip);
	panic_finish(panic_msg);
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s at %s:%d\n", cond, file, line);
	dump_stack();
}
