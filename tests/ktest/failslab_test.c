/* Allocation-failure injection over the module loader (suite "failslab"):
 * a blob load with kmalloc number 1, 2, 3, ... failing until it succeeds.
 * Each failure must come back as -ENOMEM with a reason that says so, leave
 * the module loaded before it working, and leak nothing (heap, frames,
 * module area, module list, fentry sites). The number of failures before
 * the first success is the number of allocation points on the path.
 * Cases: a blob load, and livepatch's "enable with replace over installed
 * patches" (two stacked patches on kelp_pair, tests/stress/kelp_pair.c, then a
 * replace patch; each failure must leave both stacked patches in effect). */
#include <kelp/ktest.h>
#include <kelp/livepatch.h>
#include <kelp/pseudofs.h>
#include <kelp/module.h>
#include <kelp/ftrace.h>
#include <kelp/mm.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

/* Embedded by ktest_blobs.asm: each blob lies between NAME and NAME_end. */
extern const u8 fs_ktest_mod[], fs_ktest_mod_end[];
extern const u8 fs_storm_mod[], fs_storm_mod_end[];

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
	int (*setup)(void);	/* optional: what must be in place before */
	void (*teardown)(void);
	bool (*prev_ok)(void);	/* optional: what was in place still works */
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

/* ---- livepatch: enable with replace over installed patches ---- */

long kelp_pair(void);

#define FS_PAIR(v)                                                                                 \
	static noinline __attribute__((noipa)) int fs_pair_a##v(void) { return v; }                \
	static noinline __attribute__((noipa)) int fs_pair_b##v(void) { return v; }                \
	static noinline __attribute__((noipa)) long fs_pair##v(void) { return v << 16 | v; }       \
	static struct module fs_lp_mod##v = { .name = "fs_lp_v" #v, .state = MODULE_STATE_LIVE,    \
					      .klp = true };                                       \
	static struct klp_func fs_lp_funcs##v[] = { { .old_name = "kelp_pair_a", .new_func = fs_pair_a##v }, \
						    { .old_name = "kelp_pair_b", .new_func = fs_pair_b##v }, \
						    { .old_name = "kelp_pair", .new_func = fs_pair##v },     \
						    {} };                                                    \
	static struct klp_object fs_lp_objs##v[] = { { .funcs = fs_lp_funcs##v }, {} }
FS_PAIR(1);
FS_PAIR(2);
FS_PAIR(3);
/* v1 and v2 stack (no replace); v3 replaces both */
static struct klp_patch fs_lp1 = { .mod = &fs_lp_mod1, .objs = fs_lp_objs1 };
static struct klp_patch fs_lp2 = { .mod = &fs_lp_mod2, .objs = fs_lp_objs2 };
static struct klp_patch fs_lp3 = { .mod = &fs_lp_mod3, .objs = fs_lp_objs3, .replace = true };

static int fs_lp_enable(struct klp_patch *p)
{
	int err = klp_enable_patch(p);
	if (!err && !klp_wait_transition(5000))
		err = -ETIMEDOUT;
	return err;
}

static int fs_lp_disable(const char *name)
{
	char path[96];
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/enabled", name);
	ssize_t r = pfs_write(path, "0", 1);
	if (r < 0)
		return (int)r;
	return klp_wait_transition(5000) ? 0 : -ETIMEDOUT;
}

static int lp_setup(void)
{
	int err = fs_lp_enable(&fs_lp1);
	if (!err && (err = fs_lp_enable(&fs_lp2)))
		fs_lp_disable("fs_lp_v1");
	return err;
}

static void lp_teardown(void)
{
	fs_lp_disable("fs_lp_v2");
	fs_lp_disable("fs_lp_v1");
}

/* the stacked patches in effect: the top one, v2, answers */
static bool lp_prev_ok(void)
{
	return kelp_pair() == (2 << 16 | 2) && klp_nr_patches() == 2 &&
	       klp_find_patch("fs_lp_v1") && klp_find_patch("fs_lp_v2");
}

static int case_lp_replace(char *why, size_t n)
{
	int err = fs_lp_enable(&fs_lp3);
	if (err)
		snprintf(why, n, "enabling fs_lp_v3: %s (%d)", strerror(-err), err);
	else if (kelp_pair() != (3 << 16 | 3) || klp_nr_patches() != 1)
		snprintf(why, n, "fs_lp_v3 enabled but not in effect");
	return err;
}

/* back to the installed pair of patches */
static void case_lp_replace_undo(void)
{
	fs_lp_disable("fs_lp_v3");
	lp_setup();
}

static const struct failslab_case failslab_cases[] = {
	{ "module load", case_module_load, case_module_unload, NULL, NULL, NULL },
	{ "livepatch enable with replace over 2 installed patches", case_lp_replace,
	  case_lp_replace_undo, lp_setup, lp_teardown, lp_prev_ok },
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

		if (fc->setup && !KEXPECT_EQ(fc->setup(), 0))
			continue;
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
			if (fc->prev_ok && !KEXPECT_TRUE(fc->prev_ok()))
				pr_err("failslab: %s: allocation %d: the patches before stopped working\n",
				       fc->what, n);
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
		if (fc->prev_ok)
			KEXPECT_TRUE(fc->prev_ok());
		if (fc->teardown)
			fc->teardown();
	}
	KEXPECT_EQ(klp_nr_patches(), 0);
	KEXPECT_EQ(prev(3), 5);
	KEXPECT_EQ(module_unload("storm_mod", why, sizeof(why)), 0);
}
