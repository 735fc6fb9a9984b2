/* getpid_loop: calls getpid in a tight loop and reports how many calls it
 * made. Argument: seconds to run (default 1), or "-n N" style "nN" for
 * exactly N calls (then also the TSC ticks per call). */
#include <kelp.h>

int main(int argc, char **argv)
{
	const char *arg = argc > 1 ? argv[1] : "1";
	int pid = getpid();
	unsigned long calls = 0, bad = 0;

	if (arg[0] == 'n') {
		unsigned long n = (unsigned long)atol(arg + 1);
		unsigned long t0 = rdtsc();
		for (unsigned long i = 0; i < n; i++)
			bad += getpid() != pid;
		unsigned long t1 = rdtsc();
		calls = n;
		printf("getpid_loop: %lu calls, %lu tsc/call\n", calls, n ? (t1 - t0) / n : 0);
		return bad ? 1 : 0;
	}
	unsigned long ms = (unsigned long)atol(arg) * 1000;
	unsigned long end = uptime_ms() + ms;
	while (uptime_ms() < end) {
		for (int i = 0; i < 1000; i++)
			bad += getpid() != pid;
		calls += 1000;
	}
	printf("getpid_loop: %lu calls in %lu ms\n", calls, ms);
	return bad ? 1 : 0;
}
