/* klp-check fixture: a patch without MODULE_INFO(livepatch, "Y"). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int no_modinfo_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "no_modinfo");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = no_modinfo_show, },
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

static int no_modinfo_init(void)
{
	return klp_enable_patch(&patch);
}

static void no_modinfo_exit(void)
{
}

module_init(no_modinfo_init);
module_exit(no_modinfo_exit);
MODULE_LICENSE("GPL");
