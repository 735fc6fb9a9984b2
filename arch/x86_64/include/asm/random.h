/* x86_64 bodies of <arch/random.h>: RDSEED, else RDRAND, as CPUID reports
 * them (QEMU's default qemu64 model has neither; -cpu max has both).
 * Included by <arch/random.h> only. */
#pragma once
#include <kelp/compiler.h>

static __always_inline void x86_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	*a = leaf;
	*c = sub;
	__asm__ __volatile__("cpuid" : "+a"(*a), "=b"(*b), "+c"(*c), "=d"(*d));
}

/* bit 0: RDRAND (leaf 1 ECX bit 30), bit 1: RDSEED (leaf 7 EBX bit 18) */
static __always_inline unsigned int x86_random_caps(void)
{
	u32 a, b, c, d, max;
	unsigned int caps = 0;

	x86_cpuid(0, 0, &max, &b, &c, &d);
	x86_cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 30))
		caps |= 1;
	if (max >= 7) {
		x86_cpuid(7, 0, &a, &b, &c, &d);
		if (b & (1u << 18))
			caps |= 2;
	}
	return caps;
}

static inline bool arch_has_random(void)
{
	return x86_random_caps() != 0;
}

static inline bool arch_get_random_u64(u64 *v)
{
	unsigned int caps = x86_random_caps();
	unsigned char ok = 0;

	/* both may transiently fail (CF=0): a few retries, as Intel advises */
	for (int i = 0; i < 10 && !ok; i++) {
		if (caps & 2)
			__asm__ __volatile__("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		else if (caps & 1)
			__asm__ __volatile__("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		else
			return false;
	}
	return ok;
}
