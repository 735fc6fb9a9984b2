/* Modules, the minimum livepatch needs (the loader grows this): a name, a
 * reference count, whether the module is a livepatch, its load state, and
 * built-in "modules" whose init/exit run on demand (`klp load NAME`), the
 * stand-in for loadable test modules until blobs arrive. */
#pragma once
#include <compiler.h>
#include <list.h>

#define MODULE_NAME_LEN 56

enum module_state {
	MODULE_STATE_LIVE,	/* normal state */
	MODULE_STATE_COMING,	/* being loaded, init not yet run */
	MODULE_STATE_GOING,	/* being unloaded, exit has run */
	MODULE_STATE_UNFORMED,	/* not loaded */
};

struct module {
	char name[MODULE_NAME_LEN];
	enum module_state state;
	int refcnt;		/* try_module_get/module_put */
	bool klp;		/* MODULE_INFO(livepatch, "Y") */
	bool klp_alive;		/* livepatch may patch it (COMING..GOING) */
	int (*init)(void);
	void (*exit)(void);
	struct list_head list;	/* every known module, loaded or not */
};

/* Built-in modules: each file with a module declares one, e.g.
 *   KELP_MODULE(test_klp_livepatch, my_init, my_exit, true);
 * which defines `__this_module` (THIS_MODULE) and registers it at boot. */
#define THIS_MODULE (&__this_module)
#define KELP_MODULE(name_, init_, exit_, livepatch_)                                               \
	static struct module __this_module = { .name = #name_, .state = MODULE_STATE_UNFORMED,    \
					       .klp = livepatch_, .init = init_, .exit = exit_ };  \
	static int __kelp_module_register_##name_(void)                                            \
	{                                                                                          \
		return module_builtin_register(&__this_module);                                    \
	}                                                                                          \
	late_initcall(__kelp_module_register_##name_)

int module_builtin_register(struct module *mod);
/* Run a built-in module's init (livepatch's coming hook first): 0 or the
 * init's error (the module is then not loaded). -ENOENT: no such module,
 * -EEXIST: already loaded. */
int module_load(const char *name);
/* -EBUSY while referenced (a livepatch still in use), else run its exit. */
int module_unload(const char *name);
/* A loaded (or loading) module by name, or NULL. */
struct module *find_module(const char *name);
struct module *module_lookup_any(const char *name); /* loaded or not */
bool try_module_get(struct module *mod);
void module_put(struct module *mod);
int module_refcount(struct module *mod);
/* Iterate every known module (callers serialise through module_mutex). */
extern struct list_head module_list;
#define for_each_module(m) list_for_each_entry(m, &module_list, list)
