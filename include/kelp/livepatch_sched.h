/* The scheduler's hook points for livepatch's consistency model
 * (livepatch/transition.c): the idle loop and the way back to user mode call
 * klp_update_patch_state(), and schedule()/cond_resched() call
 * klp_sched_try_switch() while the current task has TIF_PATCH_PENDING (and so
 * does do_exit(), before the last switch), so a
 * task that is provably outside every function being changed switches to the
 * target patch state. */
#pragma once
#include <kelp/compiler.h>

struct task;

/* task->patch_state (Linux's KLP_UNDEFINED, renamed TRANSITION_IDLE in 6.10) */
#define KLP_UNDEFINED -1
#define KLP_TRANSITION_IDLE KLP_UNDEFINED
#define KLP_UNPATCHED 0
#define KLP_PATCHED 1

/* Switch t (current, or a task that cannot run) if it has TIF_PATCH_PENDING. */
void klp_update_patch_state(struct task *t);
/* Check current's own stack and switch it when no changing function is on
 * it; also nudges the transition worker. Call only with TIF_PATCH_PENDING. */
void klp_sched_try_switch(void);
