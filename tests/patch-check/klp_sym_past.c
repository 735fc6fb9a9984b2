/* klp-check fixture: a reference to the 3rd ksym_dup_target through a
 * .klp.sym asm label; the test kernel has two. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

extern int ksym_dup_target(int) __asm__(".klp.sym.vmlinux.ksym_dup_target__KLPPOS__3");

static int klp_sym_past_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", ksym_dup_target(1));
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = klp_sym_past_show, },
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

static int klp_sym_past_init(void)
{
	return klp_enable_patch(&patch);
}

static void klp_sym_past_exit(void)
{
}

module_init(klp_sym_past_init);
module_exit(klp_sym_past_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
