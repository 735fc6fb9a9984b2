/* x86_64 bodies of the inline CPU interface in <arch/cpu.h>: RFLAGS.IF,
 * cli/sti, pause, hlt, rdtsc. Included by <arch/cpu.h> only. */
#pragma once
#include <kelp/compiler.h>

#define X86_RFLAGS_IF (1UL << 9)

static __always_inline bool arch_flags_irqs_enabled(unsigned long flags)
{
	return flags & X86_RFLAGS_IF;
}

static __always_inline unsigned long arch_irq_save(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	return flags;
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
/* sti takes effect after the next instruction: no interrupt slips in
 * between it and hlt. */
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
