/* Private interfaces between the PC platform drivers in arch/x86_64/. */
#pragma once
#include <kelp/compiler.h>

void pic_init(void);
/* Remap and mask the 8259 for good (the APIC is used instead). */
void pic_disable(void);
int pic_inject_spurious(void);
/* True once the I/O APIC and local APIC are the interrupt controller. */
extern bool pc_apic_mode;
/* Measure the TSC against PIT channel 2; 0 if the PIT did not answer. */
u64 pit_calibrate_tsc_khz(void);
/* The rate of a counter (now() rising), in kHz, against PIT channel 2. */
u64 pit_calibrate(u64 (*now)(void));
/* Register the tick (time_tick) as line 0's handler. */
void pc_tick_register(void);
/* Start channel 0 as the periodic HZ tick. */
void pit_timer_init(void);
/* Print the MADT's CPUs ("smp: N CPUs found (APIC IDs ...)"). */
void smp_report_cpus(void);
