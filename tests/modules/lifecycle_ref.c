/* A blob that links against livepatch-callbacks-busymod
 * (tests/py/test_lifecycle.py), in three ways: LIFECYCLE_KLP_MOD through
 * .klp.sym.<module>, LIFECYCLE_KLP_VMLINUX through .klp.sym.vmlinux (the
 * kernel's symbols only: busymod's sleep_secs is not one), otherwise through
 * depends=. Only a LIVE busymod may be linked against. Not a livepatch:
 * a livepatch's .klp.sym.<module> relocations bind late (late_reloc.c). */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#if defined(LIFECYCLE_KLP_MOD)
extern void busy_fn(void) __asm__(".klp.sym.livepatch_callbacks_busymod.busymod_work_func__KLPPOS__0");
#elif defined(LIFECYCLE_KLP_VMLINUX)
extern void busy_fn(void) __asm__(".klp.sym.vmlinux.sleep_secs__KLPPOS__0");
#else
static void busy_fn(void)
{
}
MODULE_INFO(depends, "livepatch_callbacks_busymod");
#endif

static int lifecycle_ref_init(void)
{
	pr_info("linked, reference at %lx\n", (unsigned long)busy_fn);
	return 0;
}

static void lifecycle_ref_exit(void)
{
}

module_init(lifecycle_ref_init);
module_exit(lifecycle_ref_exit);
MODULE_LICENSE("GPL");
