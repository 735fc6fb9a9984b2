/* test_klp_callbacks_busy: a worker thread that sits inside
 * busymod_work_func (an interruptible sleep loop) while
 * test_klp_callbacks_busy_block is true, so a patch of that function cannot
 * complete its transition. */
#define pr_fmt(fmt) "test_klp_callbacks_busy: " fmt
#include <kelp/livepatch.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <kelp/printk.h>
#include <kelp/init.h>
#include <kelp/errno.h>

bool test_klp_callbacks_busy_block = true;
static struct task *busy_worker;
static volatile bool busy_stop;

noinline void busymod_work_func(void)
{
	pr_info("%s enter\n", __func__);
	while (READ_ONCE(test_klp_callbacks_busy_block) && !READ_ONCE(busy_stop))
		msleep_interruptible(5);
	pr_info("%s exit\n", __func__);
}

static int busy_thread(void *unused)
{
	(void)unused;
	busymod_work_func();
	while (!kthread_should_stop())
		msleep_interruptible(5);
	return 0;
}

static int test_klp_callbacks_busy_init(void)
{
	pr_info("%s\n", __func__);
	busy_stop = false;
	busy_worker = kthread_run(busy_thread, NULL, "busy_worker");
	if (!busy_worker)
		return -ENOMEM;
	/* let it reach the sleep inside busymod_work_func */
	msleep(10);
	return 0;
}

static void test_klp_callbacks_busy_exit(void)
{
	busy_stop = true;
	kthread_stop(busy_worker);
	busy_worker = NULL;
	pr_info("%s\n", __func__);
}

KELP_MODULE(test_klp_callbacks_busy, test_klp_callbacks_busy_init, test_klp_callbacks_busy_exit,
	    false);
