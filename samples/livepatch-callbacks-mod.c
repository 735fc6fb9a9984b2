/* Kelp's port of Linux's samples/livepatch/livepatch-callbacks-mod.c: a
 * target module that does nothing but say when it comes and goes, so the
 * callbacks demo's module callbacks can be watched. Only the includes
 * differ from Linux's.
 *   make module P=samples/livepatch-callbacks-mod.c */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

static int livepatch_callbacks_mod_init(void)
{
	pr_info("%s\n", __func__);
	return 0;
}

static void livepatch_callbacks_mod_exit(void)
{
	pr_info("%s\n", __func__);
}

module_init(livepatch_callbacks_mod_init);
module_exit(livepatch_callbacks_mod_exit);
MODULE_LICENSE("GPL");
