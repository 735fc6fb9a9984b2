/* Built-in livepatch module test_klp_livepatch (Linux's selftest module of
 * the same name): /proc/cmdline says it has been live patched. */
#define pr_fmt(fmt) "test_klp_livepatch: " fmt
#include <kelp/livepatch.h>
#include <kelp/seq_file.h>
#include <kelp/init.h>

static int livepatch_cmdline_show(struct seq_file *m, void *v);

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = livepatch_cmdline_show },
	{}
};
static struct klp_object objs[] = { { .funcs = funcs }, {} };

static int test_klp_livepatch_init(void);
KELP_MODULE(test_klp_livepatch, test_klp_livepatch_init, NULL, true);

static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static noinline int livepatch_cmdline_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s: %s\n", THIS_MODULE->name, "this has been live patched");
	return 0;
}

static int test_klp_livepatch_init(void)
{
	return klp_enable_patch(&patch);
}
