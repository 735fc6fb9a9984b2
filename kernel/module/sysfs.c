/* /sys/module/<name>/: initstate, refcnt, coresize and, for a blob, its
 * parameters (kernel/module/params.c), where tools written for Linux look.
 * A blob gets them before its init runs (so a failure unwinds without its
 * exit), a built-in once it is live; both lose them when they go. */
#include "internal.h"
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/string.h>
#include <kelp/errno.h>

static int show_state(struct seq_file *m, void *data)
{
	seq_printf(m, "%s\n", module_state_name(((struct module *)data)->state));
	return 0;
}

static int show_refcnt(struct seq_file *m, void *data)
{
	seq_printf(m, "%d\n", READ_ONCE(((struct module *)data)->refcnt));
	return 0;
}

static int show_size(struct seq_file *m, void *data)
{
	seq_printf(m, "%zu\n", ((struct module *)data)->size);
	return 0;
}

/* All or nothing: a module without its sysfs files would load "fine" and
 * then be invisible to tools (the allocation-failure test found this). */
int module_sysfs_add(struct module *mod)
{
	char path[PFS_PATH_MAX];
	snprintf(path, sizeof(path), "/sys/module/%s", mod->name);
	struct pfs_node *dir = pfs_mkdir_p(path);
	if (!dir || !pfs_create_file(dir, "initstate", 0444, show_state, NULL, mod) ||
	    !pfs_create_file(dir, "refcnt", 0444, show_refcnt, NULL, mod) ||
	    !pfs_create_file(dir, "coresize", 0444, show_size, NULL, mod) ||
	    (!mod->builtin && module_params_sysfs_add(mod, dir))) {
		module_sysfs_remove(mod);
		return -ENOMEM;
	}
	return 0;
}

void module_sysfs_remove(struct module *mod)
{
	char path[PFS_PATH_MAX];
	snprintf(path, sizeof(path), "/sys/module/%s", mod->name);
	pfs_remove_path(path);
}
