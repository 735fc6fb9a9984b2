/* test_klp_callbacks_demo2: vmlinux callbacks only; `replace` as the
 * module parameter (test_klp_callbacks_demo2_replace). */
#define pr_fmt(fmt) "test_klp_callbacks_demo2: " fmt
#include <kelp/livepatch.h>
#include <kelp/printk.h>
#include <kelp/init.h>

int test_klp_callbacks_demo2_replace;

static int pre_patch_callback(struct klp_object *obj)
{
	(void)obj;
	pr_info("%s: vmlinux\n", __func__);
	return 0;
}
static void post_patch_callback(struct klp_object *obj) { (void)obj; pr_info("%s: vmlinux\n", __func__); }
static void pre_unpatch_callback(struct klp_object *obj) { (void)obj; pr_info("%s: vmlinux\n", __func__); }
static void post_unpatch_callback(struct klp_object *obj) { (void)obj; pr_info("%s: vmlinux\n", __func__); }

static struct klp_func no_funcs[] = { {} };
static struct klp_object objs[] = {
	{ .name = NULL, .funcs = no_funcs,
	  .callbacks = { .pre_patch = pre_patch_callback, .post_patch = post_patch_callback,
			 .pre_unpatch = pre_unpatch_callback, .post_unpatch = post_unpatch_callback } },
	{}
};

static int test_klp_callbacks_demo2_init(void);
KELP_MODULE(test_klp_callbacks_demo2, test_klp_callbacks_demo2_init, NULL, true);
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int test_klp_callbacks_demo2_init(void)
{
	patch.replace = test_klp_callbacks_demo2_replace;
	return klp_enable_patch(&patch);
}
