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

/* Short runs first: the busy-wait was 30 ms (three 10 ms runs), four
 * fifths of the boot. A PIT clock is 838 ns and the polling loop's error
 * is of the order of one inb, well under 0.2 % of 1 ms, and under QEMU's
 * -icount two 1 ms runs agree exactly. On a loaded host a run can come out
 * long (the emulator descheduled inside it), so the short runs are
 * trusted only when the two shortest agree within 0.1 %; else it is the
 * shortest of three 10 ms runs, as before. */
#define CALIBRATE_SHORT_TICKS (PIT_HZ / 1000)     /* 1193: 1 ms */
#define CALIBRATE_SHORT_RUNS 4
#define CALIBRATE_LONG_TICKS (PIT_HZ * 10 / 1000) /* 11931: 10 ms */
#define CALIBRATE_LONG_RUNS 3

/* One countdown of CALIBRATE_TICKS on channel 2, in TSC cycles and (when
 * `other` is given) in units of other(), read at the same two moments; 0 if
 * the output never rose (no PIT, or it is broken). */
static u64 pit_measure(unsigned int ticks, u64 (*other)(void), u64 *other_delta)
{
	u8 b = inb(PORT_B);
	outb(PORT_B, (b & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_ONESHOT);
	outb(PIT_CH2, ticks & 0xff);
	/* Counting starts with the high byte: take the start stamps right after. */
	outb(PIT_CH2, ticks >> 8);
	u64 start = arch_rdtsc(), ostart = other ? other() : 0, end = start;
	/* 10 ms is 1e8 cycles even at 10 GHz: 1e10 means the PIT is not there. */
	while (!(inb(PORT_B) & PORT_B_OUT2)) {
		end = arch_rdtsc();
		if (end - start > 10000000000ULL)
			return 0;
	}
	end = arch_rdtsc();
	if (other)
		*other_delta = other() - ostart;
	outb(PORT_B, b & ~(PORT_B_SPEAKER | PORT_B_GATE2));
	return end - start;
}

/* count / (ticks / PIT_HZ) seconds, in kHz; count < 1e10 keeps the product
 * below 2^64 */
static u64 pit_khz(u64 count, unsigned int ticks)
{
	return count * PIT_HZ / (ticks * 1000ULL);
}

/* The shortest of runs countdowns (the one least delayed, by the host or
 * an SMI, between the output rising and our seeing it) in *best, the other
 * counter from that same run in *best_other; the second shortest is
 * returned (0: no PIT). */
static u64 pit_runs(unsigned int ticks, int runs, u64 (*other)(void), u64 *best, u64 *best_other)
{
	u64 second = 0;
	*best = 0;
	for (int i = 0; i < runs; i++) {
		u64 o = 0, d = pit_measure(ticks, other, &o);
		if (!d) {
			*best = 0;
			return 0;
		}
		if (!*best || d < *best) {
			second = *best;
			*best = d;
			*best_other = o;
		} else if (!second || d < second) {
			second = d;
		}
	}
	return second;
}

u64 pit_calibrate(u64 (*other)(void), u64 *other_khz)
{
	u64 best = 0, best_other = 0;
	unsigned int ticks = CALIBRATE_SHORT_TICKS;
	unsigned long flags = arch_irq_save();
	u64 second = pit_runs(ticks, CALIBRATE_SHORT_RUNS / 2, other, &best, &best_other);
	if (best && (second - best) * 1000 > best) {
		second = pit_runs(ticks, CALIBRATE_SHORT_RUNS, other, &best, &best_other);
		if (best && (second - best) * 1000 > best) {
			ticks = CALIBRATE_LONG_TICKS;
			pit_runs(ticks, CALIBRATE_LONG_RUNS, other, &best, &best_other);
		}
	}
	arch_irq_restore(flags);
	if (other_khz)
		*other_khz = best ? pit_khz(best_other, ticks) : 0;
	return best ? pit_khz(best, ticks) : 0;
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
