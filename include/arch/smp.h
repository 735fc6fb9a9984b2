/* The arch's view of the machine's CPUs, for generic code
 * (arch/x86_64/smp.c: the ACPI MADT). */
#pragma once

/* CPUs the firmware lists as enabled (1 if it lists none). Only CPU 0 runs
 * until application processors are brought up. */
int arch_cpus_found(void);
