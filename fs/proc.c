/* The /proc files (cmdline, meminfo, uptime, version, kallsyms, tty/driver/serial), the /sys/kernel
 * skeleton, and in the test kernel /sys/kernel/kelp/test_int, an attribute
 * that exists for the shell's end-to-end tests (it stores an int and
 * rejects anything else).
 * The show functions are ordinary traced, out-of-line functions so that a
 * live patch can replace them, as Linux's livepatch sample replaces
 * cmdline_proc_show. */
#define pr_fmt(fmt) "proc: " fmt
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/cmdline.h>
#include <kelp/time.h>
#include <kelp/mm.h>
#include <kelp/init.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/serial.h>
#include <kelp/ksyms.h>

#define KELP_VERSION_LINE "Kelp version 0.1 (x86_64) (gcc " __VERSION__ ") live-patching kernel\n"

noinline int cmdline_proc_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_printf(m, "%s\n", kernel_cmdline);
	return 0;
}

static void meminfo_line(struct seq_file *m, const char *label, unsigned long long v,
			 const char *unit)
{
	seq_printf(m, "%-16s%8llu%s\n", label, v, unit);
}

noinline int meminfo_proc_show(struct seq_file *m, void *v)
{
	struct kmalloc_stats st;
	unsigned long long kb_per_page = PAGE_SIZE / 1024;
	(void)v;
	kmalloc_get_stats(&st);
	meminfo_line(m, "MemTotal:", pmm_total_count() * kb_per_page, " kB");
	meminfo_line(m, "MemFree:", pmm_free_count() * kb_per_page, " kB");
	meminfo_line(m, "KmallocHeap:", st.heap_pages * kb_per_page, " kB");
	meminfo_line(m, "KmallocBytes:", st.bytes_in_use, "");
	meminfo_line(m, "KmallocObjects:", st.objects_in_use, "");
	meminfo_line(m, "KmallocAllocs:", st.total_allocs, "");
	meminfo_line(m, "KmallocFrees:", st.total_frees, "");
	meminfo_line(m, "KmallocFailed:", st.failed_allocs, "");
	return 0;
}

noinline int uptime_proc_show(struct seq_file *m, void *v)
{
	u64 ns = ktime_get_ns();
	(void)v;
	seq_printf(m, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(ns / NSEC_PER_SEC),
		   (unsigned long long)(ns % NSEC_PER_SEC / (10 * NSEC_PER_MSEC)), 0ULL, 0ULL);
	return 0;
}

noinline int version_proc_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_puts(m, KELP_VERSION_LINE);
	return 0;
}

static int kallsyms_show(struct seq_file *m, void *v)
{
	(void)v;
	return ksym_show_kallsyms(m);
}

/* Per UART: what was sent, and what was dropped because a peer stopped
 * reading (tx) or a receive ring was full (rx). */
static int tty_serial_show(struct seq_file *m, void *v)
{
	(void)v;
	seq_puts(m, "serinfo:1.0 driver revision:\n");
	for (int i = 0; i < SERIAL_PORTS; i++) {
		struct serial_stats st;
		if (serial_get_stats(i, &st)) {
			seq_printf(m, "%d: uart:unknown\n", i);
			continue;
		}
		seq_printf(m, "%d: uart:16550A port:%08X irq:%d tx:%llu txdrop:%llu txstall:%llu oe:%llu\n",
			   i, st.io_base, st.irq, (unsigned long long)st.tx,
			   (unsigned long long)st.tx_dropped, (unsigned long long)st.tx_stalls,
			   (unsigned long long)st.rx_overruns);
	}
	return 0;
}

#ifdef CONFIG_KTEST
/* Test attribute: an int, written in any base kstrtoint accepts. */
static int proc_test_int;

static int test_int_show(struct seq_file *m, void *data)
{
	seq_printf(m, "%d\n", *(int *)data);
	return 0;
}

static ssize_t test_int_store(void *data, const char *buf, size_t len)
{
	int v, err = kstrtoint(buf, 0, &v);
	if (err)
		return err;
	*(int *)data = v;
	return len;
}
#endif

static int proc_init(void)
{
	struct pfs_node *proc = pfs_mkdir_p("/proc");
	if (!proc || !pfs_mkdir_p("/sys/kernel"))
		return -ENOMEM;
	if (!pfs_create_file(proc, "cmdline", 0444, cmdline_proc_show, NULL, NULL) ||
	    !pfs_create_file(proc, "meminfo", 0444, meminfo_proc_show, NULL, NULL) ||
	    !pfs_create_file(proc, "uptime", 0444, uptime_proc_show, NULL, NULL) ||
	    !pfs_create_file(proc, "version", 0444, version_proc_show, NULL, NULL) ||
	    !pfs_create_file(proc, "kallsyms", 0444, kallsyms_show, NULL, NULL))
		return -ENOMEM;
	struct pfs_node *tty = pfs_mkdir_p("/proc/tty/driver");
	if (!tty || !pfs_create_file(tty, "serial", 0444, tty_serial_show, NULL, NULL))
		return -ENOMEM;
#ifdef CONFIG_KTEST
	/* /sys/kernel/kelp holds the test kernel's knobs (this one,
	 * fail_nth, stress_stats); the run kernel has none. */
	struct pfs_node *kelp = pfs_mkdir_p("/sys/kernel/kelp");
	if (!kelp ||
	    !pfs_create_file(kelp, "test_int", 0644, test_int_show, test_int_store, &proc_test_int))
		return -ENOMEM;
#endif
	return 0;
}
fs_initcall(proc_init);
