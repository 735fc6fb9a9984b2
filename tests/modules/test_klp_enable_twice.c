/* A livepatch whose init calls klp_enable_patch() a second time on the
 * patch it has just enabled (tests/py/test_lifecycle.py): the second call
 * must be refused before it touches the live patch's lists, and the patch
 * stack must stay walkable. With init_ret set, init then fails anyway,
 * with its patch enabled: the loader must not free the module under it. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int init_ret;
module_param(init_ret, int, 0444);

static int twice_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: %s\n", THIS_MODULE->name, "this has been live patched");
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = twice_cmdline_proc_show,
	}, { }
};

static struct klp_object objs[] = {
	{
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int test_klp_enable_twice_init(void)
{
	int ret = klp_enable_patch(&patch);
	if (ret)
		return ret;
	pr_info("second klp_enable_patch: %d\n", klp_enable_patch(&patch));
	return init_ret;
}

static void test_klp_enable_twice_exit(void)
{
}

module_init(test_klp_enable_twice_init);
module_exit(test_klp_enable_twice_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
