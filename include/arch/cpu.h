/* The CPU interface generic code may use: interrupts, halting, time stamp,
 * per-CPU base, QEMU exit. Implemented for x86_64 in arch/x86_64/. */
#pragma once
#include <kelp/compiler.h>

static __always_inline unsigned long arch_irq_save(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	return flags;
}

/* Whether saved flags (arch_irq_save, a trap frame's) have interrupts on. */
static __always_inline bool arch_flags_irqs_enabled(unsigned long flags)
{
	return flags & (1UL << 9);
}

static __always_inline void arch_irq_restore(unsigned long flags)
{
	if (arch_flags_irqs_enabled(flags))
		__asm__ __volatile__("sti" ::: "memory");
}

static __always_inline bool arch_irqs_enabled(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags)::"memory");
	return arch_flags_irqs_enabled(flags);
}

static __always_inline void arch_irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static __always_inline void arch_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static __always_inline void arch_cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }
/* Enable interrupts and wait for one, atomically (no lost wake-up). */
static __always_inline void arch_idle(void) { __asm__ __volatile__("sti; hlt" ::: "memory"); }
static __always_inline void arch_halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }

static __always_inline u64 arch_rdtsc(void)
{
	u32 lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static __always_inline unsigned long arch_frame_pointer(void)
{
	return (unsigned long)__builtin_frame_address(0);
}

/* Set the stack this CPU switches to on an entry from user mode (an
 * interrupt, exception or syscall): the top of the running task's stack. */
void arch_set_kernel_stack(unsigned long top);
/* Set up this CPU: GDT, TSS, IDT, per-CPU base. */
void arch_cpu_init(void);
/* Bring up the platform devices (interrupt controller, timer, serial IRQs). */
void arch_platform_init(void);
/* Leave QEMU through isa-debug-exit: status becomes (code << 1) | 1. */
__noreturn void arch_qemu_exit(int code);
/* Power off (ACPI on QEMU), falling back to the debug-exit port. */
__noreturn void arch_poweroff(void);
/* Stop this CPU for good. */
__noreturn void arch_halt_forever(void);
