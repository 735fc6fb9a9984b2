/* 16550 UART driver: COM1 (console) and COM2 (patch channel) at 115200 8N1.
 * Once serial_irq_init() has run, both directions are interrupt-driven (COM1
 * on IRQ4, COM2 on IRQ3): received bytes go into a ring per port, output is
 * queued in a bounded transmit ring per port and fed to the FIFO by the
 * transmit-empty (THRE) interrupt. A writer never waits for a peer for long:
 * when a port's ring is full and its FIFO does not drain within a bound, the
 * port counts as stalled (its peer stopped reading) and its further output
 * is dropped and counted until the FIFO drains again, so one peer cannot stop
 * the console, the timer or the scheduler. Before serial_irq_init() and
 * while the kernel panics, output is polled, synchronously and bounded. */
#define pr_fmt(fmt) "serial: " fmt
#include <kelp/serial.h>
#include <kelp/ringbuf.h>
#include <kelp/irq.h>
#include <kelp/errno.h>
#include <kelp/printk.h>
#include <kelp/spinlock.h>
#include <kelp/panic.h>
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
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define MCR_NORMAL 0x0b /* DTR, RTS, OUT2 (IRQ line enable) */
#define MCR_LOOP 0x10

/* A 16550 FIFO holds 16 bytes, but bytes keep arriving while we drain: stop
 * after this many so a stuck LSR cannot hold us in the interrupt forever. */
#define DRAIN_MAX 1024
#define FIFO_SIZE 16
/* LSR reads a writer spends waiting for the FIFO to drain before it calls
 * the peer stalled: far longer than 16 bytes take at 115200 baud (1.4 ms),
 * short enough that a peer that stopped reading costs a writer one pause. */
#define TX_WAIT_LOOPS 200000
/* The interrupt handler's passes over IIR: the 8259 is edge-triggered, so
 * the handler must leave no condition pending, but a stuck UART must not
 * keep it here. */
#define IRQ_PASSES 16

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
	/* Under tx_lock: */
	struct ringbuf tx;
	u8 ier;       /* what IER holds */
	bool stalled; /* FIFO did not drain in TX_WAIT_LOOPS: drop, do not wait */
	u64 tx_bytes;
	u64 tx_dropped;
	u64 tx_stalls;
	u8 tx_buf[SERIAL_TX_RING];
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
		ringbuf_init(&p->tx, p->tx_buf, sizeof(p->tx_buf));
		p->present = uart_probe(p->base);
		if (p->present)
			uart_init(p->base);
	}
}

bool serial_present(int port)
{
	return port_get(port) != NULL;
}

static notrace bool thr_empty(struct serial_port *p)
{
	return inb(p->base + UART_LSR) & LSR_THR_EMPTY;
}

static notrace void ier_set(struct serial_port *p, u8 ier)
{
	if (p->ier != ier) {
		p->ier = ier;
		outb(p->base + UART_IER, ier);
	}
}

/* Moves queued bytes into the FIFO if it is empty; the THRE interrupt is on
 * exactly while bytes wait in the ring. Caller holds tx_lock. */
static notrace void tx_kick(struct serial_port *p)
{
	if (thr_empty(p)) {
		p->stalled = false;
		for (int i = 0; i < FIFO_SIZE && !ringbuf_empty(&p->tx); i++) {
			outb(p->base + UART_DATA, (u8)ringbuf_pop(&p->tx));
			p->tx_bytes++;
		}
	}
	if (READ_ONCE(p->irq_mode))
		ier_set(p, ringbuf_empty(&p->tx) ? IER_RX_AVAIL : IER_RX_AVAIL | IER_THRI);
}

/* Waits, bounded, for the FIFO to drain; false (and the port stalled) when
 * it does not. A stalled port is not waited for again until it drains. */
static notrace bool tx_wait(struct serial_port *p)
{
	if (p->stalled)
		return thr_empty(p);
	for (int i = 0; i < TX_WAIT_LOOPS; i++)
		if (thr_empty(p))
			return true;
	p->stalled = true;
	p->tx_stalls++;
	return false;
}

static notrace void tx_queue(struct serial_port *p, u8 c)
{
	while (ringbuf_full(&p->tx)) {
		if (!tx_wait(p)) {
			p->tx_dropped++;
			return;
		}
		tx_kick(p);
	}
	ringbuf_push(&p->tx, c);
}

/* Polled output: what is queued first, then s, each byte waiting (bounded)
 * for the FIFO. For early boot and the panic path. */
static notrace void tx_sync(struct serial_port *p, int port, const char *s, size_t len)
{
	while (!ringbuf_empty(&p->tx)) {
		if (!tx_wait(p)) {
			p->tx_dropped += ringbuf_count(&p->tx);
			ringbuf_reset(&p->tx);
			break;
		}
		tx_kick(p);
	}
	for (size_t i = 0; i < len; i++) {
		bool cr = s[i] == '\n' && port == SERIAL_CONSOLE;
		for (int k = 0; k < 1 + cr; k++) {
			if (!tx_wait(p)) {
				p->tx_dropped++;
				continue;
			}
			outb(p->base + UART_DATA, (u8)(k < cr ? '\r' : s[i]));
			p->tx_bytes++;
		}
	}
}

void serial_write(int port, const char *s, size_t len)
{
	struct serial_port *p = port_get(port);
	if (!p)
		return;
	/* A panic may have interrupted a writer on this CPU: do not wait for
	 * its lock, write over it. */
	bool panicking = panic_in_progress;
	unsigned long flags = arch_irq_save();
	bool locked = panicking ? spin_trylock(&p->tx_lock) : (spin_lock(&p->tx_lock), true);
	if (panicking || !READ_ONCE(p->irq_mode)) {
		tx_sync(p, port, s, len);
	} else {
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '\n' && port == SERIAL_CONSOLE)
				tx_queue(p, '\r');
			tx_queue(p, (u8)s[i]);
		}
		tx_kick(p);
	}
	if (locked)
		spin_unlock(&p->tx_lock);
	arch_irq_restore(flags);
}

int serial_get_stats(int port, struct serial_stats *st)
{
	struct serial_port *p = port_get(port);
	if (!p)
		return -ENODEV;
	st->io_base = p->base;
	st->irq = p->irq;
	unsigned long flags = spin_lock_irqsave(&p->tx_lock);
	st->tx = p->tx_bytes;
	st->tx_dropped = p->tx_dropped;
	st->tx_stalls = p->tx_stalls;
	spin_unlock_irqrestore(&p->tx_lock, flags);
	st->rx_overruns = serial_rx_overruns(port);
	return 0;
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
	int n = 0;
	(void)irq;
	/* Reading IIR acknowledges a transmit-empty condition; the receive
	 * conditions clear as the FIFO empties. Loop until none is pending, or
	 * the edge-triggered line would not rise again. */
	for (int pass = 0; pass < IRQ_PASSES; pass++) {
		if (inb(p->base + UART_IIR) & IIR_NO_INT)
			break;
		n += uart_drain(p);
		spin_lock(&p->tx_lock);
		tx_kick(p);
		spin_unlock(&p->tx_lock);
		inb(p->base + UART_MSR);
	}
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
		unsigned long flags = spin_lock_irqsave(&p->tx_lock);
		WRITE_ONCE(p->irq_mode, true);
		tx_kick(p);
		spin_unlock_irqrestore(&p->tx_lock, flags);
		pr_info("ttyS%d at I/O %#x (irq = %d, base_baud = 115200) is a 16550A, rx ring %u bytes, tx ring %u bytes\n",
			i, p->base, p->irq, (unsigned)sizeof(p->rx_buf), (unsigned)sizeof(p->tx_buf));
	}
}
