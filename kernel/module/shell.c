/* Shell commands for modules: lsmod and rmmod (loading happens over the
 * patch channel, drivers/patchchan/channel.c), and the module table both print. */
#include <kelp/module.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include <kelp/errno.h>

struct list_ctx {
	char *out;
	size_t len, pos;
};

static bool list_one(struct module *m, void *arg)
{
	struct list_ctx *c = arg;
	if (m->state == MODULE_STATE_UNFORMED) /* a built-in not loaded */
		return true;
	if (c->pos < c->len)
		c->pos += snprintf(c->out + c->pos, c->len - c->pos, "%-24s %8zu %3d %-8s%s%s\n",
				   m->name, m->size, m->refcnt, module_state_name(m->state),
				   m->klp ? " livepatch" : "", m->builtin ? " builtin" : "");
	return true;
}

int module_format_list(char *out, size_t len)
{
	struct list_ctx c = { out, len, 0 };
	c.pos = snprintf(out, len, "%-24s %8s %3s %s\n", "Module", "Size", "Ref", "State");
	module_for_each(list_one, &c);
	return c.pos < len ? (int)c.pos : (int)len - 1;
}

static int cmd_lsmod(int argc, char **argv)
{
	static char buf[4096];
	(void)argv;
	if (argc != 1) {
		shell_error("lsmod: usage: lsmod\n");
		return 1;
	}
	int n = module_format_list(buf, sizeof(buf));
	shell_write(buf, n);
	return 0;
}
SHELL_COMMAND("lsmod", ": list loaded modules (name, size, refcount, state)", cmd_lsmod);

static int cmd_rmmod(int argc, char **argv)
{
	char why[160];
	if (argc != 2) {
		shell_error("rmmod: usage: rmmod NAME\n");
		return 1;
	}
	int err = module_unload(argv[1], why, sizeof(why));
	if (err) {
		shell_error("rmmod: ERROR: %s (%d)\n", why, err);
		return 1;
	}
	return 0;
}
SHELL_COMMAND("rmmod", "NAME: unload a module", cmd_rmmod);
