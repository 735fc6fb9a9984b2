/* 16550 UARTs: COM1 is the console, COM2 the patch channel. */
#pragma once
#include <types.h>

#define SERIAL_CONSOLE 0 /* COM1 */
#define SERIAL_PATCH 1   /* COM2 */

void serial_early_init(void); /* polled output on both ports */
void serial_irq_init(void);   /* interrupt-driven receive into ring buffers */
void serial_write(int port, const char *s, size_t len);
/* Next received byte, or -1 when the receive ring is empty. */
int serial_read_byte(int port);
/* Bytes dropped because a receive ring was full. */
u64 serial_rx_overruns(int port);
