/* klp-check fixture: old_name misspelt (cmdline_proc_show). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int typo_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "typo");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_sho", .new_func = typo_show, },
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

static int typo_init(void)
{
	return klp_enable_patch(&patch);
}

static void typo_exit(void)
{
}

module_init(typo_init);
module_exit(typo_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
