/* rmmod, for blobs and built-ins alike: refused while anything still needs
 * the module (a dependent module, its own enabled livepatch, a reference),
 * since its code and data go away. What only observes or patches it does
 * not hold it, as in Linux: a livepatch patching it is reverted on it by
 * livepatch's going hook, and its functions leave every tracer filter
 * (ftrace_release_module_sites). Exit and the going hook run outside
 * module_mutex, as init does; then a blob is freed and a built-in, never
 * freed, is listed UNFORMED again. */
#define pr_fmt(fmt) "module: " fmt
#include "internal.h"
#include <kelp/ftrace.h>
#include <kelp/pseudofs.h>
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
	/* A file the module created and did not remove (an init that failed
	 * half-way, an exit that forgot one) would call freed code. */
	size_t left = 0;
	for (int r = 0; r < MOD_NR_REGIONS; r++)
		if (mod->region[r].base)
			left += pfs_remove_within((unsigned long)mod->region[r].base,
						  (unsigned long)mod->region[r].base +
							  mod->region[r].pages * PAGE_SIZE);
	if (left)
		pr_warn("%s left %zu pseudo-fs files behind; removed\n", mod->name, left);
	module_free_params(mod);
	kfree(mod->syms);
	kfree(mod->strtab);
	kfree(mod->modinfo);
	kfree(mod->args);
	kfree(mod->sites);
	kfree(mod->late_relocs);
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
	/* GOING before the count, the pair of try_module_get()'s order: a
	 * reference taken meanwhile (a read of one of its files, whose code
	 * is the module's) is seen here, or its taker sees GOING. */
	__atomic_store_n(&mod->state, MODULE_STATE_GOING, __ATOMIC_SEQ_CST);
	int refs = __atomic_load_n(&mod->refcnt, __ATOMIC_SEQ_CST);
	if (refs > 0) {
		WRITE_ONCE(mod->state, MODULE_STATE_LIVE);
		WHY("module %s is in use (refcount %d)", name, refs);
		err = -EBUSY;
		goto out;
	}
	module_sysfs_remove(mod);
	mutex_unlock(&module_mutex);

	if (mod->exit)
		mod->exit();
	module_notify_going(mod);

	mutex_lock(&module_mutex);
	/* After livepatch reverted its patches on the module, as Linux's
	 * klp_clear_object_relocs: nothing of the livepatches points at it. */
	module_late_relocs_going(mod);
	if (mod->builtin) {
		mod->state = MODULE_STATE_UNFORMED;
		module_nr_loaded--;
		/* a debug site, as for a blob below */
		pr_debug("unloaded %s\n", name);
		WHY("unloaded %s", name);
		goto out;
	}
	/* Sites before the list: their records name the module's symbols. */
	ftrace_release_module_sites(mod);
	module_list_remove(mod);
	/* Kelp's own line, so a debug site: Linux's rmmod is quiet */
	pr_debug("unloaded %s\n", name);
	module_free(mod);
	WHY("unloaded %s", name);
out:
	mutex_unlock(&module_mutex);
	return err;
}
