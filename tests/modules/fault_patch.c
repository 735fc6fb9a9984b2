/* A livepatch whose new code is broken on purpose (tests/py/test_stress.py,
 * faults inside patched code):
 *   - kelp_pair_a() becomes fault_patch_pair_a(), which with boom=1
 *     dereferences NULL: the panic backtrace must name it and the module;
 *   - sys_kelp_pair() becomes fault_patch_sys_kelp_pair(), which stores to
 *     a wrong user address: copy_to_user fails, the caller gets -EFAULT,
 *     and the kernel carries on. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>
#include <kelp/user.h>
#include <kelp/errno.h>

static int boom;
module_param(boom, int, 0444);

noinline int fault_patch_pair_a(void)
{
	volatile int *p = NULL;
	return boom ? *p : 7;
}

noinline long fault_patch_sys_kelp_pair(long __user *out)
{
	long v = 7L << 16 | 7;
	/* the bug: an offset that leaves the caller's buffer far behind */
	if (copy_to_user((char __user *)out + 0x40000000, &v, sizeof(v)))
		return -EFAULT;
	return v;
}

static struct klp_func funcs[] = {
	{ .old_name = "kelp_pair_a", .new_func = fault_patch_pair_a },
	{ .old_name = "sys_kelp_pair", .new_func = fault_patch_sys_kelp_pair },
	{}
};

static struct klp_object objs[] = { { .funcs = funcs }, {} };

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int fault_patch_init(void)
{
	return klp_enable_patch(&patch);
}

static void fault_patch_exit(void)
{
}

module_init(fault_patch_init);
module_exit(fault_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
