/* Built-in livepatch module test_klp_syscall (after Linux's selftest module
 * of the same name): replaces sys_getpid; the new body crosses off each
 * pid listed in test_klp_syscall_pids (the module parameter in Linux) the
 * first time that task calls it, so test_klp_syscall_npids reaching 0 means
 * every listed user task has switched to the patched state. */
#define pr_fmt(fmt) "test_klp_syscall: " fmt
#include <kelp/livepatch.h>
#include <kelp/sched.h>
#include <kelp/init.h>

#define TEST_KLP_SYSCALL_MAX_PIDS 8
int test_klp_syscall_pids[TEST_KLP_SYSCALL_MAX_PIDS];
int test_klp_syscall_npids;

static noinline long lp_sys_getpid(void)
{
	int pid = current->pid;
	for (int i = 0; i < TEST_KLP_SYSCALL_MAX_PIDS; i++) {
		int want = pid;
		if (READ_ONCE(test_klp_syscall_pids[i]) == pid &&
		    __atomic_compare_exchange_n(&test_klp_syscall_pids[i], &want, 0, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			__atomic_sub_fetch(&test_klp_syscall_npids, 1, __ATOMIC_SEQ_CST);
			break;
		}
	}
	return pid;
}

static struct klp_func funcs[] = {
	{ .old_name = "sys_getpid", .new_func = lp_sys_getpid },
	{}
};
static struct klp_object objs[] = { { .funcs = funcs }, {} };

static int test_klp_syscall_init(void);
KELP_MODULE(test_klp_syscall, test_klp_syscall_init, NULL, true);
static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs };

static int test_klp_syscall_init(void)
{
	return klp_enable_patch(&patch);
}
