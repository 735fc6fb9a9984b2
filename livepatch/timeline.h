/* The record of livepatch transitions (livepatch/timeline.c) and what the
 * tools read from it (livepatch/status.c): per transition, when each task
 * was marked, each check that found it blocked and why, when it switched,
 * and the transition's start, reversal and completion, in guest time.
 *
 * Every hook runs where transition.c already holds klp_mutex (the worker,
 * the sysfs stores, enable), some also under tasklist_lock with interrupts
 * off: they take no lock, allocate nothing and print nothing. Readers hold
 * klp_mutex. */
#pragma once
#include "core.h"
#include <kelp/sched.h>
#include <kelp/module.h>
#include <kelp/seq_file.h>

/* klp_timeline_check()'s ret beyond transition.c's own: the task was found
 * already in the target state (it switched itself at a switch point). */
#define KLP_TL_FOUND_SWITCHED 1

void klp_timeline_start(struct klp_patch *patch, int target);
void klp_timeline_check(struct task *task, int ret, const char *func);
void klp_timeline_force(void);
void klp_timeline_complete(struct klp_patch *patch, int target);
/* /sys/kernel/livepatch/NAME/transition_status; 0 or -ENOMEM. */
int klp_timeline_sysfs(struct pfs_node *dir, struct klp_patch *patch);

/* ---- shared with status.c ---- */

#define KLP_TL_LOGS 2 /* transitions kept: the current and one before */
#define KLP_TL_TASKS 128 /* tasks followed per transition (more: counted) */
/* Their hash table: twice as many slots, so that it never fills and the
 * lookup of a task it does not follow (every task past the first 128, in
 * every round) ends at an empty slot after a few probes, not a full scan. */
#define KLP_TL_SLOTS_BITS 8
#define KLP_TL_SLOTS (1u << KLP_TL_SLOTS_BITS)
BUILD_BUG_ON(KLP_TL_SLOTS < 2 * KLP_TL_TASKS);
/* events per transition (more: counted); both logs' text stays well
 * inside the 64 KiB a pseudo-file reads as */
#define KLP_TL_EVENTS 384
#define KLP_TL_FUNCS 16 /* distinct function names per transition */
#define KLP_TL_FUNC_LEN 48
#define KLP_TL_FATES 8 /* patches freed without their own module unloading */

enum klp_tl_kind {
	KLP_TL_START,
	KLP_TL_REVERSE,
	KLP_TL_COMPLETE,
	KLP_TL_MARK,
	KLP_TL_BLOCK,
	KLP_TL_SWITCH
};
/* Why a check failed (BLOCK) or how a task switched (SWITCH). */
enum klp_tl_why {
	KLP_TL_RUNNING,
	KLP_TL_UNRELIABLE,
	KLP_TL_SLEEPING,
	KLP_TL_ERROR,
	KLP_TL_SELF,
	KLP_TL_CHECKED,
	KLP_TL_EXITED,
	KLP_TL_FORCED,
	KLP_TL_BACK,
	KLP_TL_NONE
};

struct klp_tl_event {
	u64 t0, t1; /* ns; a BLOCK lasts until the task's next event */
	u32 count; /* checks a BLOCK stands for */
	int pid; /* -1: the transition itself */
	s16 err; /* KLP_TL_ERROR's code */
	u8 kind, why, func; /* func: index into funcs[], 0xff none */
};

struct klp_tl_task {
	bool used;
	int pid; /* the idle task's is 0 */
	char comm[TASK_COMM_LEN];
	bool pending; /* marked and not switched yet */
	u8 why, func; /* the last failed check's reason */
	u32 checks;
	int ev; /* its open BLOCK event, -1 none */
};

struct klp_tl_log {
	bool used, active; /* active: the transition runs */
	bool reversed, forced;
	char name[MODULE_NAME_LEN];
	const struct klp_patch *patch; /* while active only: patches get freed */
	int target; /* KLP_PATCHED / KLP_UNPATCHED, as of now */
	u64 seq; /* order of the logs */
	u64 start, end; /* ns; end 0 while active */
	unsigned int ntasks, untracked;
	unsigned int nslots; /* tasks[] slots in use, at most KLP_TL_TASKS */
	struct klp_tl_task tasks[KLP_TL_SLOTS];
	unsigned int nev, dropped;
	struct klp_tl_event ev[KLP_TL_EVENTS];
	unsigned int nfuncs;
	char funcs[KLP_TL_FUNCS][KLP_TL_FUNC_LEN];
};

struct klp_tl_fate {
	char name[MODULE_NAME_LEN];
	char by[MODULE_NAME_LEN]; /* "" : disabled itself */
};

extern struct klp_tl_log klp_tl_logs[KLP_TL_LOGS];
extern struct klp_tl_fate klp_tl_fates[KLP_TL_FATES];
const char *klp_tl_why_name(u8 why);
/* The newest log of name (NULL: the newest of all), or NULL. */
struct klp_tl_log *klp_tl_find(const char *name);
/* The fate of a patch that is gone but whose module stays, or NULL. */
const struct klp_tl_fate *klp_tl_fate(const char *name);
void klp_tl_show_status(struct seq_file *m, const struct klp_tl_log *l);
