/* The livepatch core: the patch stack (klp_patches, bottom first),
 * klp_enable_patch() and its checks, patch/object/func initialisation and
 * the nops of atomic replace, disabling, freeing after a transition, the
 * sysfs interface under /sys/kernel/livepatch, and late binding to modules
 * (klp_module_coming/going). */
#define pr_fmt(fmt) "livepatch: " fmt
#include "core.h"
#include "timeline.h"
#include <kelp/rcupdate.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/ksyms.h>
#include <kelp/sched.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/panic.h>
#include <kelp/init.h>
#include <kelp/time.h>
#include <kelp/barrier.h>

#define KSYM_NAME_LEN 512

DEFINE_MUTEX(klp_mutex);
LIST_HEAD(klp_patches);
static struct pfs_node *klp_root;

static bool klp_module_busy(struct module *mod);

static bool klp_is_module(struct klp_object *obj)
{
	return obj->name;
}

static const char *klp_obj_name(struct klp_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

static void klp_find_object_module(struct klp_object *obj)
{
	struct module *mod;
	if (!klp_is_module(obj))
		return;
	mod = find_module(obj->name);
	/* Only a module that livepatch has seen coming may be patched: one
	 * going away still runs code but must not be touched. */
	if (mod && mod->klp_alive)
		obj->mod = mod;
}

/* ---- lookups ---- */

/* A module object's functions are looked up in that module only, as in
 * Linux: a built-in function of the same name (the kernel carries built-in
 * copies of some test targets) must not be patched in its place. Built-in
 * modules' symbols are the kernel's. */
static int klp_find_module_symbol(struct klp_object *obj, const char *name, unsigned long sympos,
				  unsigned long *addr, unsigned long *size)
{
	const struct module_sym *ms;
	int err = module_lookup_name(obj->mod, name, sympos, &ms);
	if (err == -EINVAL) {
		pr_err("unresolvable ambiguity for symbol '%s' in object '%s'\n", name, obj->name);
		return -EINVAL;
	}
	if (err) {
		if (sympos && !module_lookup_name(obj->mod, name, 1, &ms))
			pr_err("symbol position %lu for symbol '%s' in object '%s' not found\n", sympos,
			       name, obj->name);
		else
			pr_err("symbol '%s' not found in symbol table\n", name);
		return -EINVAL;
	}
	*addr = ms->addr;
	*size = ms->size;
	return 0;
}

static int klp_find_object_symbol(struct klp_object *obj, const char *name, unsigned long sympos,
				  unsigned long *addr, unsigned long *size)
{
	struct ksym sym;
	const char *objname = obj->name;
	unsigned long count;

	if (obj->mod && !obj->mod->builtin)
		return klp_find_module_symbol(obj, name, sympos, addr, size);
	count = ksym_count_name(name);
	if (!count) {
		pr_err("symbol '%s' not found in symbol table\n", name);
		return -EINVAL;
	}
	if (!sympos && count > 1) {
		pr_err("unresolvable ambiguity for symbol '%s' in object '%s'\n", name,
		       objname ? objname : "vmlinux");
		return -EINVAL;
	}
	if (ksym_lookup_name(name, sympos, &sym)) {
		pr_err("symbol position %lu for symbol '%s' in object '%s' not found\n", sympos, name,
		       objname ? objname : "vmlinux");
		return -EINVAL;
	}
	*addr = sym.addr;
	*size = sym.size;
	return 0;
}

/* By identity, not by name: the question is whether this structure is
 * linked into klp_patches. Caller holds klp_mutex. */
static bool klp_is_patch_registered(struct klp_patch *patch)
{
	struct klp_patch *p;
	klp_for_each_patch(p)
		if (p == patch)
			return true;
	return false;
}

struct klp_patch *klp_find_patch(const char *name)
{
	struct klp_patch *patch;
	klp_for_each_patch(patch)
		if (!strcmp(klp_patch_name(patch), name))
			return patch;
	return NULL;
}

/* Without klp_mutex: an RCU reader of the patch stack. */
int klp_nr_patches(void)
{
	struct klp_patch *patch;
	int n = 0;
	rcu_read_lock();
	list_for_each_entry_rcu(patch, &klp_patches, list)
		n++;
	rcu_read_unlock();
	return n;
}

bool klp_transition_in_progress(void)
{
	return READ_ONCE(klp_transition_patch) != NULL;
}

bool klp_wait_transition(unsigned int timeout_ms)
{
	u64 end = ktime_get_ms() + timeout_ms;
	while (klp_transition_in_progress()) {
		if (ktime_get_ms() > end)
			return false;
		msleep(1);
	}
	return true;
}

/* ---- sysfs ---- */

static ssize_t enabled_store(void *data, const char *buf, size_t len);
static ssize_t force_store(void *data, const char *buf, size_t len);

static int enabled_show(struct seq_file *m, void *data)
{
	struct klp_patch *patch = data;
	seq_printf(m, "%d\n", patch->enabled);
	return 0;
}

static int transition_show(struct seq_file *m, void *data)
{
	seq_printf(m, "%d\n", READ_ONCE(klp_transition_patch) == data);
	return 0;
}

static int replace_show(struct seq_file *m, void *data)
{
	struct klp_patch *patch = data;
	seq_printf(m, "%d\n", patch->replace);
	return 0;
}

/* Kelp's extension: how long the patch's last completed transition took. */
static int transition_us_show(struct seq_file *m, void *data)
{
	struct klp_patch *patch = data;
	seq_printf(m, "%llu\n", (unsigned long long)READ_ONCE(patch->transition_us));
	return 0;
}

static int stack_order_show(struct seq_file *m, void *data)
{
	struct klp_patch *patch, *this = data;
	int order = 0, i = 0;
	mutex_lock(&klp_mutex);
	klp_for_each_patch(patch) {
		i++;
		if (patch == this) {
			order = i;
			break;
		}
	}
	mutex_unlock(&klp_mutex);
	seq_printf(m, "%d\n", order);
	return 0;
}

static int patched_show(struct seq_file *m, void *data)
{
	struct klp_object *obj = data;
	seq_printf(m, "%d\n", obj->patched);
	return 0;
}

static int klp_parse_bool(const char *buf, bool *val)
{
	char tmp[8];
	size_t n = 0;
	while (buf[n] && buf[n] != '\n' && n < sizeof(tmp) - 1) {
		tmp[n] = buf[n];
		n++;
	}
	tmp[n] = 0;
	return kstrtobool(tmp, val);
}

static int klp_sysfs_patch(struct klp_patch *patch)
{
	char path[PFS_PATH_MAX];
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s", klp_patch_name(patch));
	/* pfs_mkdir() is NULL for "exists" and for "out of memory": tell
	 * them apart, or a failed allocation reads as -EEXIST. */
	if (pfs_lookup(path))
		return -EEXIST;
	struct pfs_node *d = pfs_mkdir(klp_root, klp_patch_name(patch));
	if (!d)
		return -ENOMEM;
	patch->kobj = d;
	if (!pfs_create_file(d, "enabled", 0644, enabled_show, enabled_store, patch) ||
	    !pfs_create_file(d, "transition", 0444, transition_show, NULL, patch) ||
	    !pfs_create_file(d, "force", 0200, NULL, force_store, patch) ||
	    !pfs_create_file(d, "replace", 0444, replace_show, NULL, patch) ||
	    !pfs_create_file(d, "stack_order", 0444, stack_order_show, NULL, patch) ||
	    !pfs_create_file(d, "transition_us", 0444, transition_us_show, NULL, patch) ||
	    klp_timeline_sysfs(d, patch))
		return -ENOMEM;
	return 0;
}

/* ---- freeing ---- */

static void klp_free_object_loaded(struct klp_object *obj)
{
	struct klp_func *func;
	obj->mod = NULL;
	klp_for_each_func(obj, func) {
		func->old_func = NULL;
		if (func->nop)
			func->new_func = NULL;
	}
}

static void klp_free_func(struct klp_func *func)
{
	list_del_init(&func->node);
	if (func->kobj)
		pfs_remove(func->kobj);
	func->kobj = NULL;
	if (func->nop) {
		kfree((void *)func->old_name);
		kfree(func);
	}
}

static void __klp_free_objects(struct klp_patch *patch, bool nops_only)
{
	struct klp_object *obj, *tmp_obj;
	struct klp_func *func, *tmp_func;

	klp_for_each_object_safe(patch, obj, tmp_obj) {
		klp_for_each_func_safe(obj, func, tmp_func)
			if (!nops_only || func->nop)
				klp_free_func(func);
		if (nops_only && !obj->dynamic)
			continue;
		list_del_init(&obj->node);
		if (obj->kobj)
			pfs_remove(obj->kobj);
		obj->kobj = NULL;
		if (obj->dynamic) {
			kfree((void *)obj->name);
			kfree(obj);
		}
	}
}

/* Everything but the author's static structures; drops the module
 * reference unless the patch was forced (its code may still run). */
void klp_free_patch_now(struct klp_patch *patch)
{
	/* klp_nr_patches() and other lock-free readers may stand on it */
	list_del_rcu(&patch->list);
	__klp_free_objects(patch, false);
	if (patch->kobj)
		pfs_remove(patch->kobj);
	patch->kobj = NULL;
	if (!patch->forced)
		module_put(patch->mod);
}

void klp_unpatch_replaced_patches(struct klp_patch *new_patch)
{
	struct klp_patch *old_patch;
	klp_for_each_patch(old_patch) {
		if (old_patch == new_patch)
			return;
		old_patch->enabled = false;
		klp_unpatch_objects(old_patch);
	}
}

void klp_free_replaced_patches(struct klp_patch *new_patch)
{
	struct klp_patch *old_patch, *tmp;
	klp_for_each_patch_safe(old_patch, tmp) {
		if (old_patch == new_patch)
			return;
		klp_free_patch_now(old_patch);
	}
}

/* The nops did their job during the transition: drop them (and their
 * dynamic objects) at once, so functions that the cumulative patch leaves
 * alone lose their handler and site entirely. A handler may still stand on
 * a nop it took from the top of a func stack: free them only after a
 * grace period. */
void klp_discard_nops(struct klp_patch *new_patch)
{
	klp_unpatch_objects_dynamic(new_patch);
	klp_synchronize_transition();
	__klp_free_objects(new_patch, true);
}

/* ---- initialisation ---- */

static struct klp_object *klp_find_object(struct klp_patch *patch, struct klp_object *old_obj)
{
	struct klp_object *obj;
	klp_for_each_object(patch, obj) {
		if (klp_is_module(old_obj)) {
			if (klp_is_module(obj) && !strcmp(old_obj->name, obj->name))
				return obj;
		} else if (!klp_is_module(obj)) {
			return obj;
		}
	}
	return NULL;
}

static struct klp_func *klp_find_func(struct klp_object *obj, struct klp_func *old_func)
{
	struct klp_func *func;
	klp_for_each_func(obj, func)
		/* sympos 0 and 1 name the same symbol */
		if (!strcmp(old_func->old_name, func->old_name) &&
		    (old_func->old_sympos ? old_func->old_sympos : 1) ==
			    (func->old_sympos ? func->old_sympos : 1))
			return func;
	return NULL;
}

static struct klp_object *klp_alloc_object_dynamic(const char *name, struct klp_patch *patch)
{
	struct klp_object *obj = kzalloc(sizeof(*obj));
	if (!obj)
		return NULL;
	if (name) {
		obj->name = kstrdup(name);
		if (!obj->name) {
			kfree(obj);
			return NULL;
		}
	}
	INIT_LIST_HEAD(&obj->func_list);
	obj->dynamic = true;
	list_add_tail(&obj->node, &patch->obj_list);
	return obj;
}

static struct klp_func *klp_alloc_func_nop(struct klp_func *old_func, struct klp_object *obj)
{
	struct klp_func *func = kzalloc(sizeof(*func));
	if (!func)
		return NULL;
	func->old_name = kstrdup(old_func->old_name);
	if (!func->old_name) {
		kfree(func);
		return NULL;
	}
	func->old_sympos = old_func->old_sympos;
	func->nop = true;
	INIT_LIST_HEAD(&func->stack_node);
	list_add_tail(&func->node, &obj->func_list);
	return func;
}

static int klp_add_object_nops(struct klp_patch *patch, struct klp_object *old_obj)
{
	struct klp_object *obj = klp_find_object(patch, old_obj);
	struct klp_func *old_func;
	if (!obj) {
		obj = klp_alloc_object_dynamic(old_obj->name, patch);
		if (!obj)
			return -ENOMEM;
	}
	klp_for_each_func(old_obj, old_func) {
		if (klp_find_func(obj, old_func))
			continue;
		if (!klp_alloc_func_nop(old_func, obj))
			return -ENOMEM;
	}
	return 0;
}

static int klp_add_nops(struct klp_patch *patch)
{
	struct klp_patch *old_patch;
	struct klp_object *old_obj;
	klp_for_each_patch(old_patch)
		klp_for_each_object(old_patch, old_obj) {
			int err = klp_add_object_nops(patch, old_obj);
			if (err)
				return err;
		}
	return 0;
}

static int klp_init_func(struct klp_object *obj, struct klp_func *func)
{
	char name[PFS_NAME_MAX + 1];
	if (!func->old_name)
		return -EINVAL;
	/* nops get new_func from old_func once the object is loaded */
	if (!func->new_func && !func->nop)
		return -EINVAL;
	if (strlen(func->old_name) >= KSYM_NAME_LEN)
		return -EINVAL;
	INIT_LIST_HEAD(&func->stack_node);
	func->patched = false;
	func->transition = false;
	snprintf(name, sizeof(name), "%s,%lu", func->old_name,
		 func->old_sympos ? func->old_sympos : 1);
	/* -EEXIST (logged with the path) for the same function twice */
	return pfs_mkdir_err(obj->kobj, name, &func->kobj);
}

static int klp_init_object_loaded(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_func *func;
	struct ksym sym;
	unsigned long off;
	(void)patch;
	klp_for_each_func(obj, func) {
		unsigned long addr, size;
		int ret = klp_find_object_symbol(obj, func->old_name, func->old_sympos, &addr,
						 &size);
		if (ret)
			return ret;
		func->old_func = (void *)addr;
		func->old_size = size;
		if (!size) {
			pr_err("kallsyms size lookup failed for '%s'\n", func->old_name);
			return -ENOENT;
		}
		if (func->nop)
			func->new_func = func->old_func;
		if (!ksym_lookup_addr((unsigned long)func->new_func, &sym, &off) || off) {
			pr_err("kallsyms size lookup failed for '%s' replacement\n", func->old_name);
			return -ENOENT;
		}
		func->new_size = sym.size;
	}
	return 0;
}

static int klp_init_object(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_func *func;
	int ret;

	if (klp_is_module(obj) && strlen(obj->name) >= MODULE_NAME_LEN)
		return -EINVAL;
	obj->patched = false;
	obj->mod = NULL;
	klp_find_object_module(obj);
	/* -EEXIST for two objects of one name (a module called "vmlinux") */
	ret = pfs_mkdir_err(patch->kobj, klp_obj_name(obj), &obj->kobj);
	if (ret)
		return ret;
	if (!pfs_create_file(obj->kobj, "patched", 0444, patched_show, NULL, obj))
		return -ENOMEM;
	klp_for_each_func(obj, func) {
		ret = klp_init_func(obj, func);
		if (ret)
			return ret;
	}
	if (klp_is_object_loaded(obj))
		return klp_init_object_loaded(patch, obj);
	return 0;
}

/* Reset what a previous load left in the author's static structures and
 * link them; a patch's structures are only reused after it was freed. */
static void klp_init_patch_early(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;

	INIT_LIST_HEAD(&patch->list);
	INIT_LIST_HEAD(&patch->obj_list);
	patch->kobj = NULL;
	patch->enabled = false;
	patch->forced = false;
	klp_for_each_object_static(patch, obj) {
		INIT_LIST_HEAD(&obj->func_list);
		obj->kobj = NULL;
		obj->mod = NULL;
		obj->dynamic = false;
		obj->patched = false;
		obj->callbacks.post_unpatch_enabled = false;
		list_add_tail(&obj->node, &patch->obj_list);
		klp_for_each_func_static(obj, func) {
			func->old_func = NULL;
			func->old_size = func->new_size = 0;
			func->kobj = NULL;
			func->nop = false;
			func->patched = false;
			func->transition = false;
			INIT_LIST_HEAD(&func->stack_node);
			list_add_tail(&func->node, &obj->func_list);
		}
	}
}

static int klp_init_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret = klp_sysfs_patch(patch);
	if (ret)
		return ret;
	if (patch->replace) {
		ret = klp_add_nops(patch);
		if (ret)
			return ret;
	}
	klp_for_each_object(patch, obj) {
		ret = klp_init_object(patch, obj);
		if (ret)
			return ret;
	}
	list_add_tail_rcu(&patch->list, &klp_patches);
	return 0;
}

/* ---- enable / disable ---- */

static int __klp_disable_patch(struct klp_patch *patch)
{
	struct klp_object *obj;

	if (WARN_ON(!patch->enabled))
		return -EINVAL;
	if (klp_transition_patch)
		return -EBUSY;

	klp_init_transition(patch, KLP_UNPATCHED);
	klp_for_each_object(patch, obj)
		if (obj->patched)
			klp_pre_unpatch_callback(obj);

	/* func->transition (klp_init_transition) before TIF_PATCH_PENDING
	 * (klp_start_transition): a task switched right away must still find
	 * the funcs in transition in the handler. Pairs with the handler's
	 * first smp_rmb(). */
	smp_wmb();

	klp_start_transition();
	patch->enabled = false;
	klp_try_complete_transition();
	return 0;
}

static int __klp_enable_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	if (klp_transition_patch)
		return -EBUSY;
	if (WARN_ON(patch->enabled))
		return -EINVAL;

	pr_notice("enabling patch '%s'\n", klp_patch_name(patch));
	klp_init_transition(patch, KLP_PATCHED);

	/* func->transition before the funcs are published on func_stack (and
	 * before the handler is registered): pairs with the handler's first
	 * smp_rmb(), so a new entry is never seen without its flag. */
	smp_wmb();

	klp_for_each_object(patch, obj) {
		if (!klp_is_object_loaded(obj))
			continue;
		ret = klp_pre_patch_callback(obj);
		if (ret) {
			pr_warn("pre-patch callback failed for object '%s'\n", klp_obj_name(obj));
			goto err;
		}
		ret = klp_patch_object(obj);
		if (ret) {
			pr_warn("failed to patch object '%s'\n", klp_obj_name(obj));
			goto err;
		}
	}

	klp_start_transition();
	patch->enabled = true;
	klp_try_complete_transition();
	return 0;
err:
	pr_warn("failed to enable patch '%s'\n", klp_patch_name(patch));
	klp_cancel_transition();
	return ret;
}

int klp_enable_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	if (!patch || !patch->mod || !patch->objs)
		return -EINVAL;
	klp_for_each_object_static(patch, obj)
		if (!obj->funcs)
			return -EINVAL;
	if (!patch->mod->klp) {
		pr_err("module %s is not marked as a livepatch module\n", patch->mod->name);
		return -EINVAL;
	}
	if (!klp_root)
		return -ENODEV;

	mutex_lock(&klp_mutex);
	/* Before anything below resets the patch's lists: a structure that is
	 * already on the stack (enabled, or in transition) is linked into
	 * klp_patches, and re-initialising it would cut that list into a
	 * loop. A patch is enabled once per load (Linux's
	 * klp_is_patch_registered check). */
	if (klp_is_patch_registered(patch)) {
		pr_err("patch '%s' is already enabled\n", klp_patch_name(patch));
		mutex_unlock(&klp_mutex);
		return -EINVAL;
	}
	if (!klp_is_patch_compatible(patch)) {
		pr_err("Livepatch patch (%s) is not compatible with the already installed livepatches.\n",
		       patch->mod->name);
		mutex_unlock(&klp_mutex);
		return -EINVAL;
	}
	if (!try_module_get(patch->mod)) {
		mutex_unlock(&klp_mutex);
		return -ENODEV;
	}
	/* rmmod asks this before looking at the reference count, for a
	 * clearer refusal; the reference itself goes when the patch is
	 * freed (disable transition complete, or replaced). */
	patch->mod->klp_busy = klp_module_busy;

	klp_init_patch_early(patch);
	ret = klp_init_patch(patch);
	if (ret)
		goto err;
	ret = __klp_enable_patch(patch);
	if (ret)
		goto err;
	mutex_unlock(&klp_mutex);
	return 0;
err:
	klp_free_patch_now(patch);
	mutex_unlock(&klp_mutex);
	return ret;
}

static ssize_t enabled_store(void *data, const char *buf, size_t len)
{
	struct klp_patch *patch = data;
	bool enabled;
	int ret = klp_parse_bool(buf, &enabled);
	if (ret)
		return ret;

	mutex_lock(&klp_mutex);
	if (patch->enabled == enabled) {
		/* already in the requested state */
		ret = -EINVAL;
	} else if (patch == klp_transition_patch) {
		klp_reverse_transition();
		klp_try_complete_transition();
	} else if (!enabled) {
		ret = __klp_disable_patch(patch);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&klp_mutex);
	return ret ? ret : (ssize_t)len;
}

static ssize_t force_store(void *data, const char *buf, size_t len)
{
	struct klp_patch *patch = data;
	bool val;
	int ret = klp_parse_bool(buf, &val);
	if (ret)
		return ret;
	if (!val)
		return len;
	mutex_lock(&klp_mutex);
	if (patch != klp_transition_patch) {
		mutex_unlock(&klp_mutex);
		return -EINVAL;
	}
	klp_force_transition();
	klp_try_complete_transition();
	mutex_unlock(&klp_mutex);
	return len;
}

/* ---- modules coming and going ---- */

/* The loader's question before rmmod of a livepatch module: is one of its
 * patches still on the stack (enabled, or disabled but in transition)? */
static bool klp_module_busy(struct module *mod)
{
	struct klp_patch *patch;
	bool busy = false;
	mutex_lock(&klp_mutex);
	klp_for_each_patch(patch)
		if (patch->mod == mod)
			busy = true;
	mutex_unlock(&klp_mutex);
	return busy;
}

static void klp_cleanup_module_patches_limited(struct module *mod, struct klp_patch *limit)
{
	struct klp_patch *patch;
	struct klp_object *obj;

	klp_for_each_patch(patch) {
		if (patch == limit)
			break;
		klp_for_each_object(patch, obj) {
			if (!klp_is_module(obj) || strcmp(obj->name, mod->name))
				continue;
			if (patch != klp_transition_patch)
				klp_pre_unpatch_callback(obj);
			pr_notice("reverting patch '%s' on unloading module '%s'\n",
				  klp_patch_name(patch), mod->name);
			klp_unpatch_object(obj);
			klp_post_unpatch_callback(obj);
			klp_free_object_loaded(obj);
			break;
		}
	}
	klp_fast_path_update();
}

int klp_module_coming(struct module *mod)
{
	struct klp_patch *patch;
	struct klp_object *obj;
	int ret = 0;

	if (WARN_ON(mod->state != MODULE_STATE_COMING))
		return -EINVAL;
	if (!strcmp(mod->name, "vmlinux")) {
		pr_err("vmlinux.ko: invalid module name\n");
		return -EINVAL;
	}

	mutex_lock(&klp_mutex);
	mod->klp_alive = true;
	klp_for_each_patch(patch) {
		klp_for_each_object(patch, obj) {
			if (!klp_is_module(obj) || strcmp(obj->name, mod->name))
				continue;
			obj->mod = mod;
			ret = klp_init_object_loaded(patch, obj);
			if (ret) {
				pr_warn("failed to initialize patch '%s' for module '%s' (%d)\n",
					klp_patch_name(patch), obj->name, ret);
				goto err;
			}
			pr_notice("applying patch '%s' to loading module '%s'\n", klp_patch_name(patch),
				  obj->name);
			ret = klp_pre_patch_callback(obj);
			if (ret) {
				pr_warn("pre-patch callback failed for object '%s'\n", obj->name);
				goto err;
			}
			ret = klp_patch_object(obj);
			if (ret) {
				pr_warn("failed to apply patch '%s' to module '%s' (%d)\n",
					klp_patch_name(patch), obj->name, ret);
				klp_post_unpatch_callback(obj);
				goto err;
			}
			/* In transition: post_patch waits for its completion. */
			if (patch != klp_transition_patch)
				klp_post_patch_callback(obj);
			break;
		}
	}
	klp_fast_path_update();
	mutex_unlock(&klp_mutex);
	return 0;
err:
	pr_warn("patch '%s' failed for module '%s', refusing to load module '%s'\n",
		klp_patch_name(patch), obj->name, obj->name);
	mod->klp_alive = false;
	obj->mod = NULL;
	klp_cleanup_module_patches_limited(mod, patch);
	mutex_unlock(&klp_mutex);
	return ret;
}

void klp_module_going(struct module *mod)
{
	if (WARN_ON(mod->state != MODULE_STATE_GOING && mod->state != MODULE_STATE_COMING))
		return;
	mutex_lock(&klp_mutex);
	/* From here the module is not patched again, even by a patch that
	 * is being enabled right now. */
	mod->klp_alive = false;
	klp_cleanup_module_patches_limited(mod, NULL);
	mutex_unlock(&klp_mutex);
}

static const struct module_notifier_ops klp_module_notifier = {
	.coming = klp_module_coming,
	.going = klp_module_going,
};

static int klp_init(void)
{
	klp_root = pfs_mkdir_p("/sys/kernel/livepatch");
	if (!klp_root)
		return -ENOMEM;
	/* Late binding: the loader tells us of every module, blob or
	 * built-in, before its init and after its exit. */
	module_set_notifier(&klp_module_notifier);
	return 0;
}
fs_initcall(klp_init);
