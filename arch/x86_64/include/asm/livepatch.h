/* x86_64 bodies of <arch/livepatch.h>: the slot count of klp_tramp.asm
 * (arch/x86_64/klp_offsets.inc holds it and the offsets the asm uses,
 * checked in livepatch/patch.c). Included by <arch/livepatch.h> only. */
#pragma once

#define ARCH_KLP_NR_TRAMPS 64
