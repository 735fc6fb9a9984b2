/* Console input (include/kelp/console.h): bytes come from the COM1 receive ring.
 * A task in console_getc() sleeps on a wait queue that the receive
 * interrupt wakes; without a scheduler (or with interrupts off) it idles
 * or polls.
 *
 * While a command runs in the foreground nobody reads the console, so the
 * receive interrupt reads it instead, as a tty's line discipline does: what
 * is typed ahead is kept, in order, for the next prompt, and Ctrl-C
 * discards it, echoes ^C and interrupts the foreground task (INTR: SIGINT
 * to the foreground process group). */
#include <kelp/console.h>
#include <kelp/serial.h>
#include <kelp/sched.h>
#include <kelp/spinlock.h>
#include <kelp/ringbuf.h>
#include <kelp/printk.h>
#include <kelp/init.h>
#include <arch/cpu.h>

#define CONSOLE_INTR 0x03 /* Ctrl-C */

static DECLARE_WAIT_QUEUE_HEAD(console_wq);
static serial_rx_notify_t console_prev_notify;

/* console_lock guards the foreground task, the interrupt flag and the
 * type-ahead ring; the receive interrupt takes it too. */
static spinlock_t console_lock = SPINLOCK_INIT;
static struct task *console_fg;
static bool console_intr;
static u8 console_ahead_buf[1024];
static struct ringbuf console_ahead = { console_ahead_buf, sizeof(console_ahead_buf), 0, 0, 0 };

/* Move what the UART received into the type-ahead ring, acting on Ctrl-C.
 * console_lock held, a foreground task set. True when Ctrl-C came. */
static bool console_take_input(void)
{
	bool intr = false;
	int c;
	while ((c = serial_read_byte(SERIAL_CONSOLE)) >= 0) {
		if (c == CONSOLE_INTR) {
			ringbuf_reset(&console_ahead);
			intr = true;
		} else {
			ringbuf_push(&console_ahead, (u8)c);
		}
	}
	if (intr) {
		console_intr = true;
		/* what a signal does to a sleeper: its interruptible sleep ends */
		set_tsk_thread_flag(console_fg, TIF_SIGPENDING);
		wake_up_state(console_fg, TASK_INTERRUPTIBLE);
	}
	return intr;
}

static void console_rx_notify(int port)
{
	bool intr = false;
	spin_lock(&console_lock);
	if (console_fg)
		intr = console_take_input();
	spin_unlock(&console_lock);
	if (intr)
		console_puts("^C\n");
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

void console_fg_begin(void)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);
	console_fg = current;
	console_intr = false;
	/* a Ctrl-C typed just before the command counts for it */
	bool intr = console_take_input();
	spin_unlock_irqrestore(&console_lock, flags);
	if (intr)
		console_puts("^C\n");
}

bool console_fg_end(void)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);
	bool intr = console_intr;
	console_fg = NULL;
	console_intr = false;
	if (intr)
		clear_tsk_thread_flag(current, TIF_SIGPENDING);
	spin_unlock_irqrestore(&console_lock, flags);
	return intr;
}

bool console_interrupted(void)
{
	return READ_ONCE(console_intr) && READ_ONCE(console_fg) == current;
}

int console_trygetc(void)
{
	unsigned long flags = spin_lock_irqsave(&console_lock);
	int c = ringbuf_pop(&console_ahead);
	spin_unlock_irqrestore(&console_lock, flags);
	return c >= 0 ? c : serial_read_byte(SERIAL_CONSOLE);
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
