/* Refused by the kernel (tests/py/test_klpctl_ux.py: klpctl shows why): it
 * patches sched_running(), which is notrace: no fentry site to redirect. */
#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int ux_notrace_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s\n", "ux_notrace");
	return 0;
}

static struct klp_func funcs[] = { { .old_name = "sched_running", .new_func = ux_notrace_show }, { } };
static struct klp_object objs[] = { { .funcs = funcs }, { } };
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int ux_notrace_init(void)
{
	return klp_enable_patch(&patch);
}

static void ux_notrace_exit(void)
{
}

module_init(ux_notrace_init);
module_exit(ux_notrace_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
