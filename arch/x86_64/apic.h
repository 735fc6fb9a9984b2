/* The local and I/O APIC drivers (apic.c, ioapic.c), private to
 * arch/x86_64/. Device line n arrives on vector IRQ_BASE + n, as on the
 * 8259; the local APIC's own interrupts sit at the top of the vector space. */
#pragma once
#include <kelp/compiler.h>

#define LAPIC_TIMER_VECTOR 0xef
#define LAPIC_ERROR_VECTOR 0xfe
#define LAPIC_SPURIOUS_VECTOR 0xff

/* CPUID says this CPU has a local APIC. */
bool lapic_present(void);
/* Enable the boot CPU's local APIC (x2APIC mode when offered). */
int lapic_init(void);
bool lapic_is_x2apic(void);
u32 lapic_id(void);
void lapic_eoi(void);
/* Let the 8259 through LINT0 again (fallback after a failed I/O APIC). */
void lapic_pass_8259(void);

/* Calibrate the LAPIC timer against the PIT and start it periodic at HZ
 * on LAPIC_TIMER_VECTOR, which runs line 0's handler. */
int lapic_timer_init(void);

/* Program the I/O APIC of the MADT (every pin masked, ISA lines through the
 * overrides to this CPU) and make it the irq_chip. */
int ioapic_init(void);
/* Take line irq off its pin for good (pin masked, unmask does nothing):
 * line 0 when the LAPIC timer raises it instead of the PIT. */
void ioapic_detach_line(int irq);
