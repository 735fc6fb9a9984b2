/* The instructions the tracer writes into fentry sites
 * (kernel/trace/ftrace.c), and the register frame its trampolines hand to
 * handlers: the arch defines both, in <asm/ftrace.h>. */
#pragma once
#include <kelp/compiler.h>

/* ARCH_FTRACE_INSN_SIZE: the bytes of one site (the compiler's fentry call).
 * ARCH_FTRACE_NOP: an initializer for the NOP of that size. */

/* Whether a call or jmp at site can reach target. */
static inline bool arch_ftrace_reaches(unsigned long site, unsigned long target);
/* Encode at insn a call (a jmp) from site to target; it must reach. */
static inline void arch_ftrace_make_call(u8 *insn, unsigned long site, unsigned long target);
static inline void arch_ftrace_make_jmp(u8 *insn, unsigned long site, unsigned long target);
/* Whether the site bytes insn are a jmp (arch_ftrace_make_jmp's). */
static inline bool arch_ftrace_is_jmp(const u8 *insn);

/* struct ftrace_regs: what a trampoline saved. Without
 * FTRACE_OPS_FL_SAVE_REGS only the argument registers, the stack pointer
 * and the resume address are valid. */
struct ftrace_regs;
/* Where the traced function resumes (its address + the site size); setting
 * it redirects the call (FTRACE_OPS_FL_IPMODIFY). */
static inline unsigned long ftrace_regs_get_ip(struct ftrace_regs *fregs);
static inline void ftrace_regs_set_ip(struct ftrace_regs *fregs, unsigned long ip);
static inline unsigned long ftrace_regs_get_sp(struct ftrace_regs *fregs);
/* The nth integer argument (0-based) of the traced call. */
static inline unsigned long ftrace_regs_get_argument(struct ftrace_regs *fregs, int n);
/* The full register set, or NULL when the ops did not ask for SAVE_REGS. */
static inline struct trap_frame *ftrace_get_regs(struct ftrace_regs *fregs);

#include <asm/ftrace.h>
