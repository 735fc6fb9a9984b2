/* kmain: brings the kernel up in order — CPU, console, memory, platform,
 * subsystems — then runs the self-tests (cmdline "selftest") or the shell. */
#include <printk.h>
#include <panic.h>
#include <cmdline.h>
#include <bootinfo.h>
#include <serial.h>
#include <time.h>
#include <init.h>
#include <ktest.h>
#include <string.h>
#include <mm.h>
#include <shell.h>
#include <arch/cpu.h>

#define KELP_VERSION "0.1"

static void run_selftests_and_exit(void)
{
	char suite[64];
	const char *only = cmdline_get("selftest", suite, sizeof(suite)) ? suite : NULL;
	int failed = ktest_run(only);
	/* isa-debug-exit: 0x10 -> QEMU status 33 (pass), 0x11 -> 35 (fail). */
	arch_qemu_exit(failed ? 0x11 : 0x10);
}

void kmain(u32 magic, phys_addr_t mbi_phys)
{
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
	do_initcalls();

	if (cmdline_has("selftest"))
		run_selftests_and_exit();

	shell_run();
	panic("shell returned");
}
