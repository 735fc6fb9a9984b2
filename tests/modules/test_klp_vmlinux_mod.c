/* A patch for a module that is called "vmlinux" (and is not loaded)
 * (tests/py/test_pfs_errors.py): a later atomic-replace patch adds a nop
 * object of that name beside its own vmlinux object, whose directories
 * collide: -EEXIST naming the path, not -ENOMEM. */
#include <linux/module.h>
#include <linux/livepatch.h>

static int vmlinux_mod_replacement(void)
{
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "some_module_function", .new_func = vmlinux_mod_replacement },
	{ }
};

static struct klp_object objs[] = { { .name = "vmlinux", .funcs = funcs }, { } };

static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int test_klp_vmlinux_mod_init(void)
{
	return klp_enable_patch(&patch);
}

static void test_klp_vmlinux_mod_exit(void)
{
}

module_init(test_klp_vmlinux_mod_init);
module_exit(test_klp_vmlinux_mod_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
