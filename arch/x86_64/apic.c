/* Every CPU's local APIC: x2APIC through MSRs when CPUID offers it
 * (unless `nox2apic`), xAPIC through its uncached MMIO page otherwise. It
 * owns the spurious and error vectors, the EOI, and the LAPIC timer. The
 * I/O APIC (ioapic.c) routes the device lines to it. */
#define pr_fmt(fmt) "apic: " fmt
#include <kelp/cmdline.h>
#include <kelp/errno.h>
#include <kelp/irq.h>
#include <kelp/printk.h>
#include <kelp/time.h>
#include <arch/cpu.h>
#include <arch/trap.h>
#include <asm/io.h>
#include <asm/paging.h>
#include <kelp/percpu.h>
#include "apic.h"
#include "pc.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0xffffff000ULL
#define MSR_X2APIC_BASE 0x800 /* + register offset / 16 */

#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_ECX_X2APIC (1u << 21)

#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_NMI (4u << 8)
#define LVT_EXTINT (7u << 8)
#define LVT_TIMER_PERIODIC (1u << 17)
#define TIMER_DIVIDE_16 0x3

static volatile u32 *lapic_mmio;
static bool lapic_x2;
static u64 lapic_errors;

static notrace u32 lapic_read(u32 reg)
{
	if (lapic_x2)
		return (u32)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return lapic_mmio[reg / 4];
}

static notrace void lapic_write(u32 reg, u32 v)
{
	if (lapic_x2)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
	else
		lapic_mmio[reg / 4] = v;
}

bool lapic_present(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return d & CPUID1_EDX_APIC;
}

bool lapic_is_x2apic(void)
{
	return lapic_x2;
}

u32 lapic_id(void)
{
	u32 id = lapic_read(LAPIC_ID);
	return lapic_x2 ? id : id >> 24;
}

notrace void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* No EOI: a spurious interrupt sets no in-service bit. */
static void lapic_spurious_trap(struct trap_frame *tf)
{
	(void)tf;
	irq_note_spurious(-1);
}

static void lapic_error_trap(struct trap_frame *tf)
{
	(void)tf;
	lapic_write(LAPIC_ESR, 0); /* latch the error bits, then read them */
	u32 esr = lapic_read(LAPIC_ESR);
	if (lapic_errors++ < 4)
		pr_warn("local APIC error, ESR %#x\n", esr);
	lapic_eoi();
}

/* The registers every CPU's local APIC gets (lapic_init, lapic_ap_init). */
static void lapic_setup_local(void)
{
	lapic_write(LAPIC_TPR, 0);
	/* The 8259 is not used: its output (ExtINT on LINT0) stays masked;
	 * LINT1 is the NMI input on PCs. */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_ERROR_VECTOR);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	lapic_eoi();
}

/* An application processor's own local APIC, in the boot CPU's mode (the
 * xAPIC page is at the same address on every CPU). */
void lapic_ap_init(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	if (lapic_x2)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	lapic_setup_local();
}

int lapic_init(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC))
		return -ENODEV;
	u64 base = rdmsr(MSR_APIC_BASE);
	if ((c & CPUID1_ECX_X2APIC) && !cmdline_has("nox2apic")) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
		lapic_x2 = true;
	} else {
		lapic_mmio = paging_map_mmio(base & APIC_BASE_ADDR_MASK);
		if (!lapic_mmio)
			return -ENOMEM;
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	}

	trap_register(LAPIC_SPURIOUS_VECTOR, lapic_spurious_trap);
	trap_register(LAPIC_ERROR_VECTOR, lapic_error_trap);
	lapic_setup_local();
	pr_info("local APIC %u (%s, version %#x) enabled, spurious vector %#x\n", lapic_id(),
		lapic_x2 ? "x2APIC" : "xAPIC", lapic_read(LAPIC_VERSION) & 0xff,
		LAPIC_SPURIOUS_VECTOR);
	return 0;
}

void lapic_pass_8259(void)
{
	/* Virtual wire: the 8259's INTR reaches the CPU through LINT0. */
	lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);
}

/* The LAPIC timer counting down from the top, as a rising count. */
u64 lapic_timer_count(void)
{
	return 0xffffffffu - lapic_read(LAPIC_TIMER_CURRENT);
}

/* The boot CPU's tick is line 0 whichever timer raises it, so its
 * accounting, irq_line_count(0) and the handler stay the same as with the
 * PIT. The other CPUs' timers run only their own part of the tick. */
static void lapic_timer_trap(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	if (this_cpu()->cpu_id == 0)
		irq_handle(0);
	else
		irq_run_local(time_tick_cpu);
}

static u32 lapic_per_tick;

bool lapic_timer_started(void)
{
	return lapic_per_tick != 0;
}

/* An application processor's tick: the boot CPU's rate (one bus clock). */
void lapic_timer_start_ap(void)
{
	if (!lapic_per_tick)
		return;
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_VECTOR | LVT_TIMER_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, lapic_per_tick);
}

void lapic_timer_calibration_start(void)
{
	/* Counting down from the top: 10 ms at a 1 GHz bus / 16 is far from
	 * wrapping. */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
}

int lapic_timer_init(u64 khz)
{
	lapic_write(LAPIC_TIMER_INIT, 0);
	u64 per_tick = (khz * 1000 + HZ / 2) / HZ;
	if (!per_tick || per_tick > 0xffffffffu) {
		pr_warn("timer calibration gave %llu counts per tick\n",
			(unsigned long long)per_tick);
		return -EIO;
	}
	trap_register(LAPIC_TIMER_VECTOR, lapic_timer_trap);
	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_VECTOR | LVT_TIMER_PERIODIC);
	lapic_write(LAPIC_TIMER_INIT, (u32)per_tick);
	lapic_per_tick = (u32)per_tick;
	pr_info("timer periodic at %d Hz, %llu counts per tick (bus %llu kHz / 16, against the "
		"PIT)\n",
		HZ, (unsigned long long)per_tick, (unsigned long long)(khz * 16));
	return 0;
}

#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_PENDING (1u << 12)

/* notrace: text_poke_sync() sends IPIs while sites change. Interrupts
 * off: an interrupt handler sending its own IPI between the xAPIC's two
 * writes would redirect this one. */
notrace int lapic_send_ipi(u32 apic_id, u32 low)
{
	unsigned long flags = arch_irq_save();
	int ret = 0;
	if (lapic_x2) {
		wrmsr(MSR_X2APIC_BASE + (LAPIC_ICR_LOW >> 4), ((u64)apic_id << 32) | low);
		goto out;
	}
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, low);
	/* xAPIC: wait until the IPI has left (a few microseconds at most). */
	ret = -ETIMEDOUT;
	for (int i = 0; i < 100000; i++) {
		if (!(lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)) {
			ret = 0;
			break;
		}
		arch_cpu_relax();
	}
out:
	arch_irq_restore(flags);
	return ret;
}

int lapic_send_init(u32 apic_id)
{
	return lapic_send_ipi(apic_id, ICR_INIT | ICR_ASSERT);
}

int lapic_send_startup(u32 apic_id, phys_addr_t start)
{
	return lapic_send_ipi(apic_id, ICR_STARTUP | (u32)(start >> 12));
}
