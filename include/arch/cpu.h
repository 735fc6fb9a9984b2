/* The CPU interface generic code may use: interrupts, halting, time stamp,
 * frame pointer, the kernel entry stack, QEMU exit. The inline ones have
 * their bodies in <asm/cpu.h>, the rest are in arch/x86_64/. Generic code
 * includes this header, never <asm/...> itself. */
#pragma once
#include <kelp/compiler.h>

/* Disable interrupts and return the previous state, for arch_irq_restore. */
static inline unsigned long arch_irq_save(void);
/* Re-enable interrupts if flags (from arch_irq_save) had them on. */
static inline void arch_irq_restore(unsigned long flags);
/* Whether saved flags (arch_irq_save's, a trap frame's) have interrupts on. */
static inline bool arch_flags_irqs_enabled(unsigned long flags);
static inline bool arch_irqs_enabled(void);
static inline void arch_irq_enable(void);
static inline void arch_irq_disable(void);
/* A spin-wait hint. */
static inline void arch_cpu_relax(void);
/* Enable interrupts and wait for one, atomically (no lost wake-up). */
static inline void arch_idle(void);
/* Wait for the next interrupt, interrupts as they are. */
static inline void arch_halt(void);
/* The CPU's cycle counter (TSC). */
static inline u64 arch_rdtsc(void);
/* The caller's frame pointer: where its frame-record chain starts. */
static inline unsigned long arch_frame_pointer(void);

/* Set the stack this CPU switches to on an entry from user mode (an
 * interrupt, exception or syscall): the top of the running task's stack. */
void arch_set_kernel_stack(unsigned long top);
/* Set up this CPU: GDT, TSS, IDT, per-CPU base. */
void arch_cpu_init(void);
/* Bring up the platform devices (interrupt controller, timer, serial IRQs). */
void arch_platform_init(void);
/* After sched_init(): the other CPUs started at boot join the scheduler
 * (each with its idle task and tick), one at a time, in order. */
void arch_smp_start(void);
/* Leave QEMU through isa-debug-exit: status becomes (code << 1) | 1. */
__noreturn void arch_qemu_exit(int code);
/* Power off (ACPI on QEMU), falling back to the debug-exit port. */
__noreturn void arch_poweroff(void);
/* Stop this CPU for good. */
__noreturn void arch_halt_forever(void);

#include <asm/cpu.h>
