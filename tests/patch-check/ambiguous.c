/* klp-check fixture: ksym_dup_target without old_sympos (the test kernel has two: tests/builtin/sympos_a.c and sympos_b.c). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int ambiguous_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "ambiguous");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "ksym_dup_target", .new_func = ambiguous_show, },
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

static int ambiguous_init(void)
{
	return klp_enable_patch(&patch);
}

static void ambiguous_exit(void)
{
}

module_init(ambiguous_init);
module_exit(ambiguous_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
