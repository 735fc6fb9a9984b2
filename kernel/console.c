/* Console input (include/console.h): bytes come from the COM1 receive ring.
 * console_getc() idles the CPU until the receive interrupt delivers one;
 * a scheduler will later turn that wait into a sleep. */
#include <console.h>
#include <serial.h>
#include <arch/cpu.h>

int console_trygetc(void)
{
	return serial_read_byte(SERIAL_CONSOLE);
}

int console_getc(void)
{
	/* With interrupts off nothing would wake a halt: poll instead. */
	if (!arch_irqs_enabled()) {
		int c;
		while ((c = console_trygetc()) < 0)
			arch_cpu_relax();
		return c;
	}
	for (;;) {
		/* Check and halt with interrupts off, so a byte that lands in
		 * between cannot be missed: arch_idle() re-enables and halts
		 * atomically. */
		arch_irq_disable();
		int c = console_trygetc();
		if (c >= 0) {
			arch_irq_enable();
			return c;
		}
		arch_idle();
	}
}
