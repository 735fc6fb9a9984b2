// SPDX-License-Identifier: GPL-2.0
/* kbench_lp_replace: an atomic-replace patch that changes only kbench_block,
 * the twin of Kelp's lpb_p2: once its transition completes, kbench_lp is
 * gone and kbench_target's ftrace site is the NOP again. */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static noinline void kbench_lp_replace_block(void)
{
}

static struct klp_func kbench_lp_replace_funcs[] = {
	{ .old_name = "kbench_block", .new_func = kbench_lp_replace_block }, {}
};

static struct klp_object kbench_lp_replace_objs[] = {
	{ .name = "kbench", .funcs = kbench_lp_replace_funcs }, {}
};

static struct klp_patch kbench_lp_replace_patch = {
	.mod = THIS_MODULE,
	.objs = kbench_lp_replace_objs,
	.replace = true,
};

static int kbench_lp_replace_init(void)
{
	return klp_enable_patch(&kbench_lp_replace_patch);
}

static void kbench_lp_replace_exit(void)
{
}

module_init(kbench_lp_replace_init);
module_exit(kbench_lp_replace_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Kelp bench-compare: an atomic replace that drops kbench_target");
