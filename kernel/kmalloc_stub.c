/* TEMPORARY: a polled console_getc until the interrupt-driven console lands.
 * DELETE THIS FILE when kernel/console.c is merged. */
#include <console.h>
#include <serial.h>
#include <arch/cpu.h>

int console_getc(void)
{
	int c;
	while ((c = serial_read_byte(SERIAL_CONSOLE)) < 0)
		arch_cpu_relax();
	return c;
}
