/* The benchmark runner: runs the registered KBENCH functions and prints each
 * figure as it comes (`bench: NAME VALUE UNIT`) and a table at the end. */
#include <kelp/bench.h>
#include <kelp/printk.h>
#include <kelp/string.h>

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
