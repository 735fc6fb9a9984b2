/* The local and I/O APIC drivers (apic.c, ioapic.c), private to
 * arch/x86_64/. Device line n arrives on vector IRQ_BASE + n, as on the
 * 8259; the local APIC's own interrupts sit at the top of the vector space. */
#pragma once
#include <kelp/compiler.h>

#define LAPIC_TIMER_VECTOR 0xef
#define CALL_FUNCTION_VECTOR 0xfb
#define RESCHEDULE_VECTOR 0xfc
#define LAPIC_ERROR_VECTOR 0xfe
#define LAPIC_SPURIOUS_VECTOR 0xff

/* CPUID says this CPU has a local APIC. */
bool lapic_present(void);
/* Enable the boot CPU's local APIC (x2APIC mode when offered). */
int lapic_init(void);
bool lapic_is_x2apic(void);
/* An application processor's local APIC, in the boot CPU's mode. */
void lapic_ap_init(void);
/* Start this AP's LAPIC timer at the boot CPU's calibrated rate (no-op
 * when the boot CPU's tick is the PIT). */
void lapic_timer_start_ap(void);
/* The boot CPU's tick is its LAPIC timer (not the PIT). */
bool lapic_timer_started(void);
u32 lapic_id(void);
void lapic_eoi(void);
/* Let the 8259 through LINT0 again (fallback after a failed I/O APIC). */
void lapic_pass_8259(void);

/* Interprocessor interrupts: raw ICR low word, INIT, and STARTUP at
 * `start` (a page below 1 MiB). -ETIMEDOUT if the xAPIC never sent it. */
int lapic_send_ipi(u32 apic_id, u32 low);
int lapic_send_init(u32 apic_id);
int lapic_send_startup(u32 apic_id, phys_addr_t start);

/* The LAPIC timer's calibration: start it counting (masked), read the
 * rising count against the PIT (pit_calibrate, in the TSC's runs: under
 * QEMU both the PIT and the LAPIC timer run on the virtual clock), then
 * start it periodic at HZ from its rate in kHz on LAPIC_TIMER_VECTOR,
 * which runs line 0's handler. */
void lapic_timer_calibration_start(void);
u64 lapic_timer_count(void);
int lapic_timer_init(u64 khz);

/* Program the I/O APIC of the MADT (every pin masked, ISA lines through the
 * overrides to this CPU) and make it the irq_chip. */
int ioapic_init(void);
/* Take line irq off its pin for good (pin masked, unmask does nothing):
 * line 0 when the LAPIC timer raises it instead of the PIT. */
void ioapic_detach_line(int irq);
