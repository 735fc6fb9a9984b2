/* Host stand-in for include/arch/cpu.h, found first by the fuzz builds
 * (-Itests/fuzz/shim/include before -Iinclude): the same names, but no
 * privileged instructions, so kernel files that take spinlocks (pseudofs)
 * compile unchanged and run in one user-space thread. */
#pragma once
#include <kelp/compiler.h>

static __always_inline unsigned long arch_irq_save(void)
{
	return 0;
}
static __always_inline void arch_irq_restore(unsigned long flags)
{
	(void)flags;
}
static __always_inline bool arch_irqs_enabled(void)
{
	return false;
}
static __always_inline void arch_irq_enable(void) {}
static __always_inline void arch_irq_disable(void) {}
static __always_inline void arch_cpu_relax(void) {}

static __always_inline unsigned long arch_frame_pointer(void)
{
	return (unsigned long)__builtin_frame_address(0);
}

/* Only reachable through a kernel bug: stop the fuzzer loudly. */
static __always_inline __noreturn void arch_poweroff(void)
{
	__builtin_trap();
}
static __always_inline __noreturn void arch_halt_forever(void)
{
	__builtin_trap();
}
