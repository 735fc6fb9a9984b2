/* In-kernel micro-benchmarks, run by `make bench` with the command line
 * `bench` under QEMU -icount shift=0,sleep=off, where the TSC advances by
 * exactly one per guest instruction and the guest clock by 1 ns per
 * instruction. A benchmark registers itself through the .kbench section and
 * reports figures:
 *
 *   KBENCH_DESC(ftrace_calls, "one call to a small function") {
 *           ... bench_report("call_plain", insns, "insns/call"); }
 *
 * Each figure prints as `bench: NAME VALUE UNIT` under a header line for
 * its benchmark, then a table by benchmark at the end. A unit is one that
 * bench.c's units[] explains ("insns", "us", "x100", "switches", and a
 * "/what" suffix): the run ends with a legend of those it used. */
#pragma once
#include <kelp/compiler.h>
#include <arch/cpu.h>

struct kbench {
	char name[48];
	void (*fn)(void);
	const char *desc; /* what its figures measure (the group's header), or NULL */
};

#define KBENCH_DESC(name_, desc_)                                                                  \
	static void kbench_##name_(void);                                                          \
	static const struct kbench __kbench_##name_ __used __section(".kbench")                    \
		__aligned(8) = { #name_, kbench_##name_, desc_ };                                  \
	static void kbench_##name_(void)
#define KBENCH(name_) KBENCH_DESC(name_, NULL)

/* Record one figure (value may be a ratio * 100 with unit "x100", etc.). */
void bench_report(const char *name, u64 value, const char *unit);
/* VALUE in UNIT as the report prints it into buf: a time of a second or
 * more ("us") in seconds with three decimals; returns the unit shown. */
const char *bench_show_value(char *buf, size_t len, u64 value, const char *unit);
/* A figure whose precondition does not hold: `bench: NAME skipped: WHY`
 * and no number, rather than a number that measures something else. */
void bench_skip(const char *name, const char *why);
/* Preconditions: fn's fentry site is the NOP, or a jmp to target. */
bool bench_site_is_nop(void *fn);
bool bench_site_is_jmp(void *fn, void *target);
/* fn's site calls the direct trampoline of its one ops (ftrace_ops.direct:
 * livepatch's own trampoline during a transition). */
bool bench_site_is_direct(void *fn);
/* Run every benchmark (or those whose name matches glob `filter`). */
int bench_run_all(const char *filter);

/* Timestamp counter read; under icount, instructions retired. */
static __always_inline u64 bench_now(void)
{
	return arch_rdtsc();
}
