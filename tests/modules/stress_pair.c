/* The stress blobs (make stress, tests/py/test_stress.py): version
 * PAIR_VERSION of kelp_pair_a(), kelp_pair_b() and their caller
 * kelp_pair() (tests/stress/kelp_pair.c), with atomic replace, so that each
 * blob takes over from whichever version is installed. The caller is part
 * of the patch because livepatch switches a task only while no patched
 * function is on its stack: a task preempted inside an unpatched caller
 * between a and b could be switched there and see a mixed pair. Built as
 * stress_pair_v1 .. _v4 by the Makefile (one wrapper source each). */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>

#ifndef PAIR_VERSION
#error "PAIR_VERSION"
#endif

int kelp_pair_a(void);
int kelp_pair_b(void);

static noinline __attribute__((noipa)) int stress_pair_a(void)
{
	return PAIR_VERSION;
}

static noinline __attribute__((noipa)) int stress_pair_b(void)
{
	return PAIR_VERSION;
}

/* Calls the originals: their fentry sites send this task to its version
 * of a and b, which is this one while this function is on its stack. */
static noinline __attribute__((noipa)) long stress_pair(void)
{
	long a = kelp_pair_a();
	barrier();
	return a << 16 | (kelp_pair_b() & 0xffff);
}

static struct klp_func funcs[] = {
	{ .old_name = "kelp_pair_a", .new_func = stress_pair_a },
	{ .old_name = "kelp_pair_b", .new_func = stress_pair_b },
	{ .old_name = "kelp_pair", .new_func = stress_pair },
	{}
};

static struct klp_object objs[] = { { .funcs = funcs }, {} };

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = true,
};

static int stress_pair_init(void)
{
	return klp_enable_patch(&patch);
}

static void stress_pair_exit(void)
{
}

module_init(stress_pair_init);
module_exit(stress_pair_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
