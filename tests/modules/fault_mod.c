/* A module whose code faults on demand (tests/py/test_blob_storm.py,
 * faults inside loaded code): /sys/kernel/fault_mod/boom runs
 * fault_mod_boom_show(), which dereferences the pointer in the module
 * parameter "target" (NULL unless given). The resulting panic backtrace
 * must name fault_mod_boom_show and the module, so the symbol table the
 * panic path uses has to include loaded modules. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>
#include <kelp/pseudofs.h>
#include <linux/seq_file.h>

static int target;		/* an address; 0 faults */
static int armed = 1;
module_param(target, int, 0644);
module_param(armed, int, 0644);

noinline int fault_mod_boom_show(struct seq_file *m, void *data)
{
	volatile int *p = (volatile int *)(long)target;
	(void)data;
	if (armed)
		seq_printf(m, "%d\n", *p);
	else
		seq_printf(m, "disarmed\n");
	return 0;
}

static int __init fault_mod_init(void)
{
	struct pfs_node *dir = pfs_mkdir_p("/sys/kernel/fault_mod");

	if (!dir || !pfs_create_file(dir, "boom", 0444, fault_mod_boom_show, NULL, NULL)) {
		pfs_remove_path("/sys/kernel/fault_mod");
		return -ENOMEM;
	}
	pr_info("armed=%d, cat /sys/kernel/fault_mod/boom to fault\n", armed);
	return 0;
}

static void __exit fault_mod_exit(void)
{
	pfs_remove_path("/sys/kernel/fault_mod");
}

module_init(fault_mod_init);
module_exit(fault_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("faults in its own sysfs show function, for the panic backtrace test");
