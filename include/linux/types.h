/* <linux/types.h>: Kelp's fixed-width types (u8..u64, s8..s64, bool,
 * size_t) and gfp_t under Linux's header name. */
#pragma once
#include <kelp/types.h>
#include <kelp/gfp.h>
