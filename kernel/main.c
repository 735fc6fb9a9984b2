/* kmain: brings the kernel up in order — CPU, console, memory, platform,
 * subsystems — then runs the shell, or in the test kernel the self-tests
 * (cmdline "selftest") or the benchmarks ("bench"). */
#include <kelp/printk.h>
#include <kelp/panic.h>
#include <kelp/cmdline.h>
#include <kelp/bootinfo.h>
#include <kelp/serial.h>
#include <kelp/time.h>
#include <kelp/init.h>
#include <kelp/string.h>
#include <kelp/mm.h>
#include <kelp/shell.h>
#include <kelp/sched.h>
#include <arch/cpu.h>
#include <kelp/patchchan.h>
#ifdef CONFIG_KTEST
#include <kelp/ktest.h>
#endif
#ifdef CONFIG_BENCH
#include <kelp/bench.h>
#endif

#define KELP_VERSION "0.1"

/* isa-debug-exit: 0x10 -> QEMU status 33 (pass), 0x11 -> 35 (fail). */
static __noreturn void run_boot_role(const char *role)
{
	char arg[64];
	const char *only = cmdline_get(role, arg, sizeof(arg)) ? arg : NULL;
#ifdef CONFIG_KTEST
	if (!strcmp(role, "selftest"))
		arch_qemu_exit(ktest_run(only) ? 0x11 : 0x10);
#endif
#ifdef CONFIG_BENCH
	if (!strcmp(role, "bench")) {
		bench_run_all(only);
		arch_qemu_exit(0x10);
	}
#endif
	(void)only;
	panic("%s: not built into this kernel (the test kernel has it: make %s)", role, role);
}

static int kernel_main_thread(void *data)
{
	(void)data;
	if (cmdline_has("selftest"))
		run_boot_role("selftest");
	if (cmdline_has("bench"))
		run_boot_role("bench");
	patchchan_start();
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
	/* After the initcalls: ftrace_init rewrites every site directly,
	 * which is safe only while no other CPU runs. */
	arch_smp_start();
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
