/* Self-tests for the module loader (suite "module") on blobs built at
 * kernel build time and embedded here (Makefile: KTEST_BLOBS): a good
 * module with parameters, and one blob per class of bad input. Every test
 * ends with the heap, the frame allocator and the module area where they
 * were before it. */
#include <kelp/ktest.h>
#include <kelp/module.h>
#include "../../kernel/module/signature.h"
#include <kelp/ksyms.h>
#include <kelp/ftrace.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <arch/trap.h>

/* Embedded by ktest_blobs.asm: each blob lies between NAME and NAME_end. */
extern const u8 kt_mod[], kt_mod_end[];
extern const u8 kt_unsigned[], kt_unsigned_end[];
extern const u8 kt_otherkey[], kt_otherkey_end[];
extern const u8 kt_oob[], kt_oob_end[];
extern const u8 kt_reloc[], kt_reloc_end[];
extern const u8 kt_unknown[], kt_unknown_end[];
extern const u8 kt_ambig[], kt_ambig_end[];
extern const u8 kt_far[], kt_far_end[];

static const struct module_load_opts kt_opts = {
	.build_id = (const u8 *)"kelp-ktest-build-id!",
	.build_id_len = 20,
};

struct baseline {
	struct kmalloc_stats km;
	size_t pmm_free, mod_pages, nmods, nsites;
};

static void baseline_take(struct baseline *b)
{
	kmalloc_get_stats(&b->km);
	b->pmm_free = pmm_free_count();
	b->mod_pages = module_area_used_pages();
	b->nmods = module_count();
	b->nsites = ftrace_nr_sites();
}

static bool baseline_same(struct ktest *t, const struct baseline *b)
{
	struct baseline now;
	baseline_take(&now);
	bool ok = KEXPECT_EQ(now.km.bytes_in_use, b->km.bytes_in_use);
	ok &= KEXPECT_EQ(now.km.objects_in_use, b->km.objects_in_use);
	ok &= KEXPECT_EQ(now.pmm_free, b->pmm_free);
	ok &= KEXPECT_EQ(now.mod_pages, b->mod_pages);
	ok &= KEXPECT_EQ(now.nmods, b->nmods);
	ok &= KEXPECT_EQ(now.nsites, b->nsites);
	return ok;
}

static size_t kt_len(const u8 *start, const u8 *end)
{
	return (size_t)(end - start);
}

static int load_kt(const char *params, struct module **mod, char *why, size_t n)
{
	return module_load_opts(kt_mod, kt_len(kt_mod, kt_mod_end), params, &kt_opts, mod, why, n);
}

/* The first load creates page tables for the module area, which stay:
 * warm up once before taking a baseline. */
static void warm_up(void)
{
	char why[128];
	if (!load_kt(NULL, NULL, why, sizeof(why)))
		module_unload("ktest_mod", why, sizeof(why));
}

static unsigned long modsym(const char *name)
{
	struct ksym s;
	return ksym_lookup_name(name, 0, &s) ? 0 : s.addr;
}

KTEST(module, load_init_params_symbols_unload)
{
	struct baseline b;
	struct module *mod;
	char why[128];

	warm_up();
	baseline_take(&b);
	KASSERT_EQ(load_kt("count=7 verbose=1 label=\"hi there\"", &mod, why, sizeof(why)), 0);
	KEXPECT_STREQ(mod->name, "ktest_mod");
	KEXPECT_EQ(mod->state, MODULE_STATE_LIVE);
	KEXPECT_PTR_EQ(find_module("ktest_mod"), mod);
	KEXPECT_FALSE(mod->klp);

	unsigned long count = modsym("ktest_mod_seen_count");
	unsigned long verbose = modsym("ktest_mod_seen_verbose");
	unsigned long label = modsym("ktest_mod_seen_label");
	unsigned long add = modsym("ktest_mod_add");
	unsigned long dup = modsym("ktest_mod_call_dup");
	unsigned long inits = modsym("ktest_mod_init_calls");
	KASSERT_TRUE(count && verbose && label && add && dup && inits);
	KEXPECT_EQ(*(int *)count, 7);
	KEXPECT_TRUE(*(bool *)verbose);
	KEXPECT_STREQ((char *)label, "hi there");
	KEXPECT_EQ(*(int *)inits, 1);
	KEXPECT_EQ(((int (*)(int, int))add)(2, 3), 12);
	/* .klp.sym.vmlinux.ksym_dup_target,2 is sympos_b.c's copy */
	struct ksym d2;
	KASSERT_EQ(ksym_lookup_name("ksym_dup_target", 2, &d2), 0);
	KEXPECT_EQ(((int (*)(int))dup)(5), ((int (*)(int))d2.addr)(5));
	KEXPECT_EQ(((int (*)(int))dup)(5), 14);

	/* %pS and address lookups name module code */
	char buf[96];
	snprintf(buf, sizeof(buf), "%pS", (void *)(add + 1));
	KEXPECT_TRUE(!strncmp(buf, "ktest_mod_add+0x1/", 18));
	KEXPECT_TRUE(ksym_is_text(add));
	KEXPECT_FALSE(ksym_is_text(count));
	KEXPECT_TRUE(is_module_text_address(add));
	KEXPECT_PTR_EQ(module_of_addr(count), mod);

	/* W^X: text RX, rodata R, data RW NX */
	bool w, x;
	KEXPECT_NE(vmm_lookup(add, &w, &x), 0);
	KEXPECT_TRUE(!w && x);
	KEXPECT_NE(vmm_lookup(modsym("ktest_mod_rodata"), &w, &x), 0);
	KEXPECT_TRUE(!w && !x);
	KEXPECT_NE(vmm_lookup(count, &w, &x), 0);
	KEXPECT_TRUE(w && !x);
	KEXPECT_EQ(vmm_count_wx_pages(), 0);
	KEXPECT_TRUE(add >= MODULES_VADDR && add < MODULES_VADDR + MODULES_SIZE);

	/* fentry sites recorded and NOP'd */
	KEXPECT_EQ(mod->nr_sites, 4);
	KEXPECT_EQ(ftrace_nr_sites(), b.nsites + 4);
	KEXPECT_EQ(ftrace_location(add), add);
	static const u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	KEXPECT_EQ(memcmp((void *)add, nop5, 5), 0);

	/* the exit flag, through the module's own data */
	int exits = 0;
	*(int **)modsym("ktest_mod_exit_flag") = &exits;
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), 0);
	KEXPECT_EQ(exits, 1);
	KEXPECT_NULL(find_module("ktest_mod"));
	KEXPECT_EQ(modsym("ktest_mod_add"), 0);
	KEXPECT_FALSE(is_module_address(add));
	baseline_same(t, &b);
}

static int traced_hits;
static void count_hit(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		      struct ftrace_regs *fregs)
{
	(void)ip;
	(void)parent_ip;
	(void)op;
	(void)fregs;
	traced_hits++;
}

/* rmmod does not wait for filters (Linux's ftrace_release_mod): the
 * module's sites leave them, and a filter left with none matches nothing. */
KTEST(module, fentry_sites_traceable_and_leave_filters_on_rmmod)
{
	struct baseline b;
	struct module *mod;
	char why[128];
	struct ftrace_ops ops = { .func = count_hit };

	warm_up();
	baseline_take(&b);
	KASSERT_EQ(load_kt(NULL, &mod, why, sizeof(why)), 0);
	unsigned long add = modsym("ktest_mod_add");
	KASSERT_TRUE(add);
	KEXPECT_EQ(ftrace_set_filter(&ops, "ktest_mod_add", 13, 1), 0);
	KEXPECT_EQ(register_ftrace_function(&ops), 0);
	traced_hits = 0;
	KEXPECT_EQ(((int (*)(int, int))add)(1, 1), 5);
	KEXPECT_EQ(traced_hits, 1);
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), 0);
	KEXPECT_UEQ(ftrace_nr_sites(), b.nsites);
	KEXPECT_UEQ(ops.nr_filter, 1);
	KEXPECT_UEQ(ops.filter[0], 0);
	KEXPECT_EQ(unregister_ftrace_function(&ops), 0);
	KEXPECT_EQ(traced_hits, 1);
	baseline_same(t, &b);
}

static bool busy_yes(struct module *mod)
{
	(void)mod;
	return true;
}

KTEST(module, unload_refused_while_busy)
{
	struct baseline b;
	struct module *mod;
	char why[128];

	warm_up();
	baseline_take(&b);
	KASSERT_EQ(load_kt(NULL, &mod, why, sizeof(why)), 0);
	KEXPECT_EQ(load_kt(NULL, NULL, why, sizeof(why)), -EEXIST);
	KEXPECT_TRUE(strstr(why, "already loaded") != NULL);
	KEXPECT_TRUE(try_module_get(mod));
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), -EBUSY);
	KEXPECT_TRUE(strstr(why, "refcount 1") != NULL);
	module_put(mod);
	mod->klp = true;
	mod->klp_busy = busy_yes;
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), -EBUSY);
	KEXPECT_TRUE(strstr(why, "enabled or in transition") != NULL);
	mod->klp_busy = NULL;
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), 0);
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), -ENOENT);
	KEXPECT_TRUE(strstr(why, "not loaded") != NULL);
	baseline_same(t, &b);
}

static int coming_calls, going_calls, coming_ret;
static int note_coming(struct module *mod)
{
	(void)mod;
	coming_calls++;
	return coming_ret;
}
static void note_going(struct module *mod)
{
	(void)mod;
	going_calls++;
}
static const struct module_notifier_ops test_notifier = { note_coming, note_going };

KTEST(module, notifier_hooks_and_refusal)
{
	struct baseline b;
	char why[128];

	warm_up();
	baseline_take(&b);
	module_set_notifier(&test_notifier);
	coming_calls = going_calls = coming_ret = 0;
	KEXPECT_EQ(load_kt(NULL, NULL, why, sizeof(why)), 0);
	KEXPECT_EQ(coming_calls, 1);
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), 0);
	KEXPECT_EQ(going_calls, 1);
	coming_ret = -ENODEV;
	KEXPECT_EQ(load_kt(NULL, NULL, why, sizeof(why)), -ENODEV);
	KEXPECT_TRUE(strstr(why, "refused") != NULL);
	KEXPECT_EQ(coming_calls, 2);
	module_set_notifier(NULL);
	baseline_same(t, &b);
}

KTEST(module, bad_params_and_failing_init)
{
	struct baseline b;
	char why[128];

	warm_up();
	baseline_take(&b);
	/* an undeclared parameter is ignored (with a warning), as in Linux */
	KEXPECT_EQ(load_kt("nosuch=1 count=5", NULL, why, sizeof(why)), 0);
	unsigned long seen = modsym("ktest_mod_seen_count");
	KEXPECT_TRUE(seen && *(int *)seen == 5);
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), 0);
	KEXPECT_EQ(load_kt("count=abc", NULL, why, sizeof(why)), -EINVAL);
	KEXPECT_STREQ(why, "bad value 'abc' for parameter 'count' (int)");
	KEXPECT_EQ(load_kt("verbose=maybe", NULL, why, sizeof(why)), -EINVAL);
	KEXPECT_TRUE(strstr(why, "(bool)") != NULL);
	KEXPECT_EQ(load_kt("count=-1 label=x", NULL, why, sizeof(why)), -EINVAL);
	KEXPECT_TRUE(strstr(why, "init failed") != NULL);
	KEXPECT_NULL(find_module("ktest_mod"));
	baseline_same(t, &b);
}

struct bad_case {
	const char *what;
	const u8 *blob;
	size_t len;
	const struct module_load_opts *opts;
	int err;
	const char *msg;
};

static void expect_rejected(struct ktest *t, const struct bad_case *c)
{
	char why[160] = "";
	int err = module_load_opts(c->blob, c->len, NULL, c->opts, NULL, why, sizeof(why));
	if (err != c->err || !strstr(why, c->msg))
		ktest_fail(t, __FILE__, __LINE__, "%s: got %d \"%s\", wanted %d \"%s\"", c->what,
			   err, why, c->err, c->msg);
}

KTEST(module, bad_blobs_rejected_each_with_its_message)
{
	struct baseline b;
	size_t len = kt_len(kt_mod, kt_mod_end);
	u8 *copy = kmalloc(len);

	KASSERT_NOT_NULL(copy);
	warm_up();
	baseline_take(&b);
	const struct bad_case cases[] = {
		{ "truncated", kt_mod, len - 40, &kt_opts, -ENODATA, "no signature" },
		{ "missing signature", kt_unsigned, kt_len(kt_unsigned, kt_unsigned_end), &kt_opts,
		  -ENODATA, "no signature" },
		{ "other key", kt_otherkey, kt_len(kt_otherkey, kt_otherkey_end), &kt_opts, -ENOKEY,
		  "unknown key" },
		{ "other build ID", kt_mod, len, NULL, -ENOEXEC, "build ID" },
		{ "section out of bounds", kt_oob, kt_len(kt_oob, kt_oob_end), &kt_opts, -ENOEXEC,
		  "out of bounds" },
		{ "unsupported relocation", kt_reloc, kt_len(kt_reloc, kt_reloc_end), &kt_opts,
		  -ENOEXEC, "relocation" },
		{ "unknown symbol", kt_unknown, kt_len(kt_unknown, kt_unknown_end), &kt_opts, -ENOENT,
		  "unknown symbol kelp_no_such_function" },
		{ "ambiguous symbol", kt_ambig, kt_len(kt_ambig, kt_ambig_end), &kt_opts, -EINVAL,
		  "ambiguous symbol" },
		{ "relocation overflow", kt_far, kt_len(kt_far, kt_far_end), &kt_opts, -EOVERFLOW,
		  "relocation overflow" },
		/* never read: the size is checked first */
		{ "oversized", kt_mod, MODULE_MAX_BLOB + 1, &kt_opts, -EFBIG, "too large" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_rejected(t, &cases[i]);

	/* one bit flipped in the payload, then in the signature */
	memcpy(copy, kt_mod, len);
	copy[200] ^= 0x10;
	struct bad_case flip = { "bit flip", copy, len, &kt_opts, -EKEYREJECTED, "does not verify" };
	expect_rejected(t, &flip);
	copy[200] ^= 0x10;
	copy[len - 32 - 10] ^= 1;
	flip.what = "bad signature";
	expect_rejected(t, &flip);
	copy[len - 32 - 10] ^= 1;
	baseline_same(t, &b);
	/* and the pristine copy still loads */
	char why[128];
	KEXPECT_EQ(module_load_opts(copy, len, NULL, &kt_opts, NULL, why, sizeof(why)), 0);
	KEXPECT_EQ(module_unload("ktest_mod", why, sizeof(why)), 0);
	kfree(copy);
}

/* A task printing a module address (%pS, a backtrace) may be preempted in
 * the middle of the lookup, and the module unloaded meanwhile: unloading
 * must wait until no lookup can still be walking the module's symbols or
 * its struct module (freed heap is poisoned, freed module pages unmapped). */
struct lookup_reader {
	bool sites; /* ftrace_location() of a kernel site instead of %pS */
	unsigned long addr;
	volatile bool stop;
	u64 lookups, named, bad;
	int fault_vector;
};

static void lookup_loop(void *arg)
{
	struct lookup_reader *r = arg;
	char buf[96];
	while (!READ_ONCE(r->stop)) {
		if (r->sites) {
			r->lookups++;
			if (ftrace_location(r->addr) == r->addr)
				r->named++;
			else
				r->bad++;
			continue;
		}
		ksym_snprint(buf, sizeof(buf), r->addr);
		r->lookups++;
		if (!strncmp(buf, "ktest_mod_add+0x1/", 18))
			r->named++;
		else if (strncmp(buf, "0x", 2))
			r->bad++;
	}
}

static int lookup_thread(void *arg)
{
	struct lookup_reader *r = arg;
	int vec = -1;
	if (arch_catch_fault(lookup_loop, r, &vec, NULL))
		r->fault_vector = vec;
	return 0;
}

static void race_lookups_with_unload(struct ktest *t, bool sites)
{
	struct baseline b;
	char why[128];
	warm_up();
	baseline_take(&b);
	KASSERT_EQ(load_kt(NULL, NULL, why, sizeof(why)), 0);
	static struct lookup_reader r;
	memset(&r, 0, sizeof(r));
	r.fault_vector = -1;
	r.sites = sites;
	r.addr = sites ? (unsigned long)ksym_count : modsym("ktest_mod_add") + 1;
	KASSERT_TRUE(r.addr != 1);
	struct task *reader = kthread_create(lookup_thread, &r, "kt_lookup");
	KASSERT_NOT_NULL(reader);
	/* Less urgent than this test: each wake-up of ours preempts it at
	 * an arbitrary point of a lookup. */
	sched_set_prio(reader, SCHED_PRIO_DEFAULT + 5);
	kthread_wake(reader);
	int loaded = 1;
	for (int i = 0; i < 40 && r.fault_vector < 0; i++) {
		if (!loaded) {
			if (load_kt(NULL, NULL, why, sizeof(why)))
				break;
			/* the module area may place it elsewhere */
			if (!sites)
				WRITE_ONCE(r.addr, modsym("ktest_mod_add") + 1);
		}
		msleep(2);
		if (module_unload("ktest_mod", why, sizeof(why)))
			break;
		loaded = 0;
		msleep(2); /* the reader resumes where it was preempted */
	}
	WRITE_ONCE(r.stop, true);
	kthread_stop(reader);
	msleep(2); /* its stack and struct go at its last switch */
	if (loaded)
		module_unload("ktest_mod", why, sizeof(why));
	KEXPECT_EQ(r.fault_vector, -1);
	KEXPECT_EQ(r.bad, 0);
	KEXPECT_GT(r.named, 0);
	if (!sites)
		KEXPECT_GT(r.lookups, r.named);
	baseline_same(t, &b);
}

KTEST(module, unload_waits_for_symbol_lookups)
{
	race_lookups_with_unload(t, false);
}

/* Each load and unload replaces the tracer's record array, which
 * ftrace_location() searches from any task. */
KTEST(module, site_changes_wait_for_ftrace_location)
{
	race_lookups_with_unload(t, true);
}
