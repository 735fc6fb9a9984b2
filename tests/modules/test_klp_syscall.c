/* Blob port of the idea of Linux's selftest module test_klp_syscall:
 * replaces sys_getpid so every task calling getpid() (user getpid_loop
 * tasks) runs the new body once it has switched; the new body counts its
 * calls, readable in the kernel log at unload. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/livepatch.h>
#include <linux/sched.h>

static unsigned long calls;

static long lp_sys_getpid(void)
{
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	return current->pid;
}

static struct klp_func funcs[] = {
	{
		.old_name = "sys_getpid",
		.new_func = lp_sys_getpid,
	}, {}
};

static struct klp_object objs[] = {
	{
		/* name being NULL means vmlinux */
		.funcs = funcs,
	}, {}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int test_klp_syscall_init(void)
{
	return klp_enable_patch(&patch);
}

static void test_klp_syscall_exit(void)
{
	pr_info("patched getpid ran %lu times\n", calls);
}

module_init(test_klp_syscall_init);
module_exit(test_klp_syscall_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
