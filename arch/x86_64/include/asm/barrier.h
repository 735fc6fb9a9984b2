/* x86_64 bodies of <kelp/barrier.h>. x86 is TSO: stores are not reordered
 * with stores, loads not with loads, so smp_wmb and smp_rmb only have to
 * stop the compiler; only store-then-load needs a real fence (mfence, or a
 * locked instruction, which __atomic_thread_fence gives). Included by
 * <kelp/barrier.h> only. */
#pragma once
#include <kelp/compiler.h>

#define arch_smp_wmb() barrier()
#define arch_smp_rmb() barrier()
#define arch_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
