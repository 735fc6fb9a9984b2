/* syscall/sysret: the MSRs that route the syscall instruction to
 * syscall_entry (syscall_entry.asm), and syscall_dispatch, which turns the
 * saved frame into a call of the handler table in kernel/user/syscall.c and runs
 * the exit-to-user work before the asm returns. */
#define pr_fmt(fmt) "syscall: " fmt
#include <arch/trap.h>
#include <asm/io.h>
#include <asm/gdt.h>
#include <arch/cpu.h>
#include <kelp/percpu.h>
#include <kelp/sched.h>
#include <kelp/syscall.h>
#include <kelp/init.h>
#include <kelp/printk.h>

/* syscall_entry.asm reads these by fixed offset. */
BUILD_BUG_ON(offsetof(struct percpu, kernel_stack_top) != 32);
BUILD_BUG_ON(offsetof(struct percpu, user_rsp_scratch) != 40);
BUILD_BUG_ON(sizeof(struct trap_frame) != 22 * 8);

extern char syscall_entry[];

#define RFLAGS_TF (1UL << 8)
#define RFLAGS_IF (1UL << 9)
#define RFLAGS_DF (1UL << 10)
#define RFLAGS_NT (1UL << 14)
#define RFLAGS_AC (1UL << 18)

void arch_syscall_init_cpu(void)
{
	/* sysret loads CS from STAR[63:48] + 16 and SS from + 8 (0x28|3 and
	 * 0x20|3); syscall CS from STAR[47:32] and SS from + 8. */
	wrmsr(MSR_STAR, ((u64)GDT_USER_CS32 << 48) | ((u64)GDT_KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	/* Enter with interrupts off (the stack switch is not yet done) and
	 * the flags the kernel's C code assumes. */
	wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_NT | RFLAGS_AC);
}

static int syscall_setup(void)
{
	if (!(rdmsr(MSR_EFER) & 1))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);
	arch_syscall_init_cpu();
	pr_info("syscall/sysret ready (entry %p)\n", (void *)syscall_entry);
	return 0;
}
core_initcall(syscall_setup);

/* Traceable, like the handlers: it runs in task context on the task's own
 * stack with a complete frame chain above it. */
void syscall_dispatch(struct trap_frame *tf)
{
	arch_irq_enable();
	tf->rax = (u64)do_syscall(tf->error, tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
	arch_irq_disable();
	exit_to_user_mode_work(tf);
}

unsigned long arch_fault_address(void)
{
	return read_cr2();
}
