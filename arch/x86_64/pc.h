/* Private interfaces between the PC platform drivers in arch/x86_64/. */
#pragma once
#include <kelp/compiler.h>

void pic_init(void);
/* Remap and mask the 8259 for good (the APIC is used instead). */
void pic_disable(void);
int pic_inject_spurious(void);
/* True once the I/O APIC and local APIC are the interrupt controller. */
extern bool pc_apic_mode;
/* The TSC's rate in kHz against PIT channel 2, and in the same runs that
 * of `other` (a rising count; NULL for none) in *other_khz; 0 if the PIT
 * did not answer. */
u64 pit_calibrate(u64 (*other)(void), u64 *other_khz);
/* Register the tick (time_tick) as line 0's handler. */
void pc_tick_register(void);
/* Start channel 0 as the periodic HZ tick. */
void pit_timer_init(void);
/* Print the MADT's CPUs ("smp: N CPUs found (APIC IDs ...)"). */
void smp_report_cpus(void);
/* An AP's GDT/TSS/IDT and GS base (cpu.c), not counted in nr_cpus() until
 * cpu_set_online(cpu) (CPUs come online in order). */
void cpu_ap_init(int cpu);
void cpu_set_online(int cpu);
/* Start the MADT's other CPUs into a waiting loop (smpboot.c);
 * arch_smp_start() lets them run tasks. */
void smp_boot_aps(void);
int smp_cpus_started(void);
/* The IPI vectors' handlers (smp.c), and each CPU's APIC ID. */
void smp_ipi_init(void);
extern u32 cpu_apic_ids[];
