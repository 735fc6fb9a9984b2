/* test_klp_state: an atomic-replace patch owning system state id 1,
 * version 1: it saves console_loglevel, raises it, and puts it back when
 * unpatched; a newer version takes the saved value over. test_klp_state2
 * and test_klp_state3 are this file again under another name and version. */
#ifndef LP_STATE_NAME
#define LP_STATE_NAME test_klp_state
#define CONSOLE_LOGLEVEL_STATE_VERSION 1
#endif
#define LP_STR2(x) #x
#define LP_STR(x) LP_STR2(x)
#define pr_fmt(fmt) LP_STR(LP_STATE_NAME) ": " fmt
#include <kelp/livepatch.h>
#include <kelp/printk.h>
#include <kelp/mm.h>
#include <kelp/errno.h>
#include <kelp/init.h>

#define CONSOLE_LOGLEVEL_STATE 1

static struct klp_patch patch;

static int allocate_loglevel_state(void)
{
	struct klp_state *loglevel_state, *prev_state;

	loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return -EINVAL;
	prev_state = klp_get_prev_state(CONSOLE_LOGLEVEL_STATE);
	if (prev_state) {
		pr_info("%s: taking over the console_loglevel change\n", __func__);
		loglevel_state->data = prev_state->data;
		return 0;
	}
	loglevel_state->data = kmalloc(sizeof(console_loglevel));
	if (!loglevel_state->data)
		return -ENOMEM;
	pr_info("%s: allocating space to store console_loglevel\n", __func__);
	return 0;
}

static void fix_console_loglevel(void)
{
	struct klp_state *loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state || klp_get_prev_state(CONSOLE_LOGLEVEL_STATE))
		return;
	pr_info("%s: fixing console_loglevel\n", __func__);
	*(int *)loglevel_state->data = console_loglevel;
	console_loglevel = 8;
}

static void restore_console_loglevel(void)
{
	struct klp_state *loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return;
	pr_info("%s: restoring console_loglevel\n", __func__);
	console_loglevel = *(int *)loglevel_state->data;
}

static void free_loglevel_state(void)
{
	struct klp_state *loglevel_state = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	if (!loglevel_state)
		return;
	pr_info("%s: freeing space for the stored console_loglevel\n", __func__);
	kfree(loglevel_state->data);
	loglevel_state->data = NULL;
}

static int pre_patch_callback(struct klp_object *obj)
{
	(void)obj;
	pr_info("%s: vmlinux\n", __func__);
	return allocate_loglevel_state();
}
static void post_patch_callback(struct klp_object *obj)
{
	(void)obj;
	pr_info("%s: vmlinux\n", __func__);
	fix_console_loglevel();
}
static void pre_unpatch_callback(struct klp_object *obj)
{
	(void)obj;
	pr_info("%s: vmlinux\n", __func__);
	restore_console_loglevel();
}
static void post_unpatch_callback(struct klp_object *obj)
{
	(void)obj;
	pr_info("%s: vmlinux\n", __func__);
	free_loglevel_state();
}

static struct klp_func no_funcs[] = { {} };
static struct klp_object objs[] = {
	{ .name = NULL, .funcs = no_funcs,
	  .callbacks = { .pre_patch = pre_patch_callback, .post_patch = post_patch_callback,
			 .pre_unpatch = pre_unpatch_callback, .post_unpatch = post_unpatch_callback } },
	{}
};
static struct klp_state states[] = {
	{ .id = CONSOLE_LOGLEVEL_STATE, .version = CONSOLE_LOGLEVEL_STATE_VERSION },
	{}
};

static int lp_state_init(void);
/* One more expansion so KELP_MODULE sees the name, not LP_STATE_NAME. */
#define LP_STATE_MODULE(name) KELP_MODULE(name, lp_state_init, NULL, true)
LP_STATE_MODULE(LP_STATE_NAME);
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs, .states = states, .replace = true };

static int lp_state_init(void)
{
	return klp_enable_patch(&patch);
}
