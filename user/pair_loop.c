/* pair_loop: a user observer of the livepatch stress checker
 * (tests/stress/kelp_pair.c). Calls SYS_kelp_pair, which runs kelp_pair_a then
 * kelp_pair_b in the kernel, until the checker stops (-ECANCELED); checks
 * both halves came from one patch version. Exit status 0, or 1 after a
 * mixed pair or an unexpected error. Argument: a call limit (default none). */
#include <kelp.h>

#define ECANCELED 125

int main(int argc, char **argv)
{
	unsigned long limit = argc > 1 ? (unsigned long)atol(argv[1]) : 0;
	unsigned long calls = 0, mixed = 0;
	long v, out = -1;

	for (;;) {
		v = syscall6(SYS_kelp_pair, (long)&out, 0, 0, 0, 0, 0);
		if (v < 0)
			break;
		calls++;
		if ((v >> 16) != (v & 0xffff) || out != v)
			mixed++;
		if (limit && calls >= limit)
			break;
		/* One CPU, 32 observers: let the patch channel and the
		 * transition worker in between bursts (preemption alone gives
		 * them a slice per round of everyone's slices). */
		if (!(calls % 64))
			sched_yield();
	}
	if (mixed || (v < 0 && v != -ECANCELED))
		printf("pair_loop: %lu calls, %lu mixed, last %ld\n", calls, mixed, v);
	return mixed || (v < 0 && v != -ECANCELED) ? 1 : 0;
}
