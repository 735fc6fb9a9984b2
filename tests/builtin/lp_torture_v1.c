/* Built-in livepatch module torture_v1 of the torture suite
 * (tests/ktest/torture_test.c): torture_a, torture_b and their caller
 * torture_pair return version 1. Stacks on whatever is enabled. */
#define pr_fmt(fmt) "torture_v1: " fmt
#include <kelp/livepatch.h>
#include <kelp/init.h>

int torture_a(void);
int torture_b(void);
void torture_window(void);

static noinline __attribute__((noipa)) int torture_v1_a(void)
{
	return 1;
}

static noinline __attribute__((noipa)) int torture_v1_b(void)
{
	return 1;
}

/* Calls the originals: their sites send this task to its own version, so
 * a mixed pair means the per-task switch went wrong. */
static noinline __attribute__((noipa)) long torture_v1_pair(void)
{
	long a = torture_a();
	torture_window();
	return a << 16 | (torture_b() & 0xffff);
}

static struct klp_func funcs[] = {
	{ .old_name = "torture_a", .new_func = torture_v1_a },
	{ .old_name = "torture_b", .new_func = torture_v1_b },
	{ .old_name = "torture_pair", .new_func = torture_v1_pair },
	{}
};
static struct klp_object objs[] = { { .funcs = funcs }, {} };

static int torture_v1_init(void);
KELP_MODULE(torture_v1, torture_v1_init, NULL, true);

static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs, .replace = false };

static int torture_v1_init(void)
{
	return klp_enable_patch(&patch);
}
