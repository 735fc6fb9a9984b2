/* hello: the smallest user program; prints who it is and exits with 0. */
#include <kelp.h>

int main(int argc, char **argv)
{
	printf("Hello from user mode: %s pid %d ppid %d%s%s\n", argv[0], getpid(), getppid(),
	       argc > 1 ? " arg " : "", argc > 1 ? argv[1] : "");
	return 0;
}
