/* A header inline used by two klp-build targets in two objects
 * (klpb_target.c, klpb_dup_a.c): cases/header_inline.patch changes it, and
 * both callers must be patched. */
#pragma once
#include <kelp/compiler.h>

static __always_inline int klpb_hdr_scale(int x)
{
	return x * 1;
}
