/* Trap dispatch: registered handlers first, then expected-fault recovery,
 * then a panic with the register dump (kernel mode) or the user-fault hook. */
#include <arch/trap.h>
#include <asm/io.h>
#include <kelp/percpu.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/sched.h>

struct fault_catch {
	u64 rbx, rbp, r12, r13, r14, r15, rsp, rip; /* layout used by trap_entry.asm */
	struct fault_catch *prev;
	int vector;
	unsigned long addr;
};

extern int fault_catch_call(struct fault_catch *fc, void (*fn)(void *), void *arg);
extern char fault_catch_landing[];

static trap_handler_t trap_handlers[256];

/* Called for a fault from user mode that no handler took; the task layer
 * overrides it to kill the task. */
void (*trap_user_fault_hook)(struct trap_frame *tf);

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "int3", "overflow", "bounds", "invalid opcode",
	"device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack segment", "general protection fault", "page fault",
	"reserved", "x87 floating point", "alignment check", "machine check", "SIMD floating point",
	"virtualization", "control protection",
};

const char *trap_name(int vector)
{
	if (vector < 32)
		return exc_names[vector] ? exc_names[vector] : "reserved";
	if (vector == TRAP_SYSCALL)
		return "syscall";
	return "interrupt";
}

void trap_register(int vector, trap_handler_t fn)
{
	trap_handlers[vector] = fn;
}

void trap_dump_regs(const struct trap_frame *tf)
{
	printk(KERN_EMERG "CPU: %d  trap: %s (%lu) error: %#lx\n", this_cpu()->cpu_id,
	       trap_name(tf->vector), tf->vector, tf->error);
	printk(KERN_EMERG "RIP: %04lx:%pS\n", tf->cs, (void *)tf->rip);
	printk(KERN_EMERG "RSP: %04lx:%016lx EFLAGS: %08lx\n", tf->ss, tf->rsp, tf->rflags);
	printk(KERN_EMERG "RAX: %016lx RBX: %016lx RCX: %016lx\n", tf->rax, tf->rbx, tf->rcx);
	printk(KERN_EMERG "RDX: %016lx RSI: %016lx RDI: %016lx\n", tf->rdx, tf->rsi, tf->rdi);
	printk(KERN_EMERG "RBP: %016lx R08: %016lx R09: %016lx\n", tf->rbp, tf->r8, tf->r9);
	printk(KERN_EMERG "R10: %016lx R11: %016lx R12: %016lx\n", tf->r10, tf->r11, tf->r12);
	printk(KERN_EMERG "R13: %016lx R14: %016lx R15: %016lx\n", tf->r13, tf->r14, tf->r15);
	printk(KERN_EMERG "CR2: %016lx CR3: %016lx CR4: %016lx\n", read_cr2(), read_cr3(),
	       read_cr4());
}

int arch_catch_fault(void (*fn)(void *), void *arg, int *vector, unsigned long *addr)
{
	struct percpu *pc = this_cpu();
	struct fault_catch fc = { .prev = pc->fault_catch, .vector = -1 };
	pc->fault_catch = &fc;
	int faulted = fault_catch_call(&fc, fn, arg);
	pc->fault_catch = fc.prev;
	if (vector)
		*vector = fc.vector;
	if (addr)
		*addr = fc.addr;
	return faulted;
}

static void kernel_fault(struct trap_frame *tf)
{
	struct percpu *pc = this_cpu();
	unsigned long cr2 = tf->vector == TRAP_PF ? read_cr2() : 0;

	if (pc->fault_catch && tf->vector != TRAP_NMI && tf->vector != TRAP_DF) {
		struct fault_catch *fc = pc->fault_catch;
		fc->vector = (int)tf->vector;
		fc->addr = cr2;
		tf->rip = (u64)fault_catch_landing;
		tf->rdi = (u64)fc;
		return;
	}
	if (tf->vector == TRAP_PF) {
		printk(KERN_EMERG "BUG: unable to handle page fault for address: %016lx\n", cr2);
		printk(KERN_EMERG "#PF: supervisor %s access in kernel mode\n",
		       (tf->error & 16) ? "instruction fetch" : (tf->error & 2) ? "write" : "read");
		printk(KERN_EMERG "#PF: error_code(%#06lx) - %s\n", tf->error,
		       (tf->error & 1) ? "permissions violation" : "not-present page");
	}
	panic_trap(tf, "Fatal exception: %s in kernel mode", trap_name(tf->vector));
}

/* notrace: the int3 handler of text poking runs through here. */
static notrace void trap_handle(struct trap_frame *tf)
{
	int vec = (int)tf->vector;

	if (trap_handlers[vec]) {
		trap_handlers[vec](tf);
		return;
	}
	if (vec >= 32) {
		printk(KERN_WARNING "spurious interrupt on vector %d\n", vec);
		return;
	}
	if (trap_from_user(tf)) {
		if (trap_user_fault_hook) {
			trap_user_fault_hook(tf);
			return;
		}
		panic_trap(tf, "%s in user mode with no task layer", trap_name(vec));
	}
	kernel_fault(tf);
}

/* After the handler: preemption or the exit-to-user work (kernel/sched/core.c). */
notrace void trap_dispatch(struct trap_frame *tf)
{
	trap_handle(tf);
	irqentry_exit(tf);
}
