/* rmmod, for blobs and built-ins alike: refused while anything still needs
 * the module (a dependent module, an enabled livepatch, a reference, an
 * ftrace filter on its functions), since its code and data go away. Exit
 * and livepatch's going hook run outside module_mutex, as init does; then
 * a blob is freed and a built-in, never freed, is listed UNFORMED again. */
#define pr_fmt(fmt) "module: " fmt
#include "internal.h"
#include <kelp/ftrace.h>
#include <kelp/mm.h>
#include <kelp/mutex.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

/* Frees what a module holds besides its regions (struct module itself is
 * in the data region, so it goes last). */
void module_free(struct module *mod)
{
	struct module_region reg[MOD_NR_REGIONS];
	module_free_params(mod);
	kfree(mod->syms);
	kfree(mod->strtab);
	kfree(mod->modinfo);
	kfree(mod->args);
	kfree(mod->sites);
	memcpy(reg, mod->region, sizeof(reg));
	module_free_regions(reg);
}

int module_unload(const char *name, char *why, size_t whylen)
{
	struct module *mod, *m;
	int err = 0;

	mutex_lock(&module_mutex);
	mod = find_module(name);
	if (!mod) {
		WHY("module %s is not loaded", name);
		err = -ENOENT;
		goto out;
	}
	if (mod->state != MODULE_STATE_LIVE) {
		WHY("module %s is %s", name, module_state_name(mod->state));
		err = -EBUSY;
		goto out;
	}
	list_for_each_entry(m, &module_list, list)
		for (unsigned int i = 0; i < m->ndepends; i++)
			if (m->depends[i] == mod) {
				WHY("module %s is in use by %s", name, m->name);
				err = -EBUSY;
				goto out;
			}
	if (mod->klp && mod->klp_busy && mod->klp_busy(mod)) {
		WHY("livepatch %s is enabled or in transition", name);
		err = -EBUSY;
		goto out;
	}
	if (READ_ONCE(mod->refcnt) > 0) {
		WHY("module %s is in use (refcount %d)", name, mod->refcnt);
		err = -EBUSY;
		goto out;
	}
	if (ftrace_module_sites_busy(mod)) {
		WHY("module %s has functions in an ftrace filter", name);
		err = -EBUSY;
		goto out;
	}
	mod->state = MODULE_STATE_GOING;
	module_sysfs_remove(mod);
	mutex_unlock(&module_mutex);

	if (mod->exit)
		mod->exit();
	module_notify_going(mod);

	mutex_lock(&module_mutex);
	if (mod->builtin) {
		mod->state = MODULE_STATE_UNFORMED;
		module_nr_loaded--;
		/* a debug site, as for a blob below */
		pr_debug("unloaded %s\n", name);
		WHY("unloaded %s", name);
		goto out;
	}
	err = ftrace_remove_module_sites(mod);
	if (err) /* a filter appeared meanwhile: the sites stay, the module too */
		pr_err("%s: cannot remove its fentry sites (%d); leaking it\n", name, err);
	else {
		module_list_remove(mod);
		/* Kelp's own line, so a debug site: Linux's rmmod is quiet */
		pr_debug("unloaded %s\n", name);
		module_free(mod);
	}
	WHY("unloaded %s", name);
out:
	mutex_unlock(&module_mutex);
	return err;
}
