/* 16550 UART driver: COM1 (console) and COM2 (patch channel) at 115200 8N1.
 * Output is polled; receive is interrupt-driven (COM1 on IRQ4, COM2 on IRQ3)
 * into a ring per port once serial_irq_init() has run; before that, and
 * whenever interrupts are off, reads poll the UART into the same ring. */
#define pr_fmt(fmt) "serial: " fmt
#include <kelp/serial.h>
#include <kelp/ringbuf.h>
#include <kelp/irq.h>
#include <kelp/errno.h>
#include <kelp/printk.h>
#include <kelp/spinlock.h>
#include <asm/io.h>

#define UART_DATA 0
#define UART_IER 1
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define IER_RX_AVAIL 0x01
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define MCR_NORMAL 0x0b /* DTR, RTS, OUT2 (IRQ line enable) */
#define MCR_LOOP 0x10

/* A 16550 FIFO holds 16 bytes, but bytes keep arriving while we drain: stop
 * after this many so a stuck LSR cannot hold us in the interrupt forever. */
#define DRAIN_MAX 1024

struct serial_port {
	u16 base;
	int irq;
	bool present;
	bool irq_mode;
	spinlock_t tx_lock;
	spinlock_t rx_lock;
	struct ringbuf rx;
	serial_rx_notify_t notify;
	u8 rx_buf[SERIAL_RX_RING];
};

static struct serial_port ports[SERIAL_PORTS] = {
	{ .base = 0x3f8, .irq = 4, .tx_lock = SPINLOCK_INIT, .rx_lock = SPINLOCK_INIT },
	{ .base = 0x2f8, .irq = 3, .tx_lock = SPINLOCK_INIT, .rx_lock = SPINLOCK_INIT },
};

static struct serial_port *port_get(int port)
{
	if (port < 0 || port >= SERIAL_PORTS || !ports[port].present)
		return NULL;
	return &ports[port];
}

/* Absent ports float: every register reads 0xff, so the scratch register
 * cannot hold a value. */
static bool uart_probe(u16 base)
{
	outb(base + UART_SCR, 0x5a);
	if (inb(base + UART_SCR) != 0x5a)
		return false;
	outb(base + UART_SCR, 0xa5);
	return inb(base + UART_SCR) == 0xa5;
}

static void uart_init(u16 base)
{
	outb(base + UART_IER, 0x00);
	outb(base + UART_LCR, 0x80); /* DLAB: set the divisor */
	outb(base + 0, 1);           /* 115200 baud */
	outb(base + 1, 0);
	outb(base + UART_LCR, 0x03); /* 8N1 */
	outb(base + UART_FCR, 0xc5); /* FIFO on, 14-byte threshold; keep received bytes */
	outb(base + UART_MCR, MCR_NORMAL);
}

void serial_early_init(void)
{
	for (int i = 0; i < SERIAL_PORTS; i++) {
		struct serial_port *p = &ports[i];
		ringbuf_init(&p->rx, p->rx_buf, sizeof(p->rx_buf));
		p->present = uart_probe(p->base);
		if (p->present)
			uart_init(p->base);
	}
}

bool serial_present(int port)
{
	return port_get(port) != NULL;
}

static notrace void uart_putc(u16 base, char c)
{
	while (!(inb(base + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(base + UART_DATA, (u8)c);
}

void serial_write(int port, const char *s, size_t len)
{
	struct serial_port *p = port_get(port);
	if (!p)
		return;
	unsigned long flags = spin_lock_irqsave(&p->tx_lock);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && port == SERIAL_CONSOLE)
			uart_putc(p->base, '\r');
		uart_putc(p->base, s[i]);
	}
	spin_unlock_irqrestore(&p->tx_lock, flags);
}

static int uart_drain(struct serial_port *p)
{
	int n = 0;
	unsigned long flags = spin_lock_irqsave(&p->rx_lock);
	while (n < DRAIN_MAX && (inb(p->base + UART_LSR) & LSR_DATA_READY)) {
		ringbuf_push(&p->rx, inb(p->base + UART_DATA));
		n++;
	}
	spin_unlock_irqrestore(&p->rx_lock, flags);
	return n;
}

int serial_read_byte(int port)
{
	struct serial_port *p = port_get(port);
	if (!p)
		return -1;
	if (!READ_ONCE(p->irq_mode) || !arch_irqs_enabled())
		uart_drain(p);
	unsigned long flags = spin_lock_irqsave(&p->rx_lock);
	int c = ringbuf_pop(&p->rx);
	spin_unlock_irqrestore(&p->rx_lock, flags);
	return c;
}

u64 serial_rx_overruns(int port)
{
	struct serial_port *p = port_get(port);
	if (!p)
		return 0;
	unsigned long flags = spin_lock_irqsave(&p->rx_lock);
	u64 n = p->rx.overruns;
	spin_unlock_irqrestore(&p->rx_lock, flags);
	return n;
}

serial_rx_notify_t serial_set_rx_notify(int port, serial_rx_notify_t fn)
{
	if (port < 0 || port >= SERIAL_PORTS)
		return NULL;
	return __atomic_exchange_n(&ports[port].notify, fn, __ATOMIC_ACQ_REL);
}

int serial_set_loopback(int port, bool on)
{
	struct serial_port *p = port_get(port);
	if (!p)
		return -ENODEV;
	outb(p->base + UART_MCR, on ? MCR_NORMAL | MCR_LOOP : MCR_NORMAL);
	return 0;
}

static void serial_irq(int irq, void *data)
{
	struct serial_port *p = data;
	(void)irq;
	/* Reading IIR acknowledges a pending transmit-empty condition; the
	 * receive conditions clear as the FIFO empties. */
	inb(p->base + UART_IIR);
	int n = uart_drain(p);
	serial_rx_notify_t fn = __atomic_load_n(&p->notify, __ATOMIC_ACQUIRE);
	if (n && fn)
		fn((int)(p - ports));
}

void serial_irq_init(void)
{
	for (int i = 0; i < SERIAL_PORTS; i++) {
		struct serial_port *p = &ports[i];
		if (!p->present) {
			pr_info("ttyS%d: no UART at I/O %#x\n", i, p->base);
			continue;
		}
		int err = irq_register(p->irq, serial_irq, p);
		if (err) {
			pr_err("ttyS%d: irq %d: %d, receive stays polled\n", i, p->irq, err);
			continue;
		}
		/* Keep what arrived while polled, and clear stale conditions. */
		uart_drain(p);
		inb(p->base + UART_IIR);
		inb(p->base + UART_MSR);
		WRITE_ONCE(p->irq_mode, true);
		outb(p->base + UART_IER, IER_RX_AVAIL);
		pr_info("ttyS%d at I/O %#x (irq = %d, base_baud = 115200) is a 16550A, rx ring %u bytes\n",
			i, p->base, p->irq, (unsigned)sizeof(p->rx_buf));
	}
}
