/* Device interrupts, independent of the interrupt controller: drivers
 * register a handler per IRQ line; the arch layer (the I/O APIC and local
 * APIC, or the 8259 PIC) masks/unmasks lines, acknowledges (EOI) and filters
 * spurious interrupts, then calls irq_handle() for real ones. */
#pragma once
#include <kelp/compiler.h>

/* Upper bound on lines any controller may provide (an IO-APIC has 24). */
#define IRQ_MAX_LINES 24

typedef void (*irq_handler_t)(int irq, void *data);

/* Install handler for line irq and unmask it. -EINVAL for a line the
 * controller does not have (or a NULL handler), -EBUSY when the line already
 * has a handler, -ENODEV before the controller is up. One handler per line:
 * ISA lines are not shared. */
int irq_register(int irq, irq_handler_t handler, void *data);
/* Mask line irq and remove its handler. -EINVAL if handler is not the one
 * registered there. */
int irq_unregister(int irq, irq_handler_t handler);

/* True inside a device interrupt handler on this CPU. */
bool in_interrupt(void);

/* Interrupts delivered to line irq (all CPUs), spurious interrupts seen,
 * and interrupts on lines without a handler. */
u64 irq_line_count(int irq);
u64 irq_spurious_count(void);
u64 irq_unhandled_count(void);
/* Lines the controller provides (0 before it is up). */
int irq_nr_lines(void);

/* --- The controller side, for arch code. --- */
struct irq_chip {
	const char *name;
	int nr_lines;
	void (*mask)(int irq);
	void (*unmask)(int irq);
};
void irq_set_chip(const struct irq_chip *chip);
/* Run the handler of line irq in interrupt context (the arch has already
 * acknowledged the controller). */
void irq_handle(int irq);
/* Run fn in interrupt context for a CPU-local interrupt that has no line
 * (another CPU's timer, an IPI): in_interrupt() and the fault catcher as
 * for irq_handle, counted in this CPU's interrupts only. */
void irq_run_local(void (*fn)(void));
/* The controller saw a spurious interrupt on line irq. */
void irq_note_spurious(int irq);

/* For self-tests: run the arch interrupt path for line irq as if it had
 * fired (x86: a software int to its vector). The controller is not involved,
 * so on the PIC's IRQ7/IRQ15 this looks exactly like a spurious interrupt. */
int arch_irq_inject(int irq);
/* For self-tests: raise what the controller takes for spurious interrupts
 * (8259: IRQ7 and IRQ15 with nothing in service; APIC: its spurious
 * vector); returns how many were raised. */
int arch_irq_inject_spurious(void);
