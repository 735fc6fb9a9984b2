/* init: starts each program named in its argument (comma separated,
 * default "hello"), one after the other, and reports their exit status. */
#include <kelp.h>

int main(int argc, char **argv)
{
	char list[128];
	const char *arg = argc > 1 ? argv[1] : "hello";
	size_t n = strlen(arg);
	if (n >= sizeof(list))
		n = sizeof(list) - 1;
	memcpy(list, arg, n);
	list[n] = 0;
	int failed = 0;
	for (char *p = list; *p;) {
		char *name = p;
		while (*p && *p != ',')
			p++;
		if (*p)
			*p++ = 0;
		int pid = spawn(name, 0), status = -1;
		if (pid < 0) {
			printf("init: spawn %s: error %d\n", name, pid);
			failed++;
			continue;
		}
		int r = wait(pid, &status);
		printf("init: %s (pid %d) exited with status %d\n", name, r, status);
	}
	/* wait with no children left */
	int none = wait(-1, 0);
	printf("init: done, wait() with no children = %d\n", none);
	return failed;
}
