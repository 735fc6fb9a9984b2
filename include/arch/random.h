/* The CPU's hardware random number interface generic code may use
 * (RDSEED/RDRAND on x86_64, when the CPU model has them). The bodies are in
 * <asm/random.h>; generic code includes this header only. */
#pragma once
#include <kelp/types.h>

/* Whether the CPU has a hardware random source. */
static inline bool arch_has_random(void);
/* One 64-bit value from it; false when there is none or it failed (the
 * caller then relies on its other entropy). */
static inline bool arch_get_random_u64(u64 *v);

#include <asm/random.h>
