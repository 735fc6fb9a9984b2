/* The `klp` shell command for built-in modules (KELP_MODULE: livepatch's
 * test patches and their targets compiled into the kernel): list them
 * with their state, run one's init on demand (module_builtin_load, in
 * kernel/module/main.c with the loader it mirrors) and unload it the way rmmod
 * unloads a blob. */
#include <kelp/module.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include <kelp/errno.h>

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
