/* The arch's livepatch trampolines (arch/x86_64/klp_tramp.asm): a lean
 * direct trampoline per patched function, which livepatch/patch.c hands to
 * ftrace as its klp_ops' ftrace_ops.direct. The bodies and the slot count
 * are the arch's, in <asm/livepatch.h>. */
#pragma once
#include <kelp/compiler.h>

struct list_head;

/* ARCH_KLP_NR_TRAMPS: how many trampolines there are; a patched function
 * beyond them keeps the generic trampoline and klp_ftrace_handler(). */

/* Trampoline i chooses, as klp_ftrace_handler() does, among the funcs on the
 * stack whose head is arch_klp_tramp_stack[i] (a klp_ops' func_stack). Set
 * the head before any site calls arch_klp_tramp_table[i]; clear it only a
 * grace period after the last one stopped (the trampoline is an RCU
 * reader). Written under klp_mutex. */
extern struct list_head *arch_klp_tramp_stack[];
extern const unsigned long arch_klp_tramp_table[];

#include <asm/livepatch.h>
