/* The benchmark runner: runs the registered KBENCH functions and prints each
 * figure as it comes (`bench: NAME VALUE UNIT`) under a header line for its
 * benchmark, then a table by benchmark and a legend of the units used. All
 * printing lives here, so every benchmark gets the same format. */
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
	const struct kbench *group;
};

static struct bench_figure figures[BENCH_MAX_FIGURES];
static int nfigures;
static const struct kbench *current;

/* What a unit (the part before any "/call", "/site"...) means under
 * -icount shift=0,sleep=off. A figure in another unit is reported with
 * "(unit not described)" in the legend: add it here. */
static const struct {
	const char *unit;
	const char *meaning;
} units[] = {
	{ "insns", "guest instructions, exact (the TSC counts one per instruction)" },
	{ "us", "guest microseconds of the kernel's clock (1 us = 1000 instructions)" },
	{ "s", "guest seconds (a time in us of a second or more is shown so)" },
	{ "x100", "ratio to call_plain in hundredths (100: as fast as a plain call)" },
	{ "switches", "context switches counted" },
};

static size_t unit_base_len(const char *unit)
{
	const char *slash = strchr(unit, '/');
	return slash ? (size_t)(slash - unit) : strlen(unit);
}

static const char *unit_meaning(const char *unit)
{
	size_t len = unit_base_len(unit);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strlen(units[i].unit) == len && !strncmp(units[i].unit, unit, len))
			return units[i].meaning;
	return NULL;
}

static void group_header(const char *prefix, const struct kbench *b)
{
	kprintf("%s== %s%s%s ==\n", prefix, b->name, b->desc ? ": " : "", b->desc ? b->desc : "");
}

/* A figure as a person reads it: a time of a second or more in seconds
 * ("17.999 s", not "17999015 us"), anything else as it was reported. */
const char *bench_show_value(char *buf, size_t len, u64 value, const char *unit)
{
	if (!strcmp(unit, "us") && value >= 1000000) {
		snprintf(buf, len, "%llu.%03llu", (unsigned long long)(value / 1000000),
			 (unsigned long long)(value % 1000000 / 1000));
		return "s";
	}
	snprintf(buf, len, "%llu", (unsigned long long)value);
	return unit;
}

void bench_report(const char *name, u64 value, const char *unit)
{
	char shown[24];
	const char *shown_unit = bench_show_value(shown, sizeof(shown), value, unit);
	kprintf("bench: %s %s %s\n", name, shown, shown_unit);
	if (nfigures < BENCH_MAX_FIGURES) {
		struct bench_figure *f = &figures[nfigures++];
		strlcpy(f->name, name, sizeof(f->name));
		strlcpy(f->unit, unit, sizeof(f->unit));
		f->value = value;
		f->group = current;
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

bool bench_site_is_direct(void *fn)
{
	struct ftrace_site_info info;
	return site_info(fn, &info) && info.nr_ops == 1 && info.direct;
}

/* The legend: each unit base the figures used, once, with its meaning. */
static void print_units(void)
{
	kprintf("units:\n");
	char shown[24];
	for (int i = 0; i < nfigures; i++) {
		const char *u =
			bench_show_value(shown, sizeof(shown), figures[i].value, figures[i].unit);
		size_t len = unit_base_len(u);
		bool seen = false;
		for (int j = 0; j < i && !seen; j++) {
			const char *v = bench_show_value(shown, sizeof(shown), figures[j].value,
							 figures[j].unit);
			seen = unit_base_len(v) == len && !strncmp(v, u, len);
		}
		if (seen)
			continue;
		const char *meaning = unit_meaning(u);
		kprintf("  %-10.*s %s\n", (int)len, u, meaning ? meaning : "(unit not described)");
	}
}

static void print_table(void)
{
	int width = 24;
	for (int i = 0; i < nfigures; i++)
		if ((int)strlen(figures[i].name) > width)
			width = (int)strlen(figures[i].name);
	kprintf("\n%-*s %14s  %s\n", width + 2, "figure", "value", "unit");
	const struct kbench *group = NULL;
	for (int i = 0; i < nfigures; i++) {
		if (figures[i].group != group) {
			group = figures[i].group;
			if (group)
				group_header("", group);
		}
		char shown[24];
		const char *unit =
			bench_show_value(shown, sizeof(shown), figures[i].value, figures[i].unit);
		kprintf("  %-*s %14s  %s\n", width, figures[i].name, shown, unit);
	}
	print_units();
}

int bench_run_all(const char *filter)
{
	int ran = 0;
	nfigures = 0;
	kprintf("bench: the units assume QEMU -icount shift=0,sleep=off, as make bench runs it\n");
	for (const struct kbench *b = __start_kbench; b < __stop_kbench; b++) {
		if (filter && *filter && !glob_match(filter, b->name))
			continue;
		current = b;
		group_header("bench: ", b);
		b->fn();
		ran++;
	}
	current = NULL;
	print_table();
	kprintf("bench: done (%d benchmarks, %d figures)\n", ran, nfigures);
	return ran;
}
