/* A patch that names the same function twice (tests/py/test_pfs_errors.py):
 * its second func's sysfs directory collides with the first's, so enabling
 * it fails with -EEXIST and a message naming the path, not -ENOMEM. */
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int dup_cmdline_proc_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s\n", "patched twice");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = dup_cmdline_proc_show },
	{ .old_name = "cmdline_proc_show", .new_func = dup_cmdline_proc_show },
	{ }
};

static struct klp_object objs[] = { { .funcs = funcs }, { } };

static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int test_klp_dup_func_init(void)
{
	return klp_enable_patch(&patch);
}

static void test_klp_dup_func_exit(void)
{
}

module_init(test_klp_dup_func_init);
module_exit(test_klp_dup_func_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
