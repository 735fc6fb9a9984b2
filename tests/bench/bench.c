/* The benchmark runner: runs the registered KBENCH functions and prints each
 * figure as it comes (`bench: NAME VALUE UNIT`) and a table at the end. */
#include <kelp/bench.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/ftrace.h>
#include <arch/ftrace.h>

extern const struct kbench __start_kbench[], __stop_kbench[];

#define BENCH_MAX_FIGURES 128

struct bench_figure {
	char name[48];
	char unit[24];
	u64 value;
};

static struct bench_figure figures[BENCH_MAX_FIGURES];
static int nfigures;

void bench_report(const char *name, u64 value, const char *unit)
{
	kprintf("bench: %s %llu %s\n", name, (unsigned long long)value, unit);
	if (nfigures < BENCH_MAX_FIGURES) {
		struct bench_figure *f = &figures[nfigures++];
		strlcpy(f->name, name, sizeof(f->name));
		strlcpy(f->unit, unit, sizeof(f->unit));
		f->value = value;
	}
}

void bench_skip(const char *name, const char *why)
{
	kprintf("bench: %s skipped: %s\n", name, why);
}

static bool site_info(void *fn, struct ftrace_site_info *info)
{
	unsigned long ip = ftrace_location((unsigned long)fn);
	for (size_t i = 0; ip && ftrace_site_at(i, info); i++)
		if (info->ip == ip)
			return true;
	return false;
}

bool bench_site_is_nop(void *fn)
{
	static const u8 nop[ARCH_FTRACE_INSN_SIZE] = ARCH_FTRACE_NOP;
	struct ftrace_site_info info;
	return site_info(fn, &info) && !info.nr_ops && !memcmp(info.insn, nop, sizeof(nop));
}

bool bench_site_is_jmp(void *fn, void *target)
{
	struct ftrace_site_info info;
	return site_info(fn, &info) && info.jmp == (unsigned long)target &&
	       arch_ftrace_is_jmp(info.insn);
}

int bench_run_all(const char *filter)
{
	int ran = 0;
	nfigures = 0;
	for (const struct kbench *b = __start_kbench; b < __stop_kbench; b++) {
		if (filter && *filter && !glob_match(filter, b->name))
			continue;
		b->fn();
		ran++;
	}
	kprintf("\n%-32s %14s  %s\n", "figure", "value", "unit");
	kprintf("%-32s %14s  %s\n", "------", "-----", "----");
	for (int i = 0; i < nfigures; i++)
		kprintf("%-32s %14llu  %s\n", figures[i].name, (unsigned long long)figures[i].value,
			figures[i].unit);
	kprintf("bench: done (%d benchmarks, %d figures)\n", ran, nfigures);
	return ran;
}
