/* Allocation-failure injection from the shell and from host tests, in the
 * spirit of Linux's fail_nth and failslab: /sys/kernel/kelp/fail_nth.
 *
 *   echo 3 > /sys/kernel/kelp/fail_nth   the 3rd kmalloc from now fails
 *   echo 0 > /sys/kernel/kelp/fail_nth   disarm
 *   cat /sys/kernel/kelp/fail_nth        failures injected so far (total)
 *
 * The countdown is global (one CPU, few tasks): a host test arms it right
 * before the operation it probes, from a quiet shell, and reads the count
 * back afterwards to learn whether the armed failure was consumed. The
 * mechanism is kmalloc_fail_nth() in mm/kmalloc.c. */
#define pr_fmt(fmt) "failslab: " fmt
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/mm.h>
#include <kelp/init.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

static int fail_nth_show(struct seq_file *m, void *data)
{
	struct kmalloc_stats st;
	(void)data;
	kmalloc_get_stats(&st);
	seq_printf(m, "%llu\n", (unsigned long long)st.injected_failures);
	return 0;
}

static ssize_t fail_nth_store(void *data, const char *buf, size_t len)
{
	int n, err = kstrtoint(buf, 0, &n);
	(void)data;
	if (err)
		return err;
	if (n < 0)
		return -EINVAL;
	kmalloc_fail_nth(n);
	return len;
}

static int failslab_init(void)
{
	struct pfs_node *dir = pfs_mkdir_p("/sys/kernel/kelp");
	if (!dir || !pfs_create_file(dir, "fail_nth", 0644, fail_nth_show, fail_nth_store, NULL)) {
		pr_err("cannot create /sys/kernel/kelp/fail_nth\n");
		return -ENOMEM;
	}
	return 0;
}
late_initcall(failslab_init);
