/* Fixture for the ksyms suite: one of two static functions both called
 * ksym_dup_target (the other is in sympos_b.c), so the symbol table holds
 * a duplicated local name and sympos has something to tell apart. */
#include <kelp/compiler.h>

static noinline int ksym_dup_target(int x)
{
	barrier();
	return x + 1;
}

/* Taking the address keeps the function (and its symbol) in the image. */
int (*const ksym_dup_target_a)(int) = ksym_dup_target;
