/* Private interfaces between the PC platform drivers in arch/x86_64/. */
#pragma once
#include <kelp/compiler.h>

void pic_init(void);
/* Measure the TSC against PIT channel 2; 0 if the PIT did not answer. */
u64 pit_calibrate_tsc_khz(void);
/* Start channel 0 as the periodic HZ tick. */
void pit_timer_init(void);
/* Print the MADT's CPUs ("smp: N CPUs found (APIC IDs ...)"). */
void smp_report_cpus(void);
