/* The instructions the tracer writes into fentry sites
 * (kernel/trace/ftrace.c): the arch encodes them, in <asm/ftrace.h>. */
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

#include <asm/ftrace.h>
