/* klp-check fixture: a notrace target (ftrace_text_is_trampoline: the tracer's own fast path). */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int notrace_target_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "notrace_target");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "ftrace_text_is_trampoline", .new_func = notrace_target_show, },
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

static int notrace_target_init(void)
{
	return klp_enable_patch(&patch);
}

static void notrace_target_exit(void)
{
}

module_init(notrace_target_init);
module_exit(notrace_target_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
