/* A module with a file whose show sleeps (tests/py/test_lifecycle.py):
 * /sys/kernel/lifecycle_slowfile/slow takes delay_ms to answer. rmmod while
 * a read runs must not free the code the read is in. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <kelp/pseudofs.h>
#include <linux/seq_file.h>
#include <linux/delay.h>

static int delay_ms = 2000;
module_param(delay_ms, int, 0444);

noinline int lifecycle_slowfile_show(struct seq_file *m, void *data)
{
	(void)data;
	msleep(delay_ms);
	seq_printf(m, "slept %d ms\n", delay_ms);
	return 0;
}

static int __init lifecycle_slowfile_init(void)
{
	struct pfs_node *dir = pfs_mkdir_p("/sys/kernel/lifecycle_slowfile");
	if (!dir || !pfs_create_file(dir, "slow", 0444, lifecycle_slowfile_show, NULL, NULL)) {
		pfs_remove_path("/sys/kernel/lifecycle_slowfile");
		return -ENOMEM;
	}
	return 0;
}

static void __exit lifecycle_slowfile_exit(void)
{
	pfs_remove_path("/sys/kernel/lifecycle_slowfile");
}

module_init(lifecycle_slowfile_init);
module_exit(lifecycle_slowfile_exit);
MODULE_LICENSE("GPL");
