/* Blob port of Linux's selftest modules test_klp_state (state version 1),
 * test_klp_state2 and test_klp_state3 (version 2, which take over an
 * installed version's saved value; those files include this one). An
 * atomic-replace patch owning system state id 1: it saves
 * console_loglevel, raises it, and puts it back when unpatched. The
 * built-in copies are tests/kernel/lp_test_klp_state*.c. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/slab.h>
#include <linux/printk.h>

#define CONSOLE_LOGLEVEL_STATE 1
#ifndef CONSOLE_LOGLEVEL_STATE_VERSION
#define CONSOLE_LOGLEVEL_STATE_VERSION 1
#endif
#define CONSOLE_LOGLEVEL_LOUD 8

static struct klp_patch patch;

static int allocate_loglevel_state(void)
{
	struct klp_state *loglevel_state;

	loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return -EINVAL;
#if CONSOLE_LOGLEVEL_STATE_VERSION >= 2
	if (klp_get_prev_state(CONSOLE_LOGLEVEL_STATE)) {
		/* the value stays where the older patch saved it */
		pr_info("%s: taking over the console_loglevel change\n", __func__);
		return 0;
	}
#endif
	loglevel_state->data = kzalloc(sizeof(console_loglevel), GFP_KERNEL);
	if (!loglevel_state->data)
		return -ENOMEM;

	pr_info("%s: allocating space to store console_loglevel\n", __func__);
	return 0;
}

static void fix_console_loglevel(void)
{
	struct klp_state *loglevel_state;

	loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return;
#if CONSOLE_LOGLEVEL_STATE_VERSION >= 2
	struct klp_state *prev_state = klp_get_prev_state(CONSOLE_LOGLEVEL_STATE);
	if (prev_state) {
		pr_info("%s: taking over the console_loglevel change\n", __func__);
		loglevel_state->data = prev_state->data;
		return;
	}
#endif
	pr_info("%s: fixing console_loglevel\n", __func__);
	*(int *)loglevel_state->data = console_loglevel;
	console_loglevel = CONSOLE_LOGLEVEL_LOUD;
}

static void restore_console_loglevel(void)
{
	struct klp_state *loglevel_state;

	loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return;

	pr_info("%s: restoring console_loglevel\n", __func__);
	console_loglevel = *(int *)loglevel_state->data;
}

static void free_loglevel_state(void)
{
	struct klp_state *loglevel_state;

	loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return;

	pr_info("%s: freeing space for the stored console_loglevel\n", __func__);
	kfree(loglevel_state->data);
	loglevel_state->data = NULL;
}

static int pre_patch_callback(struct klp_object *obj)
{
	pr_info("%s: vmlinux\n", __func__);
	return allocate_loglevel_state();
}

static void post_patch_callback(struct klp_object *obj)
{
	pr_info("%s: vmlinux\n", __func__);
	fix_console_loglevel();
}

static void pre_unpatch_callback(struct klp_object *obj)
{
	pr_info("%s: vmlinux\n", __func__);
	restore_console_loglevel();
}

static void post_unpatch_callback(struct klp_object *obj)
{
	pr_info("%s: vmlinux\n", __func__);
	free_loglevel_state();
}

static struct klp_func no_funcs[] = {
	{ }
};

static struct klp_object objs[] = {
	{
		.name = NULL,	/* vmlinux */
		.funcs = no_funcs,
		.callbacks = {
			.pre_patch = pre_patch_callback,
			.post_patch = post_patch_callback,
			.pre_unpatch = pre_unpatch_callback,
			.post_unpatch = post_unpatch_callback,
		},
	}, { }
};

static struct klp_state states[] = {
	{
		.id = CONSOLE_LOGLEVEL_STATE,
		.version = CONSOLE_LOGLEVEL_STATE_VERSION,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.states = states,
	.replace = true,
};

static int test_klp_state_init(void)
{
	return klp_enable_patch(&patch);
}

static void test_klp_state_exit(void)
{
}

module_init(test_klp_state_init);
module_exit(test_klp_state_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
