/* kmain: brings the kernel up in order — CPU, console, memory, platform,
 * subsystems — then runs the self-tests (cmdline "selftest") or the shell. */
#include <kelp/printk.h>
#include <kelp/panic.h>
#include <kelp/cmdline.h>
#include <kelp/bootinfo.h>
#include <kelp/serial.h>
#include <kelp/time.h>
#include <kelp/init.h>
#include <kelp/ktest.h>
#include <kelp/bench.h>
#include <kelp/string.h>
#include <kelp/mm.h>
#include <kelp/shell.h>
#include <kelp/sched.h>
#include <arch/cpu.h>
#include <kelp/patchchan.h>

#define KELP_VERSION "0.1"

static void run_selftests_and_exit(void)
{
	char suite[64];
	const char *only = cmdline_get("selftest", suite, sizeof(suite)) ? suite : NULL;
	int failed = ktest_run(only);
	/* isa-debug-exit: 0x10 -> QEMU status 33 (pass), 0x11 -> 35 (fail). */
	arch_qemu_exit(failed ? 0x11 : 0x10);
}

static int kernel_main_thread(void *data)
{
	(void)data;
	if (cmdline_has("selftest"))
		run_selftests_and_exit();
	if (cmdline_has("bench")) {
		char filter[64];
		bench_run_all(cmdline_get("bench", filter, sizeof(filter)) ? filter : NULL);
		arch_qemu_exit(0x10);
	}
	klp_channel_start();
	shell_run();
	panic("shell returned");
}

/* TSC at kmain entry and when the kernel is ready: under icount these are
 * guest instructions (firmware and GRUB included in the first). */
u64 boot_tsc_kmain, boot_tsc_ready;
/* The monotonic clock when the kernel was ready (it starts at 0 in kmain). */
u64 boot_ready_ns;

void kmain(u32 magic, phys_addr_t mbi_phys)
{
	boot_tsc_kmain = arch_rdtsc();
	time_init();
	serial_early_init();
	arch_cpu_init();
	if (bootinfo_parse(magic, phys_to_virt(mbi_phys)))
		panic("not booted by a multiboot2 loader (magic %#x)", magic);
	boot_info.mbi_phys = mbi_phys;

	char level[8];
	int lvl;
	if (cmdline_get("loglevel", level, sizeof(level)) && !kstrtoint(level, 10, &lvl))
		console_loglevel = lvl;
	panic_exit_qemu = cmdline_has("panic_exit") || cmdline_has("selftest");

	pr_info("Kelp %s: a live-patching kernel for x86_64\n", KELP_VERSION);
	pr_info("Command line: %s\n", kernel_cmdline);

	mm_init();
	arch_platform_init();
	sched_init();
	do_initcalls();
	boot_tsc_ready = arch_rdtsc();
	boot_ready_ns = ktime_get_ns();
	pr_info("boot: kernel ready after %llu TSC ticks in kmain (%llu before it)\n",
		(unsigned long long)(boot_tsc_ready - boot_tsc_kmain), (unsigned long long)boot_tsc_kmain);

	/* The rest runs in a kernel thread (pid 1); this boot context
	 * becomes CPU 0's idle task. */
	const char *role = cmdline_has("selftest") ? "ktest" : cmdline_has("bench") ? "bench" : "shell";
	if (!kthread_run(kernel_main_thread, NULL, "%s", role))
		panic("cannot start the %s thread", role);
	cpu_idle_loop();
}
