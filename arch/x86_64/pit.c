/* The 8254 PIT: channel 2 (gated through port 0x61) measures the TSC at
 * boot; channel 0 on IRQ0 is the periodic HZ tick that drives jiffies when
 * the local APIC timer is not used (8259, `noapic`, `nolapic_timer`). Line 0
 * is the tick whichever timer raises it. */
#define pr_fmt(fmt) "pit: " fmt
#include <kelp/irq.h>
#include <kelp/time.h>
#include <kelp/printk.h>
#include <kelp/panic.h>
#include <arch/cpu.h>
#include <asm/io.h>
#include "pc.h"

#define PIT_HZ 1193182ULL
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20

/* Channel 0 in mode 3 (square wave), not mode 2: the PIC latches the rising
 * edge, and mode 2's output is high for a single PIT clock (838 ns). An
 * emulator that updates the output a little late (QEMU TCG on a busy host)
 * misses that pulse and the tick is lost; a half-period-wide level is not. */
#define PIT_CMD_CH0_SQUARE 0x36 /* channel 0, lo/hi byte, mode 3 (square wave) */
#define PIT_CMD_CH2_ONESHOT 0xb0 /* channel 2, lo/hi byte, mode 0 (count down once) */

/* Two 1 ms runs: the busy-wait was 30 ms (three 10 ms runs), four fifths
 * of the boot. A PIT clock is 838 ns and the polling loop's error is of
 * the order of one inb; 1 ms keeps both well under 0.2 %, and under
 * QEMU's -icount the count is exact either way. */
#define CALIBRATE_MS 1
#define CALIBRATE_TICKS (PIT_HZ * CALIBRATE_MS / 1000) /* 1193 */
#define CALIBRATE_RUNS 2

/* One countdown of CALIBRATE_TICKS on channel 2, in TSC cycles and (when
 * `other` is given) in units of other(), read at the same two moments; 0 if
 * the output never rose (no PIT, or it is broken). */
static u64 pit_measure(u64 (*other)(void), u64 *other_delta)
{
	u8 b = inb(PORT_B);
	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_ONESHOT);
	outb(PIT_CH2, CALIBRATE_TICKS & 0xff);
	/* Counting starts with the high byte: take the start stamps right after. */
	outb(PIT_CH2, CALIBRATE_TICKS >> 8);
	u64 start = arch_rdtsc(), ostart = other ? other() : 0, end = start;
	/* 1 ms is 1e7 cycles even at 10 GHz: 1e9 means the PIT is not there. */
	while (!(inb(PORT_B) & PORT_B_OUT2)) {
		end = arch_rdtsc();
		if (end - start > 1000000000ULL)
			return 0;
	}
	end = arch_rdtsc();
	if (other)
		*other_delta = other() - ostart;
	outb(PORT_B, b & ~(PORT_B_SPEAKER | PORT_B_GATE2));
	return end - start;
}

/* count / (ticks / PIT_HZ) seconds, in kHz; count < 1e9 keeps the product
 * below 2^64 */
static u64 pit_khz(u64 count)
{
	return count * PIT_HZ / (CALIBRATE_TICKS * 1000ULL);
}

u64 pit_calibrate(u64 (*other)(void), u64 *other_khz)
{
	u64 best = 0, best_other = 0;
	unsigned long flags = arch_irq_save();
	/* The shortest run is the one least delayed (by the host or an SMI)
	 * between the output rising and our seeing it; the other counter is
	 * taken from that same run. */
	for (int i = 0; i < CALIBRATE_RUNS; i++) {
		u64 o = 0, d = pit_measure(other, &o);
		if (!d) {
			best = 0;
			break;
		}
		if (!best || d < best) {
			best = d;
			best_other = o;
		}
	}
	arch_irq_restore(flags);
	if (other_khz)
		*other_khz = best ? pit_khz(best_other) : 0;
	return best ? pit_khz(best) : 0;
}

static void pc_tick_irq(int irq, void *data)
{
	(void)irq;
	(void)data;
	time_tick();
}

void pc_tick_register(void)
{
	int err = irq_register(0, pc_tick_irq, NULL);
	if (err)
		panic("pit: cannot register the timer interrupt: %d", err);
}

void pit_timer_init(void)
{
	u32 div = (u32)((PIT_HZ + HZ / 2) / HZ);
	unsigned long flags = arch_irq_save();
	outb(PIT_CMD, PIT_CMD_CH0_SQUARE);
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
	arch_irq_restore(flags);
	pc_tick_register();
	pr_info("channel 0 periodic at %d Hz (divisor %u), irq 0\n", HZ, div);
}
