/* Refused by the kernel (tests/py/test_klpctl_ux.py: klpctl shows why): it
 * names a function that does not exist (a typo of cmdline_proc_show). */
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int ux_typo_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s\n", "ux_typo");
	return 0;
}

static struct klp_func funcs[] = { { .old_name = "cmdline_proc_shwo", .new_func = ux_typo_show }, { } };
static struct klp_object objs[] = { { .funcs = funcs }, { } };
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int ux_typo_init(void)
{
	return klp_enable_patch(&patch);
}

static void ux_typo_exit(void)
{
}

module_init(ux_typo_init);
module_exit(ux_typo_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
