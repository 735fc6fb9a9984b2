/* Bad-blob material for the loader self-tests: built in several variants
 * (see the Makefile), each of which the loader must refuse. KTEST_UNKNOWN
 * calls a function no kernel has; KTEST_AMBIG names a duplicated static
 * without sympos; KTEST_FAR is turned into an absolute symbol beyond rel32
 * reach. */
#include <linux/module.h>

#if defined(KTEST_UNKNOWN)
extern int kelp_no_such_function(int);
int ktest_bad_f(int x) { return kelp_no_such_function(x); }
#elif defined(KTEST_AMBIG)
extern int dup_target(int) __asm__(".klp.sym.vmlinux.ksym_dup_target__KLPPOS__0");
int ktest_bad_f(int x) { return dup_target(x); }
#elif defined(KTEST_FAR)
extern int kelp_far_function(int);
int ktest_bad_f(int x) { return kelp_far_function(x); }
#else
int ktest_bad_f(int x) { return x + 1; }
#endif
MODULE_LICENSE("GPL");
