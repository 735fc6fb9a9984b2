/* The callback selftest modules (Linux's test_klp_callbacks_*):
 * test_klp_callbacks_mod is a plain target module; test_klp_callbacks_busy
 * runs a worker that sleeps inside busymod_work_func while
 * test_klp_callbacks_busy_block is set. Their livepatches live in
 * lp_test_klp_callbacks_demo*.c. */
#define pr_fmt(fmt) "test_klp_callbacks_mod: " fmt
#include <kelp/livepatch.h>
#include <kelp/printk.h>
#include <kelp/init.h>

static int test_klp_callbacks_mod_init(void)
{
	pr_info("%s\n", __func__);
	return 0;
}

static void test_klp_callbacks_mod_exit(void)
{
	pr_info("%s\n", __func__);
}

KELP_MODULE(test_klp_callbacks_mod, test_klp_callbacks_mod_init, test_klp_callbacks_mod_exit,
	    false);
