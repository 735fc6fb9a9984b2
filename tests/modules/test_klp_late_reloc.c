/* A livepatch for livepatch-callbacks-busymod whose replacement reads the
 * module's static sleep_secs through a .klp.sym relocation
 * (tests/py/test_lifecycle.py): loadable before its target, which it
 * neither needs nor pins; the relocation is applied when the target comes
 * (wherever it lands) and cleared when it goes. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/workqueue.h>

/* The parentheses put the asm label on a declarator, which is what
 * tests/py/test_layout.py accepts as a label rather than inline asm. */
extern int(busymod_sleep_secs) __asm__(".klp.sym.livepatch_callbacks_busymod.sleep_secs__KLPPOS__0");

static void late_work_func(struct work_struct *work)
{
	(void)work;
	pr_info("%s: busymod's sleep_secs=%d\n", __func__, busymod_sleep_secs);
}

static struct klp_func funcs[] = {
	{
		.old_name = "busymod_work_func",
		.new_func = late_work_func,
	}, { }
};

static struct klp_object objs[] = {
	{
		.name = "livepatch_callbacks_busymod",
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int test_klp_late_reloc_init(void)
{
	return klp_enable_patch(&patch);
}

static void test_klp_late_reloc_exit(void)
{
}

module_init(test_klp_late_reloc_init);
module_exit(test_klp_late_reloc_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
