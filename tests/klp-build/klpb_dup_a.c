/* One of two static functions named klpb_dup (klpb_dup_a.c, klpb_dup_b.c):
 * a klp-build patch to one of them must name it with its sympos
 * (tests/py/test_klp_build.py). */
#include <kelp/compiler.h>
#include "klpb.h"

static noinline int klpb_dup(int x)
{
	barrier();
	return x + 10;
}

int klpb_dup_a_call(int x);
noinline int klpb_dup_a_call(int x)
{
	return klpb_dup(klpb_hdr_scale(x));
}
