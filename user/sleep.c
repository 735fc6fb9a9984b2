/* sleep: nanosleep for the argument in milliseconds (default 1000). */
#include <kelp.h>

int main(int argc, char **argv)
{
	return msleep(argc > 1 ? (unsigned long)atol(argv[1]) : 1000) ? 1 : 0;
}
