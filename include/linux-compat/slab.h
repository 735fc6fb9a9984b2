/* The patch author's <slab.h>: Linux's allocator calls, which take gfp
 * flags. Kelp's heap has one kind of allocation that never sleeps for
 * reclaim, so every flag means the same and is ignored. */
#pragma once
#include <kelp/mm.h>

typedef unsigned int gfp_t;
#ifndef GFP_KERNEL
#define GFP_KERNEL 0
#endif
#define GFP_ATOMIC 0
#define GFP_NOWAIT 0

/* The macros name the one-argument functions of <mm.h> (a macro does not
 * expand inside itself), so kzalloc(size, GFP_KERNEL) calls kzalloc(size). */
#define kmalloc(size, flags) kmalloc(size)
#define kzalloc(size, flags) kzalloc(size)
#define kcalloc(n, size, flags) kzalloc((n) * (size))
