/* The loader self-tests' module (suite "module"): built at kernel build
 * time with a fixed build ID, signed, and embedded in the kernel. Its init
 * records its parameters where the tests can look them up by name. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>

static int count = 3;
static bool verbose;
static char *label = "none";
module_param(count, int, 0644);
module_param(verbose, bool, 0644);
module_param(label, charp, 0644);

int ktest_mod_seen_count;
bool ktest_mod_seen_verbose;
char ktest_mod_seen_label[32];
int ktest_mod_init_calls, ktest_mod_exit_calls;
int *ktest_mod_exit_flag;	/* the test points this at its own counter */
const char ktest_mod_rodata[] = "read-only";

/* The second of the kernel's two static ksym_dup_target functions
 * (tests/builtin/sympos_b.c): a .klp.sym reference with a sympos. */
extern int dup_target_2(int) __asm__(".klp.sym.vmlinux.ksym_dup_target__KLPPOS__2");

noinline int ktest_mod_add(int a, int b)
{
	return a + b + count;
}

noinline int ktest_mod_call_dup(int x)
{
	return dup_target_2(x);
}

static int __init ktest_mod_init(void)
{
	ktest_mod_seen_count = count;
	ktest_mod_seen_verbose = verbose;
	strlcpy(ktest_mod_seen_label, label, sizeof(ktest_mod_seen_label));
	ktest_mod_init_calls++;
	pr_info("init: count=%d verbose=%d label=%s\n", count, verbose, label);
	return count < 0 ? -EINVAL : 0;
}

static void __exit ktest_mod_exit(void)
{
	ktest_mod_exit_calls++;
	if (ktest_mod_exit_flag)
		(*ktest_mod_exit_flag)++;
}

module_init(ktest_mod_init);
module_exit(ktest_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("loader self-test module");
