/* SMP memory barriers, as in Linux: smp_wmb() orders earlier stores before
 * later stores, smp_rmb() earlier loads before later loads, smp_mb() all
 * earlier accesses before all later ones. The arch gives the bodies
 * (<asm/barrier.h>; on x86 the first two are compiler barriers).
 *
 * A barrier works only in pairs: the writer's smp_wmb() is matched by the
 * reader's smp_rmb() (or an access that implies one). Every use says in a
 * comment what it orders and which barrier it pairs with. */
#pragma once
#include <kelp/compiler.h>
#include <asm/barrier.h>

#define smp_wmb() arch_smp_wmb()
#define smp_rmb() arch_smp_rmb()
#define smp_mb() arch_smp_mb()
