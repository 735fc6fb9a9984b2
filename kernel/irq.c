/* The generic half of device interrupts: the handler table, per-CPU and
 * per-line accounting, and in_interrupt(). The controller (arch) does
 * masking, acknowledgement and spurious filtering through struct irq_chip. */
#define pr_fmt(fmt) "irq: " fmt
#include <kelp/irq.h>
#include <kelp/errno.h>
#include <kelp/percpu.h>
#include <kelp/printk.h>
#include <kelp/spinlock.h>

struct irq_desc {
	irq_handler_t handler;
	void *data;
	u64 count;
};

static struct irq_desc irq_descs[IRQ_MAX_LINES];
static const struct irq_chip *irq_chip;
static spinlock_t irq_lock = SPINLOCK_INIT;
static u64 irq_spurious, irq_unhandled;

void irq_set_chip(const struct irq_chip *chip)
{
	BUILD_BUG_ON(IRQ_MAX_LINES < 16);
	if (chip->nr_lines > IRQ_MAX_LINES)
		return;
	irq_chip = chip;
	pr_info("%d lines on %s\n", chip->nr_lines, chip->name);
}

int irq_nr_lines(void)
{
	return irq_chip ? irq_chip->nr_lines : 0;
}

int irq_register(int irq, irq_handler_t handler, void *data)
{
	if (!irq_chip)
		return -ENODEV;
	if (irq < 0 || irq >= irq_chip->nr_lines || !handler)
		return -EINVAL;

	unsigned long flags = spin_lock_irqsave(&irq_lock);
	struct irq_desc *d = &irq_descs[irq];
	if (d->handler) {
		spin_unlock_irqrestore(&irq_lock, flags);
		return -EBUSY;
	}
	/* data first: the handler pointer is what irq_handle() tests. */
	d->data = data;
	__atomic_store_n(&d->handler, handler, __ATOMIC_RELEASE);
	irq_chip->unmask(irq);
	spin_unlock_irqrestore(&irq_lock, flags);
	return 0;
}

int irq_unregister(int irq, irq_handler_t handler)
{
	if (!irq_chip)
		return -ENODEV;
	if (irq < 0 || irq >= irq_chip->nr_lines)
		return -EINVAL;

	unsigned long flags = spin_lock_irqsave(&irq_lock);
	struct irq_desc *d = &irq_descs[irq];
	if (!d->handler || d->handler != handler) {
		spin_unlock_irqrestore(&irq_lock, flags);
		return -EINVAL;
	}
	/* Masked before the handler goes, so this CPU never sees the line
	 * without one. Another CPU could still be running it: with SMP this
	 * wants a synchronize_irq(). */
	irq_chip->mask(irq);
	__atomic_store_n(&d->handler, NULL, __ATOMIC_RELEASE);
	d->data = NULL;
	spin_unlock_irqrestore(&irq_lock, flags);
	return 0;
}

bool in_interrupt(void)
{
	return READ_ONCE(this_cpu()->in_irq) > 0;
}

void irq_handle(int irq)
{
	struct percpu *pc = this_cpu();
	if (irq < 0 || irq >= IRQ_MAX_LINES) {
		__atomic_fetch_add(&irq_unhandled, 1, __ATOMIC_RELAXED);
		return;
	}
	struct irq_desc *d = &irq_descs[irq];
	irq_handler_t fn = __atomic_load_n(&d->handler, __ATOMIC_ACQUIRE);

	pc->irq_count++;
	__atomic_fetch_add(&d->count, 1, __ATOMIC_RELAXED);
	if (!fn) {
		/* A line unmasked without a handler is a bug; keep it quiet
		 * after the first report and mask it. */
		if (__atomic_fetch_add(&irq_unhandled, 1, __ATOMIC_RELAXED) < 4)
			pr_warn("no handler for irq %d, masking it\n", irq);
		if (irq_chip)
			irq_chip->mask(irq);
		return;
	}

	/* An expected-fault catcher armed by the interrupted code must not
	 * swallow a fault taken inside the handler. */
	struct fault_catch *fc = pc->fault_catch;
	pc->fault_catch = NULL;
	pc->in_irq++;
	fn(irq, d->data);
	pc->in_irq--;
	pc->fault_catch = fc;
}

void irq_run_local(void (*fn)(void))
{
	struct percpu *pc = this_cpu();
	struct fault_catch *fc = pc->fault_catch;
	pc->irq_count++;
	pc->fault_catch = NULL;
	pc->in_irq++;
	fn();
	pc->in_irq--;
	pc->fault_catch = fc;
}

void irq_note_spurious(int irq)
{
	(void)irq;
	__atomic_fetch_add(&irq_spurious, 1, __ATOMIC_RELAXED);
}

u64 irq_line_count(int irq)
{
	if (irq < 0 || irq >= IRQ_MAX_LINES)
		return 0;
	return __atomic_load_n(&irq_descs[irq].count, __ATOMIC_RELAXED);
}

u64 irq_spurious_count(void)
{
	return __atomic_load_n(&irq_spurious, __ATOMIC_RELAXED);
}

u64 irq_unhandled_count(void)
{
	return __atomic_load_n(&irq_unhandled, __ATOMIC_RELAXED);
}
