/* badptr: hands write() pointers it may not use (unmapped user memory, a
 * kernel address, a range running off the end of user space) and checks
 * each returns -EFAULT (-14). Exit status 0 when all did. */
#include <kelp.h>

#define EFAULT 14

int main(void)
{
	long a = write(1, (const void *)0x10, 8);
	long b = write(1, (const void *)0x10000000, 8);
	long c = write(1, (const void *)0xffffffff80100000UL, 8);
	long d = write(1, (const void *)0x00007ffffffffff0UL, 64);
	long e = nanosleep((const struct kelp_timespec *)0x20000000, 0);
	int ok = a == -EFAULT && b == -EFAULT && c == -EFAULT && d == -EFAULT && e == -EFAULT;
	printf("badptr: write(null+16)=%ld write(unmapped)=%ld write(kernel)=%ld write(end)=%ld "
	       "nanosleep(unmapped)=%ld: %s\n", a, b, c, d, e, ok ? "all -EFAULT" : "FAILED");
	return ok ? 0 : 1;
}
