/* The console shell: reads lines and runs commands. */
#include <shell.h>
#include <printk.h>
#include <console.h>
#include <arch/cpu.h>

void shell_run(void)
{
	char line[256];
	for (;;) {
		size_t n = 0;
		kprintf("kelp# ");
		for (;;) {
			int c = console_getc();
			if (c == '\r' || c == '\n')
				break;
			if (n + 1 < sizeof(line))
				line[n++] = (char)c;
		}
		line[n] = 0;
		kprintf("\n%s: command not found\n", line);
	}
}
