/* Kelp's port of Linux's samples/livepatch/livepatch-shadow-fix2.c, loaded
 * on top of fix1: the new dummy_check counts how often each dummy was
 * checked in a second shadow variable (SV_COUNTER, created on first use,
 * so dummies from before the patch get one too), and the new dummy_free
 * prints that count, then frees both shadow variables. Only the includes
 * differ from Linux's.
 *   make patch P=samples/livepatch-shadow-fix2.c */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/slab.h>
#include <linux/jiffies.h>

/* shadow variable ids */
#define SV_LEAK		1
#define SV_COUNTER	2

struct dummy {
	struct list_head list;
	unsigned long jiffies_expire;
};

static bool livepatch_fix2_dummy_check(struct dummy *d, unsigned long jiffies)
{
	int *shadow_count;

	/* zeroed on creation: no constructor needed */
	shadow_count = klp_shadow_get_or_alloc(d, SV_COUNTER,
			sizeof(*shadow_count), GFP_NOWAIT,
			NULL, NULL);
	if (shadow_count)
		*shadow_count += 1;

	return time_after(jiffies, d->jiffies_expire);
}

static void livepatch_fix2_dummy_leak_dtor(void *obj, void *shadow_data)
{
	void *d = obj;
	int **shadow_leak = shadow_data;

	pr_info("%s: dummy @ %p, prevented leak @ %p\n",
		__func__, d, *shadow_leak);
	kfree(*shadow_leak);
}

static void livepatch_fix2_dummy_free(struct dummy *d)
{
	int **shadow_leak;
	int *shadow_count;

	shadow_count = klp_shadow_get(d, SV_COUNTER);
	if (shadow_count) {
		pr_info("%s: dummy @ %p, check counter = %d\n",
			__func__, d, *shadow_count);
		klp_shadow_free(d, SV_COUNTER, NULL);
	}

	/* as fix1: dummies from before fix1 carry no SV_LEAK */
	shadow_leak = klp_shadow_get(d, SV_LEAK);
	if (shadow_leak)
		klp_shadow_free(d, SV_LEAK, livepatch_fix2_dummy_leak_dtor);
	else
		pr_info("%s: dummy @ %p leaked!\n", __func__, d);

	kfree(d);
}

static struct klp_func funcs[] = {
	{
		.old_name = "dummy_check",
		.new_func = livepatch_fix2_dummy_check,
	},
	{
		.old_name = "dummy_free",
		.new_func = livepatch_fix2_dummy_free,
	}, { }
};

static struct klp_object objs[] = {
	{
		.name = "livepatch_shadow_mod",
		.funcs = funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_shadow_fix2_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_shadow_fix2_exit(void)
{
	/* the counters go; SV_LEAK stays fix1's to free */
	klp_shadow_free_all(SV_COUNTER, NULL);
}

module_init(livepatch_shadow_fix2_init);
module_exit(livepatch_shadow_fix2_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
