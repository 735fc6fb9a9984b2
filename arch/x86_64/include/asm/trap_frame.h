/* x86_64 struct trap_frame (the layout trap_frame.inc gives the entry asm),
 * the vector numbers, and the bodies of <arch/trap.h>'s inline predicates.
 * Included by <arch/trap.h> only. */
#pragma once
#include <kelp/compiler.h>
#include <asm/cpu.h>

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

static inline bool trap_is_syscall(const struct trap_frame *tf) { return tf->vector == TRAP_SYSCALL; }
static inline bool trap_from_user(const struct trap_frame *tf) { return (tf->cs & 3) != 0; }
static inline bool arch_trap_is_irq(const struct trap_frame *tf)
{
	return tf->vector >= IRQ_BASE && tf->vector < TRAP_SYSCALL;
}
static inline bool arch_trap_is_page_fault(const struct trap_frame *tf) { return tf->vector == TRAP_PF; }
static inline bool arch_trap_irqs_enabled(const struct trap_frame *tf)
{
	return arch_flags_irqs_enabled(tf->rflags);
}
static inline unsigned long arch_trap_ip(const struct trap_frame *tf) { return tf->rip; }
static inline unsigned long arch_trap_sp(const struct trap_frame *tf) { return tf->rsp; }
static inline int arch_trap_vector(const struct trap_frame *tf) { return (int)tf->vector; }
static inline unsigned long arch_trap_error(const struct trap_frame *tf) { return tf->error; }
