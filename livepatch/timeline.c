/* The transition timeline: a bounded per-transition event log, filled by
 * one-line hooks in transition.c, read as /sys/kernel/debug/livepatch/timeline
 * (klpctl timeline turns it into Chrome Trace Event JSON and a picture).
 *
 * Checks repeat every few milliseconds while a task blocks, so a run of
 * failed checks with the same reason is one BLOCK event with a count; a
 * BLOCK lasts until the task's next event. A task that switched itself (at
 * a switch point) is seen by the next check round, which comes at once (the
 * switch kicks the worker): its SWITCH time is that round's. */
#define pr_fmt(fmt) "livepatch: " fmt
#include "timeline.h"
#include <kelp/time.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/pseudofs.h>
#include <kelp/init.h>

struct klp_tl_log klp_tl_logs[KLP_TL_LOGS];
struct klp_tl_fate klp_tl_fates[KLP_TL_FATES];
static struct klp_tl_log *klp_tl_cur; /* the active log, or NULL */
static u64 klp_tl_seq;

static const char *const klp_tl_why_names[] = {
	[KLP_TL_RUNNING] = "running",	[KLP_TL_UNRELIABLE] = "unreliable_stack",
	[KLP_TL_SLEEPING] = "sleeping", [KLP_TL_ERROR] = "error",
	[KLP_TL_SELF] = "self",		[KLP_TL_CHECKED] = "checked",
	[KLP_TL_EXITED] = "exited",	[KLP_TL_FORCED] = "forced",
	[KLP_TL_BACK] = "never_left",	[KLP_TL_NONE] = "-",
};
static const char *const klp_tl_kind_names[] = {
	[KLP_TL_START] = "start", [KLP_TL_REVERSE] = "reverse", [KLP_TL_COMPLETE] = "complete",
	[KLP_TL_MARK] = "mark",	  [KLP_TL_BLOCK] = "block",	[KLP_TL_SWITCH] = "switch",
};

const char *klp_tl_why_name(u8 why)
{
	return why <= KLP_TL_NONE ? klp_tl_why_names[why] : "?";
}

static struct klp_tl_event *klp_tl_add(struct klp_tl_log *l, u8 kind, int pid, u8 why, u64 t)
{
	struct klp_tl_event *e;

	if (l->nev == KLP_TL_EVENTS) {
		l->dropped++;
		return NULL;
	}
	e = &l->ev[l->nev++];
	e->t0 = e->t1 = t;
	e->count = 0;
	e->pid = pid;
	e->err = 0;
	e->kind = kind;
	e->why = why;
	e->func = 0xff;
	return e;
}

/* The transition's own events carry its direction. */
static void klp_tl_add_target(struct klp_tl_log *l, u8 kind, int target, u64 t)
{
	struct klp_tl_event *e = klp_tl_add(l, kind, -1, KLP_TL_NONE, t);

	if (e)
		e->err = (s16)target;
}

/* Open addressing on the pid: the hooks run for every task every round.
 * Pids come in runs (threads started together), which a plain pid % slots
 * would lay out as one cluster that every absent pid landing in it probes
 * to its end; a multiplicative hash spreads a run over the table. */
static struct klp_tl_task *klp_tl_task(struct klp_tl_log *l, int pid, bool add)
{
	unsigned int h = ((u32)pid * 0x9e3779b1u) >> (32 - KLP_TL_SLOTS_BITS);

	for (unsigned int i = 0; i < KLP_TL_SLOTS; i++) {
		struct klp_tl_task *t = &l->tasks[(h + i) % KLP_TL_SLOTS];
		if (t->used && t->pid == pid)
			return t;
		if (!t->used) {
			if (!add || l->nslots == KLP_TL_TASKS)
				return NULL;
			l->nslots++;
			t->used = true;
			t->pid = pid;
			t->ev = -1;
			return t;
		}
	}
	return NULL;
}

static u8 klp_tl_func(struct klp_tl_log *l, const char *name)
{
	if (!name)
		return 0xff;
	for (unsigned int i = 0; i < l->nfuncs; i++)
		if (!strncmp(l->funcs[i], name, KLP_TL_FUNC_LEN - 1))
			return (u8)i;
	if (l->nfuncs == KLP_TL_FUNCS)
		return 0xff;
	strlcpy(l->funcs[l->nfuncs], name, KLP_TL_FUNC_LEN);
	return (u8)l->nfuncs++;
}

/* Ends a task's open BLOCK at t: it lasted until this event. */
static void klp_tl_close(struct klp_tl_log *l, struct klp_tl_task *t, u64 now)
{
	if (t->ev >= 0)
		l->ev[t->ev].t1 = now;
	t->ev = -1;
}

static void klp_tl_switch(struct klp_tl_log *l, struct klp_tl_task *t, u8 how, u64 now)
{
	klp_tl_close(l, t, now);
	klp_tl_add(l, KLP_TL_SWITCH, t->pid, how, now);
	t->pending = false;
}

static void klp_tl_fate_clear(const char *name)
{
	for (unsigned int i = 0; i < KLP_TL_FATES; i++)
		if (!strcmp(klp_tl_fates[i].name, name))
			klp_tl_fates[i].name[0] = 0;
}

static void klp_tl_fate_set(const char *name, const char *by)
{
	struct klp_tl_fate *f = NULL;

	klp_tl_fate_clear(name);
	for (unsigned int i = 0; i < KLP_TL_FATES && !f; i++)
		if (!klp_tl_fates[i].name[0])
			f = &klp_tl_fates[i];
	if (!f) { /* the oldest goes: slots shift down */
		memmove(&klp_tl_fates[0], &klp_tl_fates[1],
			sizeof(klp_tl_fates[0]) * (KLP_TL_FATES - 1));
		f = &klp_tl_fates[KLP_TL_FATES - 1];
	}
	strlcpy(f->name, name, sizeof(f->name));
	strlcpy(f->by, by ? by : "", sizeof(f->by));
}

void klp_timeline_start(struct klp_patch *patch, int target)
{
	struct klp_tl_log *l = klp_tl_cur;
	struct task *task;
	unsigned long flags;
	u64 now = ktime_get_ns();
	bool reverse = l && l->active && l->patch == patch;

	if (!reverse) {
		/* the other slot, unless this patch's last log is there */
		l = &klp_tl_logs[0];
		for (int i = 0; i < KLP_TL_LOGS; i++) {
			if (!klp_tl_logs[i].used) {
				l = &klp_tl_logs[i];
				break;
			}
			if (klp_tl_logs[i].seq < l->seq)
				l = &klp_tl_logs[i];
		}
		memset(l, 0, sizeof(*l));
		l->used = true;
		l->seq = ++klp_tl_seq;
		strlcpy(l->name, klp_patch_name(patch), sizeof(l->name));
		l->patch = patch;
		l->start = now;
		klp_tl_cur = l;
		if (target == KLP_PATCHED)
			klp_tl_fate_clear(l->name);
	} else {
		l->reversed = true;
	}
	l->active = true;
	l->target = target;
	klp_tl_add_target(l, reverse ? KLP_TL_REVERSE : KLP_TL_START, target, now);
	flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(task)
	{
		bool pending = test_tsk_thread_flag(task, TIF_PATCH_PENDING);
		struct klp_tl_task *t = klp_tl_task(l, task->pid, pending);

		if (!t) {
			if (pending)
				l->untracked++;
			continue;
		}
		if (pending) {
			if (!t->comm[0]) {
				strlcpy(t->comm, task->comm, sizeof(t->comm));
				l->ntasks++;
			}
			klp_tl_close(l, t, now);
			t->pending = true;
			t->why = KLP_TL_NONE;
			klp_tl_add(l, KLP_TL_MARK, t->pid, KLP_TL_NONE, now);
		} else if (t->pending) {
			/* reversed before it switched: already in the new target */
			klp_tl_switch(l, t, KLP_TL_BACK, now);
		}
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
}

void klp_timeline_check(struct task *task, int ret, const char *func)
{
	struct klp_tl_log *l = klp_tl_cur;
	struct klp_tl_task *t;
	struct klp_tl_event *e;
	u64 now;
	u8 why, fn;

	if (!l || !(t = klp_tl_task(l, task->pid, false)) || !t->pending)
		return;
	now = ktime_get_ns();
	if (ret == KLP_TL_FOUND_SWITCHED || !ret || ret == -ESRCH) {
		why = ret == -ESRCH ? KLP_TL_EXITED
		      : !ret	    ? KLP_TL_CHECKED
		      : l->forced   ? KLP_TL_FORCED
				    : KLP_TL_SELF;
		klp_tl_switch(l, t, why, now);
		return;
	}
	why = ret == -EBUSY	   ? KLP_TL_RUNNING
	      : ret == -EINVAL	   ? KLP_TL_UNRELIABLE
	      : ret == -EADDRINUSE ? KLP_TL_SLEEPING
				   : KLP_TL_ERROR;
	fn = why == KLP_TL_SLEEPING ? klp_tl_func(l, func) : 0xff;
	t->checks++;
	if (t->ev >= 0 && l->ev[t->ev].why == why && l->ev[t->ev].func == fn) {
		e = &l->ev[t->ev];
		e->t1 = now;
		e->count++;
	} else {
		klp_tl_close(l, t, now);
		e = klp_tl_add(l, KLP_TL_BLOCK, t->pid, why, now);
		if (e) {
			e->count = 1;
			e->func = fn;
			e->err = (s16)ret;
			t->ev = (int)(e - l->ev);
		}
	}
	t->why = why;
	t->func = fn;
}

void klp_timeline_force(void)
{
	if (klp_tl_cur)
		klp_tl_cur->forced = true;
}

void klp_timeline_complete(struct klp_patch *patch, int target)
{
	struct klp_tl_log *l = klp_tl_cur;
	struct klp_patch *old;
	u64 now = ktime_get_ns();

	if (!l || l->patch != patch)
		return; /* a cancelled enable: it never started */
	for (unsigned int i = 0; i < KLP_TL_SLOTS; i++)
		if (l->tasks[i].used && l->tasks[i].pending)
			klp_tl_switch(l, &l->tasks[i], KLP_TL_CHECKED, now);
	klp_tl_add_target(l, KLP_TL_COMPLETE, target, now);
	l->end = now;
	l->active = false;
	l->patch = NULL;
	klp_tl_cur = NULL;
	if (target == KLP_UNPATCHED) {
		klp_tl_fate_set(l->name, NULL);
	} else if (patch->replace) {
		/* still on the stack here: freed right after, modules kept */
		klp_for_each_patch(old) if (old != patch)
			klp_tl_fate_set(klp_patch_name(old), klp_patch_name(patch));
	}
}

struct klp_tl_log *klp_tl_find(const char *name)
{
	struct klp_tl_log *best = NULL;

	for (int i = 0; i < KLP_TL_LOGS; i++) {
		struct klp_tl_log *l = &klp_tl_logs[i];
		if (l->used && (!name || !strcmp(l->name, name)) && (!best || l->seq > best->seq))
			best = l;
	}
	return best;
}

const struct klp_tl_fate *klp_tl_fate(const char *name)
{
	for (unsigned int i = 0; i < KLP_TL_FATES; i++)
		if (klp_tl_fates[i].name[0] && !strcmp(klp_tl_fates[i].name, name))
			return &klp_tl_fates[i];
	return NULL;
}

/* One log: a header line, one line per task, one per event; times in ns of
 * guest time since boot (klpctl timeline parses this). */
static void klp_tl_show_log(struct seq_file *m, const struct klp_tl_log *l)
{
	seq_printf(m,
		   "transition %s %s seq=%llu start=%llu end=%llu state=%s%s%s tasks=%u"
		   " untracked=%u dropped=%u\n",
		   l->name, l->target == KLP_PATCHED ? "patching" : "unpatching",
		   (unsigned long long)l->seq, (unsigned long long)l->start,
		   (unsigned long long)l->end, l->active ? "running" : "complete",
		   l->reversed ? ",reversed" : "", l->forced ? ",forced" : "", l->ntasks,
		   l->untracked, l->dropped);
	for (unsigned int i = 0; i < KLP_TL_SLOTS; i++)
		if (l->tasks[i].used && l->tasks[i].comm[0])
			seq_printf(m, "task %d %s\n", l->tasks[i].pid, l->tasks[i].comm);
	for (unsigned int i = 0; i < l->nev; i++) {
		const struct klp_tl_event *e = &l->ev[i];
		const char *why = e->kind == KLP_TL_START || e->kind == KLP_TL_REVERSE ||
						  e->kind == KLP_TL_COMPLETE
					  ? (e->err == KLP_PATCHED ? "patching" : "unpatching")
					  : klp_tl_why_name(e->why);

		seq_printf(m, "event %s %llu %llu %d %u %s", klp_tl_kind_names[e->kind],
			   (unsigned long long)e->t0, (unsigned long long)e->t1, e->pid,
			   e->kind == KLP_TL_BLOCK ? e->count : 0, why);
		if (e->func != 0xff)
			seq_printf(m, " %s", l->funcs[e->func]);
		else if (e->kind == KLP_TL_BLOCK && e->why == KLP_TL_ERROR)
			seq_printf(m, " %d", e->err);
		seq_puts(m, "\n");
	}
}

static int klp_tl_timeline_show(struct seq_file *m, void *data)
{
	const struct klp_tl_log *order[KLP_TL_LOGS];
	int n = 0;
	(void)data;

	mutex_lock(&klp_mutex);
	for (int i = 0; i < KLP_TL_LOGS; i++)
		if (klp_tl_logs[i].used)
			order[n++] = &klp_tl_logs[i];
	for (int i = 1; i < n; i++) /* newest first */
		for (int j = i; j > 0 && order[j]->seq > order[j - 1]->seq; j--) {
			const struct klp_tl_log *x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	for (int i = 0; i < n; i++)
		klp_tl_show_log(m, order[i]);
	mutex_unlock(&klp_mutex);
	return 0;
}

static int klp_tl_patch_status_show(struct seq_file *m, void *data)
{
	const struct klp_patch *patch = data;
	const struct klp_tl_log *l;

	mutex_lock(&klp_mutex);
	l = klp_tl_find(klp_patch_name(patch));
	if (l)
		klp_tl_show_status(m, l);
	else
		seq_printf(m, "patch: %s\nstate: no transition recorded\n", klp_patch_name(patch));
	mutex_unlock(&klp_mutex);
	return 0;
}

int klp_timeline_sysfs(struct pfs_node *dir, struct klp_patch *patch)
{
	return pfs_create_file(dir, "transition_status", 0444, klp_tl_patch_status_show, NULL,
			       patch)
		       ? 0
		       : -ENOMEM;
}

static int klp_tl_init(void)
{
	struct pfs_node *d = pfs_mkdir_p("/sys/kernel/debug/livepatch");

	if (!d || !pfs_create_file(d, "timeline", 0444, klp_tl_timeline_show, NULL, NULL))
		return -ENOMEM;
	return 0;
}
fs_initcall(klp_tl_init);
