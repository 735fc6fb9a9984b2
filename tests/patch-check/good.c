/* klp-check fixture: a good patch of cmdline_proc_show. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int good_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "good");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = good_show, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int good_init(void)
{
	return klp_enable_patch(&patch);
}

static void good_exit(void)
{
}

module_init(good_init);
module_exit(good_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
