/* klp-check fixture: old_sympos 3 of ksym_dup_target, which the test kernel has twice. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int sympos_past_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "sympos_past");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "ksym_dup_target", .old_sympos = 3, .new_func = sympos_past_show, },
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

static int sympos_past_init(void)
{
	return klp_enable_patch(&patch);
}

static void sympos_past_exit(void)
{
}

module_init(sympos_past_init);
module_exit(sympos_past_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
