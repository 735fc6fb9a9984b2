/* Self-tests for the bench report's formatting (tests/bench/bench.c): a
 * person reads a long transition in seconds, not in millions of us. */
#include <kelp/ktest.h>
#include <kelp/bench.h>
#include <kelp/string.h>

KTEST(bench, time_of_a_second_or_more_in_seconds)
{
	char buf[24];
	KEXPECT_STREQ(bench_show_value(buf, sizeof(buf), 17999015, "us"), "s");
	KEXPECT_STREQ(buf, "17.999");
	KEXPECT_STREQ(bench_show_value(buf, sizeof(buf), 1000000, "us"), "s");
	KEXPECT_STREQ(buf, "1.000");
	KEXPECT_STREQ(bench_show_value(buf, sizeof(buf), 999999, "us"), "us");
	KEXPECT_STREQ(buf, "999999");
	/* counts stay counts, however large */
	KEXPECT_STREQ(bench_show_value(buf, sizeof(buf), 208468386, "insns"), "insns");
	KEXPECT_STREQ(buf, "208468386");
}
