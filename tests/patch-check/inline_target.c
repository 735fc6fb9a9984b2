/* klp-check fixture: an always-inlined target (name_of, kernel/ksyms.c). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int inline_target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "inline_target");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "name_of", .new_func = inline_target_show, },
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

static int inline_target_init(void)
{
	return klp_enable_patch(&patch);
}

static void inline_target_exit(void)
{
}

module_init(inline_target_init);
module_exit(inline_target_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
