/* spin: burns CPU in user mode without system calls, for the argument
 * times 1M iterations (default: until killed). */
#include <kelp.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : -1;
	volatile unsigned long x = 0;
	for (long r = 0; rounds < 0 || r < rounds; r++)
		for (long i = 0; i < 1000000; i++)
			x++;
	return 0;
}
