/* The module registry, minimal: built-in "modules" (test patches and their
 * targets compiled into the kernel) whose init/exit run on demand, with a
 * reference count and livepatch's coming/going hooks around them, as a
 * loadable module would have. The loader extends this. Shell: `klp`. */
#define pr_fmt(fmt) "module: " fmt
#include <module.h>
#include <livepatch.h>
#include <mutex.h>
#include <shell.h>
#include <string.h>
#include <errno.h>
#include <printk.h>

LIST_HEAD(module_list);
static DEFINE_MUTEX(module_mutex);

int module_builtin_register(struct module *mod)
{
	mutex_lock(&module_mutex);
	mod->state = MODULE_STATE_UNFORMED;
	list_add_tail(&mod->list, &module_list);
	mutex_unlock(&module_mutex);
	return 0;
}

struct module *module_lookup_any(const char *name)
{
	struct module *m;
	for_each_module(m)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

struct module *find_module(const char *name)
{
	struct module *m = module_lookup_any(name);
	return m && m->state != MODULE_STATE_UNFORMED ? m : NULL;
}

bool try_module_get(struct module *mod)
{
	if (!mod)
		return true;
	if (READ_ONCE(mod->state) == MODULE_STATE_GOING || mod->state == MODULE_STATE_UNFORMED)
		return false;
	__atomic_fetch_add(&mod->refcnt, 1, __ATOMIC_SEQ_CST);
	return true;
}

void module_put(struct module *mod)
{
	if (mod)
		__atomic_fetch_sub(&mod->refcnt, 1, __ATOMIC_SEQ_CST);
}

int module_refcount(struct module *mod)
{
	return __atomic_load_n(&mod->refcnt, __ATOMIC_SEQ_CST);
}

int module_load(const char *name)
{
	struct module *mod;
	int ret;

	mutex_lock(&module_mutex);
	mod = module_lookup_any(name);
	if (!mod) {
		mutex_unlock(&module_mutex);
		return -ENOENT;
	}
	if (mod->state != MODULE_STATE_UNFORMED) {
		mutex_unlock(&module_mutex);
		return -EEXIST;
	}
	mod->state = MODULE_STATE_COMING;
	mod->refcnt = 0;
	ret = klp_module_coming(mod);
	if (ret) {
		mod->state = MODULE_STATE_UNFORMED;
		mutex_unlock(&module_mutex);
		return ret;
	}
	/* init runs unlocked: a livepatch init waits on its transition. */
	mutex_unlock(&module_mutex);
	ret = mod->init ? mod->init() : 0;
	mutex_lock(&module_mutex);
	if (ret) {
		mod->state = MODULE_STATE_GOING;
		klp_module_going(mod);
		mod->state = MODULE_STATE_UNFORMED;
	} else {
		mod->state = MODULE_STATE_LIVE;
	}
	mutex_unlock(&module_mutex);
	return ret;
}

int module_unload(const char *name)
{
	struct module *mod;
	mutex_lock(&module_mutex);
	mod = find_module(name);
	if (!mod || mod->state != MODULE_STATE_LIVE) {
		mutex_unlock(&module_mutex);
		return -ENOENT;
	}
	if (module_refcount(mod)) {
		mutex_unlock(&module_mutex);
		return -EBUSY;
	}
	mod->state = MODULE_STATE_GOING;
	mutex_unlock(&module_mutex);
	if (mod->exit)
		mod->exit();
	mutex_lock(&module_mutex);
	klp_module_going(mod);
	mod->state = MODULE_STATE_UNFORMED;
	mutex_unlock(&module_mutex);
	return 0;
}

static const char *module_state_name(enum module_state s)
{
	switch (s) {
	case MODULE_STATE_LIVE: return "Live";
	case MODULE_STATE_COMING: return "Loading";
	case MODULE_STATE_GOING: return "Unloading";
	default: return "-";
	}
}

static int cmd_klp(int argc, char **argv)
{
	struct module *m;
	int ret;
	if (argc == 2 && !strcmp(argv[1], "list")) {
		for_each_module(m)
			shell_printf("%-28s %-9s refcnt %d%s\n", m->name, module_state_name(m->state),
				     m->refcnt, m->klp ? " [livepatch]" : "");
		return 0;
	}
	if (argc == 3 && (!strcmp(argv[1], "load") || !strcmp(argv[1], "unload"))) {
		bool load = !strcmp(argv[1], "load");
		ret = load ? module_load(argv[2]) : module_unload(argv[2]);
		if (ret) {
			shell_error("klp %s %s: %s\n", argv[1], argv[2], strerror(-ret));
			return 1;
		}
		return 0;
	}
	shell_error("usage: klp list | klp load NAME | klp unload NAME\n");
	return 1;
}
SHELL_COMMAND("klp", "built-in modules: klp list | load NAME | unload NAME", cmd_klp);
