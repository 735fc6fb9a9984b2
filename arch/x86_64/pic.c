/* The two cascaded 8259A PICs behind <irq.h>: remapped to vectors 32..47,
 * every line masked until a handler is registered, spurious IRQ7/IRQ15
 * filtered through the in-service register. */
#define pr_fmt(fmt) "pic: " fmt
#include <kelp/irq.h>
#include <kelp/errno.h>
#include <kelp/printk.h>
#include <kelp/spinlock.h>
#include <asm/io.h>
#include <arch/trap.h>
#include "pc.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascaded, ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20
#define OCW3_READ_ISR 0x0b
#define PIC_CASCADE_IRQ 2
#define PIC_NR_LINES 16

static spinlock_t pic_lock = SPINLOCK_INIT;
static u16 pic_mask_cache = 0xffff; /* bit set = line masked */

static void pic_write_masks(void)
{
	outb(PIC1_DATA, pic_mask_cache & 0xff);
	outb(PIC2_DATA, pic_mask_cache >> 8);
}

static void pic_mask(int irq)
{
	unsigned long flags = spin_lock_irqsave(&pic_lock);
	/* The cascade must stay open for the slave's lines. */
	if (irq != PIC_CASCADE_IRQ)
		pic_mask_cache |= 1u << irq;
	pic_write_masks();
	spin_unlock_irqrestore(&pic_lock, flags);
}

static void pic_unmask(int irq)
{
	unsigned long flags = spin_lock_irqsave(&pic_lock);
	pic_mask_cache &= ~(1u << irq);
	pic_write_masks();
	spin_unlock_irqrestore(&pic_lock, flags);
}

static const struct irq_chip pic_chip = {
	.name = "8259A",
	.nr_lines = PIC_NR_LINES,
	.mask = pic_mask,
	.unmask = pic_unmask,
};

static u8 pic_read_isr(u16 cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return inb(cmd);
}

static void pic_trap(struct trap_frame *tf)
{
	int irq = (int)tf->vector - IRQ_BASE;

	/* IRQ7/IRQ15 with no in-service bit is a line that dropped before the
	 * CPU acknowledged it: no EOI for that PIC, but a slave spurious one
	 * still came through the master's cascade input, which needs its EOI. */
	if (irq == 7 && !(pic_read_isr(PIC1_CMD) & 0x80)) {
		irq_note_spurious(irq);
		return;
	}
	if (irq == 15 && !(pic_read_isr(PIC2_CMD) & 0x80)) {
		outb(PIC1_CMD, OCW2_EOI);
		irq_note_spurious(irq);
		return;
	}

	/* Acknowledge before the handler: all lines are edge triggered, and a
	 * handler that switches tasks (the scheduler's tick) must not leave
	 * its line in service, blocking every lower priority one. Interrupts
	 * stay off until iret, so this does not nest. */
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
	irq_handle(irq);
}

static void pic_cascade(int irq, void *data)
{
	(void)irq;
	(void)data;
}

static void pic_remap_masked(void)
{
	unsigned long flags = spin_lock_irqsave(&pic_lock);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	io_wait();
	outb(PIC1_DATA, IRQ_BASE); /* ICW2: vector offsets */
	io_wait();
	outb(PIC2_DATA, IRQ_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << PIC_CASCADE_IRQ); /* ICW3: slave on IRQ2 */
	io_wait();
	outb(PIC2_DATA, PIC_CASCADE_IRQ); /* ICW3: slave identity */
	io_wait();
	outb(PIC1_DATA, ICW4_8086);
	io_wait();
	outb(PIC2_DATA, ICW4_8086);
	io_wait();
	pic_mask_cache = 0xffff;
	pic_write_masks();
	spin_unlock_irqrestore(&pic_lock, flags);
}

void pic_disable(void)
{
	/* Initialised and fully masked, so it cannot raise anything; the
	 * local APIC also keeps its ExtINT input (LINT0) masked. */
	pic_remap_masked();
	pr_info("8259A masked, the APIC takes over\n");
}

void pic_init(void)
{
	pic_remap_masked();
	for (int v = IRQ_BASE; v < IRQ_BASE + PIC_NR_LINES; v++)
		trap_register(v, pic_trap);
	irq_set_chip(&pic_chip);
	/* Claim the cascade so nobody registers it; this also opens it. */
	irq_register(PIC_CASCADE_IRQ, pic_cascade, NULL);
	pr_info("8259A remapped to vectors %d-%d, all lines masked\n", IRQ_BASE,
		IRQ_BASE + PIC_NR_LINES - 1);
}

#define INJECT(n)                                                                                  \
	case n:                                                                                    \
		__asm__ __volatile__("int %0" ::"i"(IRQ_BASE + n) : "memory");                     \
		break

int pic_inject_spurious(void)
{
	/* With no in-service bit set, IRQ7 and IRQ15 look spurious. */
	arch_irq_inject(7);
	arch_irq_inject(15);
	return 2;
}

int arch_irq_inject(int irq)
{
	unsigned long flags = arch_irq_save();
	switch (irq) {
	INJECT(0); INJECT(1); INJECT(2); INJECT(3); INJECT(4); INJECT(5); INJECT(6); INJECT(7);
	INJECT(8); INJECT(9); INJECT(10); INJECT(11); INJECT(12); INJECT(13); INJECT(14); INJECT(15);
	default:
		arch_irq_restore(flags);
		return -EINVAL;
	}
	arch_irq_restore(flags);
	return 0;
}
