// SPDX-License-Identifier: GPL-2.0
/* kbench_lp: the livepatch of `make bench-compare` on Linux, the twin of
 * Kelp's lpb_p1/lpw patches: it replaces kbench.ko's kbench_target (x + 1
 * becomes x + 2) and kbench_block (onefunc=1: kbench_target alone). Its
 * post_patch callback stamps the completion for kbench's figures. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

void kbench_lp_enabling(void);
void kbench_lp_completed(void);

static bool onefunc;
module_param(onefunc, bool, 0444);
MODULE_PARM_DESC(onefunc, "patch kbench_target only");

static noinline __attribute__((noipa)) long kbench_lp_target(long x)
{
	barrier();
	return x + 2;
}

static noinline void kbench_lp_block(void)
{
}

static void kbench_lp_post_patch(struct klp_object *obj)
{
	kbench_lp_completed();
}

static struct klp_func kbench_lp_funcs[] = {
	{ .old_name = "kbench_target", .new_func = kbench_lp_target },
	{ .old_name = "kbench_block", .new_func = kbench_lp_block },
	{}
};

static struct klp_object kbench_lp_objs[] = { { .name = "kbench",
						.funcs = kbench_lp_funcs,
						.callbacks.post_patch = kbench_lp_post_patch },
					      {} };

static struct klp_patch kbench_lp_patch = {
	.mod = THIS_MODULE,
	.objs = kbench_lp_objs,
};

static int kbench_lp_init(void)
{
	if (onefunc)
		memset(&kbench_lp_funcs[1], 0, sizeof(kbench_lp_funcs[1]));
	kbench_lp_enabling();
	return klp_enable_patch(&kbench_lp_patch);
}

static void kbench_lp_exit(void)
{
}

module_init(kbench_lp_init);
module_exit(kbench_lp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Kelp bench-compare: the patch of kbench_target and kbench_block");
