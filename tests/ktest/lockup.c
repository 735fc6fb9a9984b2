/* The test kernel's `lockup` command: keep preemption off on purpose, for
 * the soft-lockup watchdog's test (tests/py/test_watchdog.py). */
#include <kelp/sched.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include <kelp/time.h>
#include <arch/cpu.h>

/* The frame the watchdog's backtrace must show. */
static noinline void lockup_spin(u64 until_ns)
{
	while (!until_ns || ktime_get_ns() < until_ns)
		arch_cpu_relax();
}

static int cmd_lockup(int argc, char **argv)
{
	int secs = 0;
	if (argc > 2 || (argc == 2 && (kstrtoint(argv[1], 10, &secs) || secs <= 0))) {
		shell_error("lockup: usage: lockup [SECONDS]  (no argument: forever)\n");
		return 1;
	}
	preempt_disable();
	lockup_spin(secs ? ktime_get_ns() + (u64)secs * NSEC_PER_SEC : 0);
	preempt_enable();
	shell_printf("lockup: preemption was off for %ds\n", secs);
	return 0;
}
SHELL_COMMAND("lockup", "[SECONDS]: spin with preemption off (the watchdog's test)", cmd_lockup);
