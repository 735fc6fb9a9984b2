/* x86_64 bodies of <arch/ftrace.h>: a site is 5 bytes, the NOP is
 * 0f 1f 44 00 00, calls and jumps are e8/e9 with a rel32 from the end of
 * the site; the handlers' register frame is struct trap_frame's layout.
 * Included by <arch/ftrace.h> only. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/string.h>
#include <arch/trap.h>

#define ARCH_FTRACE_INSN_SIZE 5
#define ARCH_FTRACE_NOP { 0x0f, 0x1f, 0x44, 0x00, 0x00 }

#define X86_OP_CALL_REL32 0xe8
#define X86_OP_JMP_REL32 0xe9

static inline bool arch_ftrace_reaches(unsigned long site, unsigned long target)
{
	long d = (long)(target - (site + ARCH_FTRACE_INSN_SIZE));
	return d == (long)(s32)d;
}

static inline void x86_ftrace_make_rel(u8 *insn, u8 opcode, unsigned long site, unsigned long target)
{
	s32 rel = (s32)(long)(target - (site + ARCH_FTRACE_INSN_SIZE));
	insn[0] = opcode;
	memcpy(insn + 1, &rel, 4);
}

static inline void arch_ftrace_make_call(u8 *insn, unsigned long site, unsigned long target)
{
	x86_ftrace_make_rel(insn, X86_OP_CALL_REL32, site, target);
}

static inline void arch_ftrace_make_jmp(u8 *insn, unsigned long site, unsigned long target)
{
	x86_ftrace_make_rel(insn, X86_OP_JMP_REL32, site, target);
}

static inline bool arch_ftrace_is_jmp(const u8 *insn) { return insn[0] == X86_OP_JMP_REL32; }

/* The register frame handed to handlers, laid out as struct trap_frame.
 * Without FTRACE_OPS_FL_SAVE_REGS only the argument registers (rdi, rsi,
 * rdx, rcx, r8, r9), rax, rbp, rip and rsp are valid, and cs is 0. rip is
 * where the traced function resumes (its address + 5). */
struct ftrace_regs {
	struct trap_frame regs;
};

static inline void ftrace_regs_set_ip(struct ftrace_regs *fregs, unsigned long ip)
{
	fregs->regs.rip = ip;
}
static inline unsigned long ftrace_regs_get_ip(struct ftrace_regs *fregs)
{
	return fregs->regs.rip;
}
static inline unsigned long ftrace_regs_get_sp(struct ftrace_regs *fregs)
{
	return fregs->regs.rsp;
}
static inline unsigned long ftrace_regs_get_argument(struct ftrace_regs *fregs, int n)
{
	switch (n) {
	case 0: return fregs->regs.rdi;
	case 1: return fregs->regs.rsi;
	case 2: return fregs->regs.rdx;
	case 3: return fregs->regs.rcx;
	case 4: return fregs->regs.r8;
	case 5: return fregs->regs.r9;
	}
	return 0;
}
/* The full register set, or NULL when the ops did not ask for SAVE_REGS. */
static inline struct trap_frame *ftrace_get_regs(struct ftrace_regs *fregs)
{
	return fregs && fregs->regs.cs ? &fregs->regs : NULL;
}
