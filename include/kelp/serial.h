/* 16550 UARTs: COM1 is the console, COM2 the patch channel. */
#pragma once
#include <kelp/types.h>

#define SERIAL_CONSOLE 0 /* COM1 */
#define SERIAL_PATCH 1   /* COM2 */
#define SERIAL_PORTS 2
/* Bytes of receive buffer per port. A patch-channel sender may have a
 * whole frame in flight plus its retransmission or duplicate (up to 2 x
 * 4 KiB + headers), arriving while the channel thread is not running: the
 * ring must hold that, or bytes are dropped and the channel stalls. */
#define SERIAL_RX_RING 16384
/* Bytes of transmit buffer per port: a few patch-channel answers (4 KiB
 * frames) or screens of console output. When it is full and the port's
 * peer does not read, that port's output is dropped (serial_tx_dropped). */
#define SERIAL_TX_RING 16384

void serial_early_init(void); /* polled output on both ports */
void serial_irq_init(void);   /* interrupt-driven receive and transmit */
/* False when the machine has no UART at that port (QEMU without -serial). */
bool serial_present(int port);
/* Queues s for the transmit interrupt and returns; waits (bounded) only when
 * the ring is full. Polled while panicking and before serial_irq_init(). */
void serial_write(int port, const char *s, size_t len);
struct serial_stats {
	u16 io_base;
	int irq;
	u64 tx;          /* bytes handed to the UART */
	u64 tx_dropped;  /* output dropped: the port's peer stopped reading */
	u64 tx_stalls;   /* times the port was found stalled */
	u64 rx_overruns; /* input dropped: the receive ring was full */
};
/* -ENODEV if the port is absent (/proc/tty/driver/serial shows these). */
int serial_get_stats(int port, struct serial_stats *st);
/* Next received byte, or -1 when the receive ring is empty. Before the
 * receive interrupt is on, or with interrupts off, this polls the UART
 * into the ring first. */
int serial_read_byte(int port);
/* Bytes dropped because a receive ring was full. */
u64 serial_rx_overruns(int port);

/* Called in interrupt context after a receive interrupt put bytes in the
 * ring of port (the patch channel and the scheduler's wake-ups use this).
 * Returns the previous callback. */
typedef void (*serial_rx_notify_t)(int port);
serial_rx_notify_t serial_set_rx_notify(int port, serial_rx_notify_t fn);

/* For self-tests: the UART's internal loopback (what is sent is received,
 * nothing reaches the wire). -ENODEV if the port is absent. */
int serial_set_loopback(int port, bool on);
