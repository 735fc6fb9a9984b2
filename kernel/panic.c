/* panic(): report, backtrace, then halt or leave QEMU with a failure status. */
#include <panic.h>
#include <printk.h>
#include <string.h>
#include <ksyms.h>
#include <arch/cpu.h>
#include <arch/trap.h>

bool panic_exit_qemu;
volatile int panic_in_progress;

#define PANIC_EXIT_CODE 0x11 /* QEMU status 35 */

/* Walk the frame-pointer chain: each frame is [saved rbp][return address].
 * Stops at a NULL/misaligned/non-increasing frame or after 64 frames. */
void dump_backtrace(unsigned long fp, unsigned long ip)
{
	printk(KERN_EMERG "Call Trace:\n");
	if (ip)
		printk(KERN_EMERG " [<%016lx>] %pS\n", ip, (void *)ip);
	for (int depth = 0; fp && depth < 64; depth++) {
		if (!IS_ALIGNED(fp, 8) || fp < 0xffff800000000000UL)
			break;
		unsigned long next = ((unsigned long *)fp)[0];
		unsigned long ret = ((unsigned long *)fp)[1];
		if (!ret)
			break;
		printk(KERN_EMERG " [<%016lx>] %pS\n", ret, (void *)ret);
		if (next && next <= fp)
			break;
		fp = next;
	}
}

void dump_stack(void)
{
	dump_backtrace(arch_frame_pointer(), 0);
}

static __noreturn void panic_finish(void)
{
	printk(KERN_EMERG "---[ end Kernel panic ]---\n");
	if (panic_exit_qemu)
		arch_qemu_exit(PANIC_EXIT_CODE);
	arch_halt_forever();
}

/* A second panic while the first is printing must not recurse forever. */
static bool panic_enter(void)
{
	arch_irq_disable();
	if (__atomic_fetch_add(&panic_in_progress, 1, __ATOMIC_SEQ_CST)) {
		console_puts("\nKernel panic: recursive panic\n");
		if (panic_exit_qemu)
			arch_qemu_exit(PANIC_EXIT_CODE);
		arch_halt_forever();
	}
	return true;
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	panic_enter();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", msg);
	dump_backtrace(arch_frame_pointer(), 0);
	panic_finish();
}

void panic_trap(struct trap_frame *tf, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	panic_enter();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", msg);
	trap_dump_regs(tf);
	dump_backtrace(tf->rbp, tf->rip);
	panic_finish();
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s at %s:%d\n", cond, file, line);
	dump_stack();
}
