/* The register frame saved by every exception and interrupt entry, and the
 * hooks generic code uses to handle traps and catch expected faults. */
#pragma once
#include <kelp/compiler.h>

struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	/* pushed by the CPU */
	u64 rip, cs, rflags, rsp, ss;
};

#define TRAP_DE 0
#define TRAP_DB 1
#define TRAP_NMI 2
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_DF 8
#define TRAP_GP 13
#define TRAP_PF 14
#define IRQ_BASE 32
/* tf->vector of the frame syscall_entry builds (no hardware vector has it);
 * tf->error then holds the syscall number. */
#define TRAP_SYSCALL 256

typedef void (*trap_handler_t)(struct trap_frame *tf);
void trap_register(int vector, trap_handler_t fn);
static inline bool trap_is_syscall(const struct trap_frame *tf) { return tf->vector == TRAP_SYSCALL; }
static inline bool trap_from_user(const struct trap_frame *tf) { return (tf->cs & 3) != 0; }
/* An external interrupt (as opposed to an exception or a syscall). */
static inline bool arch_trap_is_irq(const struct trap_frame *tf)
{
	return tf->vector >= IRQ_BASE && tf->vector < TRAP_SYSCALL;
}
static inline bool arch_trap_is_page_fault(const struct trap_frame *tf) { return tf->vector == TRAP_PF; }
/* Whether the interrupted context had interrupts enabled. */
static inline bool arch_trap_irqs_enabled(const struct trap_frame *tf) { return tf->rflags & (1UL << 9); }
const char *trap_name(int vector);
void trap_dump_regs(const struct trap_frame *tf);

/* Run fn(arg); if it takes a CPU exception, return instead of panicking.
 * Returns 0 when fn returned normally, 1 when it faulted (vector and fault
 * address in *vector and *addr). */
int arch_catch_fault(void (*fn)(void *), void *arg, int *vector, unsigned long *addr);

/* syscall/sysret (arch/x86_64/syscall.c): program this CPU's MSRs. */
void arch_syscall_init_cpu(void);
/* Prepare t's first return to user mode (arch/x86_64/process.c): to entry
 * with stack pointer usp and arguments arg0, arg1, through the frame
 * arch_user_frame(t), from a stack arch_switch_to can resume. Sets t->ksp
 * and t->first_frame. */
struct task;
void arch_user_task_init(struct task *t, unsigned long entry, unsigned long usp, unsigned long arg0,
			 unsigned long arg1);
/* The frame an entry from user mode leaves at the top of t's kernel stack. */
struct trap_frame *arch_user_frame(struct task *t);
/* The first C code a new user task runs (kernel/user/user.c): finish the
 * switch, then the exit-to-user work on its prepared frame. */
void user_task_start_c(void *prev);
/* The address of the last page fault (cr2): for fault reports. */
unsigned long arch_fault_address(void);
