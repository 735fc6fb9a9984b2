/* <linux/compiler.h>: Kelp's attributes (__used, noinline, __printf,
 * READ_ONCE/WRITE_ONCE, likely/unlikely) plus the few spellings Linux
 * sources use that the kernel itself does not. */
#pragma once
#include <kelp/compiler.h>

#ifndef __maybe_unused
#define __maybe_unused __attribute__((unused))
#endif
#define __always_unused __attribute__((unused))
#define __force
#define __user
#define __iomem
#define __must_check __attribute__((warn_unused_result))
#define __cold __attribute__((cold))
#define noinline_for_stack noinline
