/* What the tools show about livepatches, from the transition record
 * (livepatch/timeline.h): each transition's status (direction, tasks
 * switched of marked, elapsed time, every task still blocking and why) and
 * every module's role and state the way kpatch's `list` does, so that after
 * an atomic replace it is clear which patch is active and which modules
 * only wait to be unloaded. Read by klpctl status/list/wait/remove through
 * /sys/kernel/debug/livepatch/{transition_status,modules}. */
#include "timeline.h"
#include <kelp/time.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/pseudofs.h>
#include <kelp/init.h>

static void klp_tl_seconds(struct seq_file *m, u64 ns)
{
	u64 ms = ns / 1000000;

	seq_printf(m, "%llu.%03llu s", (unsigned long long)(ms / 1000),
		   (unsigned long long)(ms % 1000));
}

static unsigned int klp_tl_switched(const struct klp_tl_log *l)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < KLP_TL_SLOTS; i++)
		if (l->tasks[i].used && l->tasks[i].comm[0] && !l->tasks[i].pending)
			n++;
	return n;
}

void klp_tl_show_status(struct seq_file *m, const struct klp_tl_log *l)
{
	u64 end = l->active ? ktime_get_ns() : l->end;

	seq_printf(m, "patch: %s\ndirection: %s\nstate: %s\n", l->name,
		   l->target == KLP_PATCHED ? "patching" : "unpatching",
		   l->active ? "in transition" : "complete");
	if (l->reversed)
		seq_puts(m, "reversed: yes\n");
	if (l->forced)
		seq_puts(m, "forced: yes\n");
	seq_puts(m, "elapsed: ");
	klp_tl_seconds(m, end - l->start);
	seq_printf(m, "\nswitched: %u of %u tasks\n", klp_tl_switched(l), l->ntasks);
	if (l->untracked)
		seq_printf(m, "untracked: %u tasks\n", l->untracked);
	for (unsigned int i = 0; i < KLP_TL_SLOTS; i++) {
		const struct klp_tl_task *t = &l->tasks[i];

		if (!t->used || !t->comm[0] || !t->pending)
			continue;
		seq_printf(m, "blocking: %d %s: ", t->pid, t->comm);
		if (t->why == KLP_TL_SLEEPING && t->func != 0xff)
			seq_printf(m, "sleeping in function %s", l->funcs[t->func]);
		else if (t->why == KLP_TL_UNRELIABLE)
			seq_puts(m, "unreliable stack");
		else if (t->why == KLP_TL_NONE)
			seq_puts(m, "not checked yet");
		else
			seq_puts(m, klp_tl_why_name(t->why));
		seq_printf(m, " (%u check%s)\n", t->checks, t->checks == 1 ? "" : "s");
	}
}

/* Every kept transition, newest first, one blank line between. */
static int klp_tl_status_show(struct seq_file *m, void *data)
{
	u64 below = ~0ull;
	(void)data;

	mutex_lock(&klp_mutex);
	for (int k = 0; k < KLP_TL_LOGS; k++) {
		const struct klp_tl_log *next = NULL;
		for (int i = 0; i < KLP_TL_LOGS; i++)
			if (klp_tl_logs[i].used && klp_tl_logs[i].seq < below &&
			    (!next || klp_tl_logs[i].seq > next->seq))
				next = &klp_tl_logs[i];
		if (!next)
			break;
		if (k)
			seq_puts(m, "\n");
		klp_tl_show_status(m, next);
		below = next->seq;
	}
	mutex_unlock(&klp_mutex);
	return 0;
}

static void klp_tl_module_state(struct seq_file *m, struct module *mod)
{
	struct klp_patch *patch = klp_find_patch(mod->name);
	const struct klp_tl_fate *fate;

	if (!mod->klp) {
		seq_puts(m, mod->state == MODULE_STATE_LIVE	? "loaded"
			    : mod->state == MODULE_STATE_COMING ? "loading"
								: "unloading");
		return;
	}
	if (patch && patch == klp_transition_patch) {
		const struct klp_tl_log *l = klp_tl_find(mod->name);
		seq_printf(m, "in transition (%s", patch->enabled ? "patching" : "unpatching");
		if (l && l->active)
			seq_printf(m, ", %u/%u switched", klp_tl_switched(l), l->ntasks);
		seq_puts(m, ")");
	} else if (patch) {
		seq_puts(m, patch->enabled ? "enabled" : "disabled");
		if (patch->replace)
			seq_puts(m, ", replace");
	} else if ((fate = klp_tl_fate(mod->name)) && fate->by[0]) {
		seq_printf(m, "replaced by %s, waiting to be unloaded", fate->by);
	} else if (mod->state == MODULE_STATE_LIVE) {
		seq_puts(m, "disabled, waiting to be unloaded");
	} else {
		seq_puts(m, mod->state == MODULE_STATE_COMING ? "loading" : "unloading");
	}
}

static bool klp_tl_list_one(struct module *mod, void *arg)
{
	struct seq_file *m = arg;

	if (mod->state == MODULE_STATE_UNFORMED) /* a built-in not loaded */
		return true;
	seq_printf(m, "%-28s %8zu %3d  %-10s ", mod->name, mod->size, mod->refcnt,
		   mod->klp ? "livepatch" : "module");
	/* under module_mutex (module_for_each): rmmod's order, module_mutex
	 * then klp_mutex (klp_busy) */
	mutex_lock(&klp_mutex);
	klp_tl_module_state(m, mod);
	mutex_unlock(&klp_mutex);
	seq_puts(m, mod->builtin ? " (built-in)\n" : "\n");
	return true;
}

static int klp_tl_modules_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_printf(m, "%-28s %8s %3s  %-10s %s\n", "Module", "Size", "Ref", "Role", "State");
	module_for_each(klp_tl_list_one, m);
	return 0;
}

static int klp_status_init(void)
{
	struct pfs_node *d = pfs_mkdir_p("/sys/kernel/debug/livepatch");

	if (!d || !pfs_create_file(d, "transition_status", 0444, klp_tl_status_show, NULL, NULL) ||
	    !pfs_create_file(d, "modules", 0444, klp_tl_modules_show, NULL, NULL))
		return -ENOMEM;
	return 0;
}
fs_initcall(klp_status_init);
