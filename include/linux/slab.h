/* <linux/slab.h>: Linux's allocator calls, which take gfp flags. Kelp's
 * heap has one kind of allocation that never sleeps for reclaim, so every
 * flag is accepted and ignored (except __GFP_ZERO, which zeroes). */
#pragma once
#include <kelp/mm.h>
#include <linux/gfp.h>

/* The macros call the one-argument functions of <kelp/mm.h>: a
 * parenthesised name is not a macro call, so kzalloc(size, GFP_KERNEL)
 * calls (kzalloc)(size). */
#define kmalloc(size, flags) (((flags) & __GFP_ZERO) ? (kzalloc)(size) : (kmalloc)(size))
#define kzalloc(size, flags) ((void)(flags), (kzalloc)(size))
#define kcalloc(n, size, flags) ((void)(flags), (kzalloc)((n) * (size)))
#define kmalloc_array(n, size, flags) ((void)(flags), (kmalloc)((n) * (size)))
#define kstrdup(s, flags) ((void)(flags), (kstrdup)(s))
