/* Traps: the register frame saved by every exception, interrupt and
 * syscall entry (struct trap_frame; its layout is the arch's,
 * <asm/trap_frame.h>), the predicates generic code asks about it, and the
 * hooks generic code uses to handle traps and catch expected faults. */
#pragma once
#include <kelp/compiler.h>
#include <asm/trap_frame.h>

typedef void (*trap_handler_t)(struct trap_frame *tf);
void trap_register(int vector, trap_handler_t fn);
/* A syscall's frame (syscall_entry) rather than an interrupt's or exception's. */
static inline bool trap_is_syscall(const struct trap_frame *tf);
/* The trap was taken in user mode. */
static inline bool trap_from_user(const struct trap_frame *tf);
/* An external interrupt (as opposed to an exception or a syscall). */
static inline bool arch_trap_is_irq(const struct trap_frame *tf);
static inline bool arch_trap_is_page_fault(const struct trap_frame *tf);
/* Whether the interrupted context had interrupts enabled. */
static inline bool arch_trap_irqs_enabled(const struct trap_frame *tf);
/* Where the trapped context was (instruction and stack pointer), the trap's
 * vector and its error code, for reports and checks in generic code. */
static inline unsigned long arch_trap_ip(const struct trap_frame *tf);
static inline unsigned long arch_trap_sp(const struct trap_frame *tf);
static inline int arch_trap_vector(const struct trap_frame *tf);
static inline unsigned long arch_trap_error(const struct trap_frame *tf);
/* The trap's name ("#PF", ...) for reports. */
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
