/* The function pair every livepatch bench patches (defined in livepatch.c):
 * lp_bench_target, whose site the benches check and time, and lp_bench_new,
 * what their patches redirect it to. One pair for livepatch.c and
 * lp_workloads.c, so both measure the very same site. */
#pragma once
#include <kelp/compiler.h>

/* Not inlined and not specialised by IPA, so every call goes through the
 * patched site. */
#define __lp_target noinline __attribute__((noipa))

long lp_bench_target(long x);
long lp_bench_new(long x);
