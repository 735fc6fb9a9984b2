/* pair_fault: calls SYS_kelp_pair with a good pointer. Unpatched, the
 * kernel stores the pair there; under tests/modules/fault_patch.c, whose
 * sys_kelp_pair stores through a bad pointer, the call must come back
 * -EFAULT (the kernel survives its own bad store), and this program then
 * faults in user mode on the returned value, to be killed (exit 139)
 * without taking the kernel down. */
#include <kelp.h>

int main(void)
{
	long out = -1;
	long v = syscall6(SYS_kelp_pair, (long)&out, 0, 0, 0, 0, 0);
	printf("pair_fault: kelp_pair -> %ld\n", v);
	if (v >= 0)
		return out == v ? 0 : 2;
	/* the bad value used as a pointer: a user-mode fault */
	return *(volatile int *)(-v);
}
