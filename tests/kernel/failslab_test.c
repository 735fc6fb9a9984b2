/* Allocation-failure injection over the module loader (suite "failslab"):
 * a blob load with kmalloc number 1, 2, 3, ... failing until it succeeds.
 * Each failure must come back as -ENOMEM with a reason that says so, leave
 * the module loaded before it working, and leak nothing (heap, frames,
 * module area, module list, fentry sites). The number of failures before
 * the first success is the number of allocation points on the load path.
 * Livepatch's "enable with replace" becomes one more case in
 * failslab_cases[] once it merges. */
#include <ktest.h>
#include <module.h>
#include <ftrace.h>
#include <mm.h>
#include <printk.h>
#include <string.h>
#include <errno.h>

#define FS_BLOB(sym, file)                                                                         \
	extern const u8 sym[], sym##_end[];                                                        \
	asm(".pushsection .rodata\n.balign 8\n.globl " #sym "\n" #sym ":\n.incbin \"" file         \
	    "\"\n.globl " #sym "_end\n" #sym "_end:\n.popsection\n")

FS_BLOB(fs_ktest_mod, "build/ktest/ktest_mod.klp");
FS_BLOB(fs_storm_mod, "build/ktest/storm_mod.klp");

static const struct module_load_opts fs_opts = {
	.build_id = (const u8 *)"kelp-ktest-build-id!",
	.build_id_len = 20,
};

struct fs_base {
	u64 bytes, objects;
	size_t pmm_free, mod_pages, nmods, nsites;
};

static void fs_take(struct fs_base *b)
{
	struct kmalloc_stats st;
	kmalloc_get_stats(&st);
	b->bytes = st.bytes_in_use;
	b->objects = st.objects_in_use;
	b->pmm_free = pmm_free_count();
	b->mod_pages = module_area_used_pages();
	b->nmods = module_count();
	b->nsites = ftrace_nr_sites();
}

static bool fs_same(struct ktest *t, const struct fs_base *b)
{
	struct fs_base now;
	fs_take(&now);
	bool ok = KEXPECT_EQ(now.bytes, b->bytes);
	ok &= KEXPECT_EQ(now.objects, b->objects);
	ok &= KEXPECT_EQ(now.pmm_free, b->pmm_free);
	ok &= KEXPECT_EQ(now.mod_pages, b->mod_pages);
	ok &= KEXPECT_EQ(now.nmods, b->nmods);
	ok &= KEXPECT_EQ(now.nsites, b->nsites);
	return ok;
}

static u64 fs_injected(void)
{
	struct kmalloc_stats st;
	kmalloc_get_stats(&st);
	return st.injected_failures;
}

static int fs_load(const u8 *start, const u8 *end, const char *params, char *why, size_t n)
{
	return module_load_opts(start, (size_t)(end - start), params, &fs_opts, NULL, why, n);
}

/* One operation under test: do it (0 or -errno, with a reason), undo it. */
struct failslab_case {
	const char *what;
	int (*run)(char *why, size_t n);
	void (*undo)(void);
};

static int case_module_load(char *why, size_t n)
{
	return fs_load(fs_ktest_mod, fs_ktest_mod_end, "count=5 label=failslab", why, n);
}

static void case_module_unload(void)
{
	char why[128];
	module_unload("ktest_mod", why, sizeof(why));
}

static const struct failslab_case failslab_cases[] = {
	{ "module load", case_module_load, case_module_unload },
};

/* The module loaded before: storm_mod, whose storm_fn_a(x) is x + 2. */
static int (*fs_prev_fn(void))(int)
{
	const struct module_sym *s;
	if (module_lookup_name(find_module("storm_mod"), "storm_fn_a", 0, &s))
		return NULL;
	return (int (*)(int))s->addr;
}

KTEST(failslab, every_allocation_of_a_load_fails_cleanly)
{
	char why[160];
	KASSERT_EQ(fs_load(fs_storm_mod, fs_storm_mod_end, NULL, why, sizeof(why)), 0);
	int (*prev)(int) = fs_prev_fn();
	KASSERT_NOT_NULL(prev);
	KEXPECT_EQ(prev(1), 3);
	/* backtraces through module code name the module (%pS) */
	snprintf(why, sizeof(why), "%pS", (void *)prev);
	KEXPECT_STREQ(strstr(why, " ["), " [storm_mod]");

	for (size_t c = 0; c < ARRAY_SIZE(failslab_cases); c++) {
		const struct failslab_case *fc = &failslab_cases[c];
		struct fs_base base;
		int n, err = -1;

		/* Warm up: the first run may create page tables and sysfs
		 * directories that stay. */
		if (!fc->run(why, sizeof(why)))
			fc->undo();
		fs_take(&base);
		for (n = 1; n <= 1000; n++) {
			u64 inj = fs_injected();
			kmalloc_fail_nth(n);
			err = fc->run(why, sizeof(why));
			kmalloc_fail_nth(0);
			inj = fs_injected() - inj;
			if (!err) {
				/* a success that swallowed the injected failure */
				if (!KEXPECT_EQ(inj, 0))
					pr_err("failslab: %s: allocation %d failed but it succeeded\n",
					       fc->what, n);
				break;
			}
			KEXPECT_EQ(inj, 1);
			KEXPECT_EQ(err, -ENOMEM);
			if (!KEXPECT_TRUE(strstr(why, "memory") != NULL))
				pr_err("failslab: %s: allocation %d: unclear reason '%s'\n",
				       fc->what, n, why);
			KEXPECT_EQ(prev(2), 4);
			if (!fs_same(t, &base)) {
				pr_err("failslab: %s: allocation %d (%s) leaked\n", fc->what, n, why);
				break;
			}
		}
		KEXPECT_EQ(err, 0);
		KEXPECT_GT(n, 3);
		pr_info("failslab: %s: %d allocation points, each failing cleanly\n", fc->what, n - 1);
		fc->undo();
		fs_same(t, &base);
	}
	KEXPECT_EQ(prev(3), 5);
	KEXPECT_EQ(module_unload("storm_mod", why, sizeof(why)), 0);
}
