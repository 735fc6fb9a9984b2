/* exitcode: exits with 42 (or with its argument), printing nothing. */
#include <kelp.h>

int main(int argc, char **argv)
{
	return argc > 1 ? (int)atol(argv[1]) : 42;
}
