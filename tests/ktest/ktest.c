/* The self-test runner: groups registered cases into suites and prints
 * KTAP v1 with one nested level per suite (kunit.py parses it); also the
 * test kernel's `selftest [SUITE]` shell command. */
#include <kelp/ktest.h>
#include <kelp/lockdep.h>
#include <kelp/printk.h>
#include <kelp/shell.h>
#include <kelp/string.h>

extern const struct ktest_case __start_ktest_cases[], __stop_ktest_cases[];

#define NCASES ((int)(__stop_ktest_cases - __start_ktest_cases))

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failures++;
	kprintf("    # %s: %s:%d: %s\n", t->name, file, line, msg);
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	strlcpy(t->skip_reason, reason, sizeof(t->skip_reason));
}

/* A suite is identified by its first case; later cases of the same name join it. */
static bool first_of_suite(int i)
{
	for (int j = 0; j < i; j++)
		if (!strcmp(__start_ktest_cases[j].suite, __start_ktest_cases[i].suite))
			return false;
	return true;
}

static int count_in_suite(const char *suite)
{
	int n = 0;
	for (int i = 0; i < NCASES; i++)
		n += !strcmp(__start_ktest_cases[i].suite, suite);
	return n;
}

void ktest_list(void)
{
	for (int i = 0; i < NCASES; i++)
		kprintf("%s.%s\n", __start_ktest_cases[i].suite, __start_ktest_cases[i].name);
}

/* Run one suite; returns the number of failed cases. */
static int run_suite(const char *suite, int suite_no, int *passed, int *skipped)
{
	int n = 0, failed = 0, suite_skips = 0;
	kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", suite, count_in_suite(suite));
	for (int i = 0; i < NCASES; i++) {
		const struct ktest_case *c = &__start_ktest_cases[i];
		if (strcmp(c->suite, suite))
			continue;
		struct ktest t = { .suite = c->suite, .name = c->name };
		lockdep_ack(); /* reports from before this case are run_all's */
		c->fn(&t);
		if (lockdep_unacked()) {
			ktest_fail(&t, __FILE__, __LINE__, "the lock validator reported %u time(s)",
				   lockdep_unacked());
			lockdep_ack();
		}
		n++;
		if (t.failures) {
			kprintf("    not ok %d %s\n", n, c->name);
			failed++;
		} else if (t.skipped) {
			kprintf("    ok %d %s # SKIP %s\n", n, c->name, t.skip_reason);
			suite_skips++;
		} else {
			kprintf("    ok %d %s\n", n, c->name);
		}
	}
	*passed += n - failed - suite_skips;
	*skipped += suite_skips;
	kprintf("%s %d %s\n", failed ? "not ok" : "ok", suite_no, suite);
	return failed;
}

int ktest_run(const char *suite)
{
	int nsuites = 0, failed = 0, passed = 0, skipped = 0, no = 0;
	for (int i = 0; i < NCASES; i++)
		if (first_of_suite(i) && (!suite || !strcmp(suite, __start_ktest_cases[i].suite)))
			nsuites++;
	if (suite && !nsuites) {
		kprintf("selftest: no suite named '%s'\n", suite);
		return -1;
	}
	kprintf("KTAP version 1\n1..%d\n", nsuites);
	unsigned int early = lockdep_unacked(); /* from boot, before any case */
	if (early)
		kprintf("# the lock validator reported %u time(s) before the self-tests\n", early);
	for (int i = 0; i < NCASES; i++) {
		const char *s = __start_ktest_cases[i].suite;
		if (first_of_suite(i) && (!suite || !strcmp(suite, s)))
			failed += run_suite(s, ++no, &passed, &skipped);
	}
	kprintf("# selftest: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed + (early ? 1 : 0);
}

/* The shell command of the test kernel. */
static int cmd_selftest(int argc, char **argv)
{
	if (argc > 2) {
		shell_error("selftest: usage: selftest [SUITE]\n");
		return 1;
	}
	int failed = ktest_run(argc > 1 ? argv[1] : NULL);
	if (failed < 0)
		return 1; /* ktest_run said why */
	shell_printf("selftest: %d failed\n", failed);
	return failed ? 1 : 0;
}
SHELL_COMMAND("selftest", "[SUITE]: run the self-tests (KTAP output)", cmd_selftest);
