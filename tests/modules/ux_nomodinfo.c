/* Refused by the kernel (tests/py/test_klpctl_ux.py: klpctl shows why): it
 * is a correct patch without MODULE_INFO(livepatch, "Y"): not a livepatch module. */
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int ux_nomodinfo_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s\n", "ux_nomodinfo");
	return 0;
}

static struct klp_func funcs[] = { { .old_name = "cmdline_proc_show", .new_func = ux_nomodinfo_show }, { } };
static struct klp_object objs[] = { { .funcs = funcs }, { } };
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int ux_nomodinfo_init(void)
{
	return klp_enable_patch(&patch);
}

static void ux_nomodinfo_exit(void)
{
}

module_init(ux_nomodinfo_init);
module_exit(ux_nomodinfo_exit);
MODULE_LICENSE("GPL");
/* no MODULE_INFO(livepatch, "Y") */
