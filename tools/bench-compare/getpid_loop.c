/* getpid_loop for the Linux guest of `make bench-compare`: the twin of Kelp's
 * user/getpid_loop, a user process calling getpid() in a tight loop until it
 * is killed. No libc: a static binary of a few instructions. */
#define SYS_getpid 39

void _start(void)
{
	for (;;) {
		long ret;
		__asm__ volatile("syscall"
				 : "=a"(ret)
				 : "0"((long)SYS_getpid)
				 : "rcx", "r11", "memory");
	}
}
