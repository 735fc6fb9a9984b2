/* Self-tests for the serial receive path: the ring buffer on its own, then
 * COM2 in 16550 loopback, received through the IRQ3 handler into its ring. */
#include <kelp/ktest.h>
#include <kelp/ringbuf.h>
#include <kelp/serial.h>
#include <kelp/irq.h>
#include <kelp/time.h>
#include <kelp/errno.h>
#include <kelp/string.h>
#include <arch/cpu.h>

KTEST(serial, ringbuf_init)
{
	struct ringbuf rb;
	u8 buf[8];
	KEXPECT_EQ(ringbuf_init(&rb, buf, 0), -EINVAL);
	KEXPECT_EQ(ringbuf_init(&rb, buf, 6), -EINVAL);
	KASSERT_EQ(ringbuf_init(&rb, buf, sizeof(buf)), 0);
	KEXPECT_TRUE(ringbuf_empty(&rb));
	KEXPECT_EQ(ringbuf_pop(&rb), -1);
}

KTEST(serial, ringbuf_fifo_order)
{
	struct ringbuf rb;
	u8 buf[8];
	KASSERT_EQ(ringbuf_init(&rb, buf, sizeof(buf)), 0);
	for (int i = 0; i < 5; i++)
		KEXPECT_TRUE(ringbuf_push(&rb, (u8)(0xf0 + i)));
	KEXPECT_EQ(ringbuf_count(&rb), 5);
	for (int i = 0; i < 5; i++)
		KEXPECT_EQ(ringbuf_pop(&rb), 0xf0 + i);
	KEXPECT_EQ(ringbuf_pop(&rb), -1);
}

KTEST(serial, ringbuf_wrap)
{
	struct ringbuf rb;
	u8 buf[8];
	KASSERT_EQ(ringbuf_init(&rb, buf, sizeof(buf)), 0);
	/* Three in, three out, many times: the slots wrap around the array. */
	int next_in = 0, next_out = 0;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 3; i++)
			KEXPECT_TRUE(ringbuf_push(&rb, (u8)next_in++));
		for (int i = 0; i < 3; i++)
			if (!KEXPECT_EQ(ringbuf_pop(&rb), (u8)next_out++))
				return;
	}
	KEXPECT_TRUE(ringbuf_empty(&rb));
	/* The free-running indices wrap at 2^32 too. */
	rb.head = rb.tail = 0xfffffffeu;
	for (int i = 0; i < 6; i++)
		KEXPECT_TRUE(ringbuf_push(&rb, (u8)(i + 1)));
	KEXPECT_EQ(ringbuf_count(&rb), 6);
	for (int i = 0; i < 6; i++)
		KEXPECT_EQ(ringbuf_pop(&rb), i + 1);
	KEXPECT_TRUE(ringbuf_empty(&rb));
	KEXPECT_EQ(rb.overruns, 0);
}

KTEST(serial, ringbuf_overrun)
{
	struct ringbuf rb;
	u8 buf[8];
	KASSERT_EQ(ringbuf_init(&rb, buf, sizeof(buf)), 0);
	for (int i = 0; i < 8; i++)
		KEXPECT_TRUE(ringbuf_push(&rb, (u8)i));
	KEXPECT_TRUE(ringbuf_full(&rb));
	/* Full: the newest bytes are dropped and counted, the old ones kept. */
	KEXPECT_FALSE(ringbuf_push(&rb, 100));
	KEXPECT_FALSE(ringbuf_push(&rb, 101));
	KEXPECT_EQ(rb.overruns, 2);
	KEXPECT_EQ(ringbuf_count(&rb), 8);
	for (int i = 0; i < 8; i++)
		KEXPECT_EQ(ringbuf_pop(&rb), i);
	KEXPECT_EQ(ringbuf_pop(&rb), -1);
	KEXPECT_TRUE(ringbuf_push(&rb, 7));
	KEXPECT_EQ(ringbuf_pop(&rb), 7);
}

KTEST(serial, console_present)
{
	KEXPECT_TRUE(serial_present(SERIAL_CONSOLE));
	KEXPECT_FALSE(serial_present(-1));
	KEXPECT_FALSE(serial_present(SERIAL_PORTS));
	KEXPECT_EQ(serial_read_byte(SERIAL_PORTS), -1);
	KEXPECT_EQ(serial_set_loopback(SERIAL_PORTS, true), -ENODEV);
}

static volatile int notify_calls, notify_port = -1;
static void loopback_notify(int port)
{
	notify_calls++;
	notify_port = port;
}

KTEST(serial, com2_loopback_irq)
{
	static const u8 msg[] = { 'K', 'e', 'l', 'p', 0x00, 0xff, '\n', 0x7f };
	u8 got[sizeof(msg)];
	size_t n = 0;

	if (!serial_present(SERIAL_PATCH)) {
		ktest_skip(t, "no COM2 (QEMU needs a second -serial)");
		return;
	}
	bool was_on = arch_irqs_enabled();
	arch_irq_enable();
	while (serial_read_byte(SERIAL_PATCH) >= 0) /* nothing stale */
		;
	serial_rx_notify_t old = serial_set_rx_notify(SERIAL_PATCH, loopback_notify);
	notify_calls = 0;
	u64 irqs0 = irq_line_count(3), over0 = serial_rx_overruns(SERIAL_PATCH);

	KASSERT_EQ(serial_set_loopback(SERIAL_PATCH, true), 0);
	serial_write(SERIAL_PATCH, (const char *)msg, sizeof(msg));
	/* Fewer bytes than the FIFO trigger level: the receive-timeout
	 * interrupt (4 character times) delivers them. With interrupts on,
	 * serial_read_byte() only reads the ring, so what arrives came
	 * through the IRQ handler. */
	u64 deadline = ktime_get_ns() + 200 * NSEC_PER_MSEC;
	while (n < sizeof(msg) && ktime_get_ns() < deadline) {
		int c = serial_read_byte(SERIAL_PATCH);
		if (c >= 0)
			got[n++] = (u8)c;
		else
			arch_cpu_relax();
	}
	serial_set_loopback(SERIAL_PATCH, false);
	serial_set_rx_notify(SERIAL_PATCH, old);
	if (!was_on)
		arch_irq_disable();

	KEXPECT_EQ(n, sizeof(msg));
	KEXPECT_EQ(memcmp(got, msg, n), 0);
	KEXPECT_GE(irq_line_count(3), irqs0 + 1);
	KEXPECT_GE(notify_calls, 1);
	KEXPECT_EQ(notify_port, SERIAL_PATCH);
	KEXPECT_EQ(serial_rx_overruns(SERIAL_PATCH), over0);
}
