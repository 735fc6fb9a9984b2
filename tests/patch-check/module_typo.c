/* klp-check fixture: a misspelt function of a module (busymod_work_func of livepatch-callbacks-busymod). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int module_typo_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "module_typo");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "busymod_work_fun", .new_func = module_typo_show, },
	{ }
};

static struct klp_object objs[] = {
	{ .name = "livepatch_callbacks_busymod", .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int module_typo_init(void)
{
	return klp_enable_patch(&patch);
}

static void module_typo_exit(void)
{
}

module_init(module_typo_init);
module_exit(module_typo_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
