/* A module whose init fails (tests/py/test_lifecycle.py), after sleeping
 * delay_ms (time for a tracer filter to name its function meanwhile) and,
 * with leak_file=1, after creating /sys/kernel/lifecycle_initfail/state,
 * which it does not remove: whatever the loader's unwind leaves in the
 * tracer or the pseudo-fs must not point into the freed module. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <kelp/pseudofs.h>
#include <linux/seq_file.h>
#include <linux/delay.h>

static int delay_ms;
static int leak_file;
module_param(delay_ms, int, 0444);
module_param(leak_file, int, 0444);

noinline int lifecycle_initfail_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_printf(m, "still here\n");
	return 0;
}

static int __init lifecycle_initfail_init(void)
{
	if (leak_file) {
		struct pfs_node *dir = pfs_mkdir_p("/sys/kernel/lifecycle_initfail");
		if (!dir || !pfs_create_file(dir, "state", 0444, lifecycle_initfail_show, NULL, NULL))
			return -ENOMEM;
	}
	pr_info("failing in %d ms\n", delay_ms);
	msleep(delay_ms);
	return -ENODEV;
}

module_init(lifecycle_initfail_init);
MODULE_LICENSE("GPL");
