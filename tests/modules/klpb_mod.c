/* The module target of tools/klp-build's tests (tests/klp-build/cases/
 * module.patch, tests/py/test_klp_build.py): /sys/kernel/klpb_mod/value
 * shows klpb_mod_value(), a static function reading the module's own
 * static parameter, so a generated patch needs .klp.sym.klpb_mod.* symbols. */
#include <linux/module.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>

static int base = 40;
module_param(base, int, 0644);

static noinline int klpb_mod_value(void)
{
	barrier();
	return base + 2;
}

static int klpb_mod_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_printf(m, "value=%d\n", klpb_mod_value());
	return 0;
}

static int __init klpb_mod_init(void)
{
	struct pfs_node *dir = pfs_mkdir_p("/sys/kernel/klpb_mod");

	if (!dir || !pfs_create_file(dir, "value", 0444, klpb_mod_show, NULL, NULL)) {
		pfs_remove_path("/sys/kernel/klpb_mod");
		return -ENOMEM;
	}
	return 0;
}

static void __exit klpb_mod_exit(void)
{
	pfs_remove_path("/sys/kernel/klpb_mod");
}

module_init(klpb_mod_init);
module_exit(klpb_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-build's module target");
