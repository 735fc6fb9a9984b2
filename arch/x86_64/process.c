/* How a new task's first switch is built. A kernel thread: the stack
 * arch_switch_to resumes into kthread_trampoline (switch.asm). A user task:
 * the trap frame an entry from user mode would have left at the top of its
 * kernel stack, and below it the stack arch_switch_to resumes into
 * user_task_trampoline (syscall_entry.asm), which returns through that
 * frame. */
#include <kelp/sched.h>
#include <kelp/string.h>
#include <arch/trap.h>
#include <arch/switch.h>
#include <asm/gdt.h>

extern char user_task_trampoline[];
extern char kthread_trampoline[];

void arch_kthread_init(struct task *t)
{
	/* Six callee-saved registers (rbp = 0), then kthread_trampoline as
	 * the return address, which leaves rsp 16-byte aligned at its call,
	 * so kthread_start_c's frame record sits at stack_top - 32. */
	unsigned long *sp = (unsigned long *)t->stack_top;
	*--sp = 0;
	*--sp = 0;
	*--sp = (unsigned long)kthread_trampoline;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->ksp = (unsigned long)sp;
	t->first_frame = t->stack_top - 32;
}

#define RFLAGS_IF (1UL << 9)
#define RFLAGS_RESERVED (1UL << 1) /* always reads as 1 */

struct trap_frame *arch_user_frame(struct task *t)
{
	return (struct trap_frame *)(t->stack_top - sizeof(struct trap_frame));
}

void arch_user_task_init(struct task *t, unsigned long entry, unsigned long usp, unsigned long arg0,
			 unsigned long arg1)
{
	struct trap_frame *tf = arch_user_frame(t);
	memset(tf, 0, sizeof(*tf));
	tf->rip = entry;
	tf->cs = GDT_USER_CS | 3;
	tf->ss = GDT_USER_DS | 3;
	tf->rsp = usp;
	tf->rflags = RFLAGS_IF | RFLAGS_RESERVED;
	tf->rdi = arg0;
	tf->rsi = arg1;
	tf->vector = TRAP_SYSCALL;
	/* Below it: the end-of-chain record, then what arch_switch_to pops. */
	unsigned long *sp = (unsigned long *)tf;
	*--sp = entry;
	*--sp = 0;
	t->first_frame = (unsigned long)sp;
	*--sp = (unsigned long)user_task_trampoline;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->ksp = (unsigned long)sp;
}
