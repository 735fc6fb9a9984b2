/* The scheduler's hook points for livepatch's consistency model. Livepatch
 * (a later issue) replaces these no-ops: the idle loop and the way back to
 * user mode call klp_update_patch_state() so a task that is provably outside
 * any patched function switches to the target patch state. */
#pragma once
#include <compiler.h>

struct task;

#define KLP_UNDEFINED -1
#define KLP_UNPATCHED 0
#define KLP_PATCHED 1

#ifndef CONFIG_LIVEPATCH_SCHED_HOOKS
static inline void klp_update_patch_state(struct task *t) { (void)t; }
#else
void klp_update_patch_state(struct task *t);
#endif
