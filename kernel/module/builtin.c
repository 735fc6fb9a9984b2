/* Built-in modules (KELP_MODULE: livepatch's test patches and their
 * targets compiled into the kernel): their registration at boot, their
 * load, which follows the blob loader's order (kernel/module/main.c) minus
 * the layout, and the `klp` shell command that lists them, runs one's init
 * on demand and unloads it the way rmmod unloads a blob. */
#define pr_fmt(fmt) "module: " fmt
#include "internal.h"
#include <kelp/mutex.h>
#include <kelp/printk.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include <kelp/errno.h>

int module_builtin_register(struct module *mod)
{
	mutex_lock(&module_mutex);
	if (module_find_builtin(mod->name)) {
		mutex_unlock(&module_mutex);
		pr_err("built-in module %s: name taken\n", mod->name);
		return -EEXIST;
	}
	mod->state = MODULE_STATE_UNFORMED;
	mod->builtin = true;
	unsigned long flags = arch_irq_save();
	list_add_tail(&mod->list, &module_list);
	arch_irq_restore(flags);
	mutex_unlock(&module_mutex);
	return 0;
}

/* The blob path's order, without the layout: COMING, livepatch's hook and
 * init outside the mutex (a livepatch's init waits on its transition),
 * then LIVE. */
int module_builtin_load(const char *name)
{
	struct module *mod;
	int err;

	mutex_lock(&module_mutex);
	mod = module_find_builtin(name);
	if (!mod) {
		mutex_unlock(&module_mutex);
		return -ENOENT;
	}
	if (find_module(name)) { /* itself, or a blob of that name */
		mutex_unlock(&module_mutex);
		return -EEXIST;
	}
	mod->state = MODULE_STATE_COMING;
	module_nr_loaded++;
	mutex_unlock(&module_mutex);

	err = module_notify_coming(mod);
	bool keep = false;
	if (!err && mod->init) {
		err = mod->init();
		/* as for a blob (main.c): its enabled livepatch keeps it */
		keep = err && module_still_needed(mod);
		if (keep)
			pr_err("%s: init failed (%d), but its livepatch is enabled or it is in use:"
			       " it stays loaded\n", mod->name, err);
		else if (err)
			module_notify_going(mod);
	}
	mutex_lock(&module_mutex);
	if (err && !keep) {
		mod->state = MODULE_STATE_UNFORMED;
		module_nr_loaded--;
	} else {
		mod->state = MODULE_STATE_LIVE;
		module_sysfs_add(mod);
	}
	mutex_unlock(&module_mutex);
	return err;
}

static bool list_builtin(struct module *m, void *arg)
{
	(void)arg;
	if (m->builtin)
		shell_printf("%-28s %-9s refcnt %d%s\n", m->name, module_state_name(m->state),
			     module_refcount(m), m->klp ? " [livepatch]" : "");
	return true;
}

static int cmd_klp(int argc, char **argv)
{
	char why[160] = "";
	int ret;
	if (argc == 2 && !strcmp(argv[1], "list")) {
		module_for_each(list_builtin, NULL);
		return 0;
	}
	if (argc == 3 && (!strcmp(argv[1], "load") || !strcmp(argv[1], "unload"))) {
		bool load = !strcmp(argv[1], "load");
		ret = load ? module_builtin_load(argv[2]) : module_unload(argv[2], why, sizeof(why));
		if (ret) {
			shell_error("klp %s %s: %s%s%s\n", argv[1], argv[2], strerror(-ret),
				    *why ? ": " : "", why);
			return 1;
		}
		return 0;
	}
	shell_error("usage: klp list | klp load NAME | klp unload NAME\n");
	return 1;
}
SHELL_COMMAND("klp", "built-in modules: klp list | load NAME | unload NAME", cmd_klp);
