/* The I/O APIC behind <irq.h>: line n is ISA IRQ n (0..15, through the
 * MADT's source overrides, so the PIT's IRQ 0 is GSI 2 on PCs) or GSI n
 * above 15; it is delivered on vector IRQ_BASE + n to the boot CPU, every
 * pin masked until a handler is registered. */
#define pr_fmt(fmt) "ioapic: " fmt
#include <kelp/errno.h>
#include <kelp/irq.h>
#include <kelp/printk.h>
#include <kelp/spinlock.h>
#include <arch/trap.h>
#include <asm/paging.h>
#include "acpi.h"
#include "apic.h"

#define IOAPIC_REGSEL 0
#define IOAPIC_WINDOW 4 /* in u32s: offset 0x10 */
#define IOAPIC_VERSION 1
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))

#define RTE_ACTIVE_LOW (1u << 13)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)

static volatile u32 *ioapic_mmio;
static u32 ioapic_gsi_base;
static int ioapic_pins;
static spinlock_t ioapic_lock = SPINLOCK_INIT;
/* Per line: its pin (-1: none; the ISA IRQ whose GSI an override gave to
 * another line) and the low word of its redirection entry, unmasked. */
static int line_pin[IRQ_MAX_LINES];
static u32 line_rte[IRQ_MAX_LINES];

static u32 ioapic_read(u32 reg)
{
	ioapic_mmio[IOAPIC_REGSEL] = reg;
	return ioapic_mmio[IOAPIC_WINDOW];
}

static void ioapic_write(u32 reg, u32 v)
{
	ioapic_mmio[IOAPIC_REGSEL] = reg;
	ioapic_mmio[IOAPIC_WINDOW] = v;
}

static void ioapic_set_masked(int irq, bool masked)
{
	int pin = line_pin[irq];
	if (pin < 0)
		return;
	unsigned long flags = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(IOAPIC_REDTBL(pin), line_rte[irq] | (masked ? RTE_MASKED : 0));
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

static void ioapic_mask(int irq)
{
	ioapic_set_masked(irq, true);
}

static void ioapic_unmask(int irq)
{
	ioapic_set_masked(irq, false);
}

static struct irq_chip ioapic_chip = {
	.name = "IO-APIC",
	.mask = ioapic_mask,
	.unmask = ioapic_unmask,
};

/* Acknowledge before the handler, as the 8259 driver does: a handler that
 * switches tasks must not leave its vector in service. Interrupts stay off
 * until iret, so this does not nest; a level-triggered line still asserted
 * is delivered again after the iret and finds its device quiet. */
static void ioapic_trap(struct trap_frame *tf)
{
	lapic_eoi();
	irq_handle((int)tf->vector - IRQ_BASE);
}

static void ioapic_no_pin(int irq, void *data)
{
	(void)irq;
	(void)data;
}

/* The redirection entry's low word for line irq: ISA lines are edge and
 * active high unless an override says otherwise; PCI's (GSI 16+) are level,
 * active low. */
static u32 line_entry(const struct acpi_madt_info *m, int irq, u32 *gsi)
{
	u16 flags = 0;
	bool isa = irq < 16;
	*gsi = isa ? acpi_isa_irq_gsi(m, irq, &flags) : (u32)irq;
	u32 pol = flags & ACPI_INTI_POLARITY_MASK, trig = flags & ACPI_INTI_TRIGGER_MASK;
	bool low = pol ? pol == ACPI_INTI_ACTIVE_LOW : !isa;
	bool level = trig ? trig == ACPI_INTI_LEVEL : !isa;
	return (u32)(IRQ_BASE + irq) | (low ? RTE_ACTIVE_LOW : 0) | (level ? RTE_LEVEL : 0);
}

static bool has_override(const struct acpi_madt_info *m, int irq)
{
	for (int i = 0; i < m->nr_overrides; i++)
		if (m->overrides[i].bus == 0 && m->overrides[i].irq == irq)
			return true;
	return false;
}

int ioapic_init(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	if (!m || !m->nr_ioapics)
		return -ENODEV;
	/* One I/O APIC serves every line a PC has; a second one's GSIs are
	 * beyond IRQ_MAX_LINES. */
	const struct acpi_ioapic *io = &m->ioapics[0];
	ioapic_mmio = paging_map_mmio(io->addr);
	if (!ioapic_mmio)
		return -ENOMEM;
	ioapic_gsi_base = io->gsi_base;
	ioapic_pins = (int)((ioapic_read(IOAPIC_VERSION) >> 16) & 0xff) + 1;

	for (int pin = 0; pin < ioapic_pins; pin++) {
		ioapic_write(IOAPIC_REDTBL(pin), RTE_MASKED);
		ioapic_write(IOAPIC_REDTBL(pin) + 1, 0);
	}
	int nr = MIN(ioapic_pins + (int)ioapic_gsi_base, IRQ_MAX_LINES);
	u32 dest = lapic_id() << 24; /* physical destination: this CPU */
	bool pin_taken[IRQ_MAX_LINES] = { 0 };
	for (int irq = 0; irq < nr; irq++)
		line_pin[irq] = -1;
	/* Lines an override names first, so they get their pin even where the
	 * identity mapping of another line would (IRQ 0 takes GSI 2; IRQ 2 is
	 * then left without a pin). */
	for (int pass = 0; pass < 2; pass++)
		for (int irq = 0; irq < nr; irq++) {
			u32 gsi;
			line_rte[irq] = line_entry(m, irq, &gsi);
			bool overridden = irq < 16 && has_override(m, irq);
			if (line_pin[irq] >= 0 || overridden != (pass == 0))
				continue;
			if (gsi < ioapic_gsi_base || gsi - ioapic_gsi_base >= (u32)ioapic_pins)
				continue;
			int pin = (int)(gsi - ioapic_gsi_base);
			if (pin >= IRQ_MAX_LINES || pin_taken[pin])
				continue;
			pin_taken[pin] = true;
			line_pin[irq] = pin;
			ioapic_write(IOAPIC_REDTBL(pin) + 1, dest);
			ioapic_write(IOAPIC_REDTBL(pin), line_rte[irq] | RTE_MASKED);
		}
	for (int v = IRQ_BASE; v < IRQ_BASE + nr; v++)
		trap_register(v, ioapic_trap);
	ioapic_chip.nr_lines = nr;
	irq_set_chip(&ioapic_chip);
	/* A line without a pin can never fire: claim it, as the 8259 driver
	 * claims its cascade, so nobody registers a handler that never runs. */
	for (int irq = 0; irq < nr; irq++)
		if (line_pin[irq] < 0)
			irq_register(irq, ioapic_no_pin, NULL);
	pr_info("IO-APIC %u at %#x, GSIs %u-%u, %d lines on vectors %d-%d, ISA IRQ 0 on GSI %u\n",
		io->id, io->addr, ioapic_gsi_base, ioapic_gsi_base + ioapic_pins - 1, nr, IRQ_BASE,
		IRQ_BASE + nr - 1, acpi_isa_irq_gsi(m, 0, NULL));
	return 0;
}

void ioapic_detach_line(int irq)
{
	if (irq < 0 || irq >= IRQ_MAX_LINES)
		return;
	ioapic_mask(irq);
	line_pin[irq] = -1;
}
