/* Built-in livepatch module test_klp_atomic_replace: patches
 * meminfo_proc_show; `replace` (set before loading, like the module
 * parameter) makes it an atomic-replace patch. */
#define pr_fmt(fmt) "test_klp_atomic_replace: " fmt
#include <kelp/livepatch.h>
#include <kelp/seq_file.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include <kelp/init.h>

int test_klp_atomic_replace_replace;

static int livepatch_meminfo_show(struct seq_file *m, void *v);
static struct klp_func funcs[] = {
	{ .old_name = "meminfo_proc_show", .new_func = livepatch_meminfo_show },
	{}
};
static struct klp_object objs[] = { { .funcs = funcs }, {} };

static int test_klp_atomic_replace_init(void);
KELP_MODULE(test_klp_atomic_replace, test_klp_atomic_replace_init, NULL, true);

static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static noinline int livepatch_meminfo_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s: %s\n", THIS_MODULE->name, "this has been live patched");
	return 0;
}

static int test_klp_atomic_replace_init(void)
{
	patch.replace = test_klp_atomic_replace_replace;
	return klp_enable_patch(&patch);
}
