/* Console input (include/kelp/console.h): bytes come from the COM1 receive ring.
 * A task in console_getc() sleeps on a wait queue that the receive
 * interrupt wakes; without a scheduler (or with interrupts off) it idles
 * or polls. */
#include <kelp/console.h>
#include <kelp/serial.h>
#include <kelp/sched.h>
#include <kelp/init.h>
#include <arch/cpu.h>

static DECLARE_WAIT_QUEUE_HEAD(console_wq);
static serial_rx_notify_t console_prev_notify;

static void console_rx_notify(int port)
{
	wake_up_all(&console_wq);
	if (console_prev_notify)
		console_prev_notify(port);
}

static int console_input_init(void)
{
	console_prev_notify = serial_set_rx_notify(SERIAL_CONSOLE, console_rx_notify);
	return 0;
}
device_initcall(console_input_init);

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
	if (sched_running() && !(current->flags & PF_IDLE) && !preempt_count()) {
		int c;
		wait_event(console_wq, (c = console_trygetc()) >= 0);
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
