/* Fixture for the ksyms suite: the second static ksym_dup_target (see
 * sympos_a.c); its body differs so the two can never be merged. */
#include <kelp/compiler.h>

static noinline int ksym_dup_target(int x)
{
	barrier();
	return x * 3 - 1;
}

int (*const ksym_dup_target_b)(int) = ksym_dup_target;
