/* ftrace: sites are NOPs after boot and absent from notrace code; filters
 * change exactly their sites and unregistering restores them; the function
 * tracer records the right parent; IPMODIFY redirects with the original
 * arguments and is exclusive; the recursion guard; several ops share a site
 * through the list function; the jmp fast path; tracing every site while
 * the timer interrupt keeps firing, then every site is a NOP again.
 * TODO(lead): the "16 threads" variant once kthread_run exists. */
#include <kelp/ktest.h>
#include <kelp/ftrace.h>
#include <kelp/text_poke.h>
#include <kelp/ksyms.h>
#include <kelp/time.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <arch/cpu.h>
#include <kelp/percpu.h>
#include <kelp/printk.h>
#include <kelp/sched.h>

static const u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

noinline long ftrace_test_target(long a, long b, long c, long d, long e, long f)
{
	barrier();
	return a + b + c + d + e + f;
}

noinline long ftrace_test_replacement(long a, long b, long c, long d, long e, long f)
{
	barrier();
	return 1000000 + a * 100000 + b * 10000 + c * 1000 + d * 100 + e * 10 + f;
}

noinline long ftrace_test_inner(long x)
{
	barrier();
	return x + 7;
}

static long (*volatile target_ptr)(long, long, long, long, long, long) = ftrace_test_target;

noinline long ftrace_test_caller(void)
{
	long r = target_ptr(1, 2, 3, 4, 5, 6);
	barrier();
	return r;
}

/* Functions this work marks notrace: none may have a site. Static helpers
 * that the compiler inlined have no symbol and are skipped. */
static const char *const notrace_functions[] = {
	"text_poke", "text_poke_batch", "text_poke_sync", "poke_int3_handler", "poke_write",
	"poke_copy", "poke_equal", "poke_phys", "poke_sync_core", "ftrace_ops_list_func",
	"ops_has", "rec_index", "ftrace_text_is_trampoline", "function_trace_call",
	"trace_current_pid", "trace_current_comm", "ktime_get_ns", "clock_read", "trap_dispatch", "trap_handle",
	"vmm_map_alias", "vmm_unmap_alias", "arch_alias_set", "leaf_bits", "uart_putc",
	"__fentry__",
};

static u8 *snapshot_sites(void)
{
	size_t n = ftrace_nr_sites();
	u8 *s = kmalloc(n * 5 + 1);
	struct ftrace_site_info si;
	for (size_t i = 0; s && ftrace_site_at(i, &si); i++)
		memcpy(s + i * 5, (void *)si.ip, 5);
	return s;
}

/* Sites whose bytes differ from the snapshot; *which = the last one. */
static size_t sites_changed(const u8 *snap, unsigned long *which)
{
	struct ftrace_site_info si;
	size_t n = 0;
	for (size_t i = 0; ftrace_site_at(i, &si); i++)
		if (memcmp(snap + i * 5, (void *)si.ip, 5)) {
			n++;
			*which = si.ip;
		}
	return n;
}

static size_t sites_not_nop(void)
{
	struct ftrace_site_info si;
	size_t n = 0;
	for (size_t i = 0; ftrace_site_at(i, &si); i++)
		n += memcmp((void *)si.ip, nop5, 5) != 0 || si.nr_ops != 0;
	return n;
}

KTEST(ftrace, every_site_is_a_nop)
{
	KEXPECT_GT(ftrace_nr_sites(), 100);
	KEXPECT_EQ(sites_not_nop(), 0);
	KEXPECT_EQ(ftrace_location((unsigned long)ftrace_test_target),
		   (unsigned long)ftrace_test_target);
	KEXPECT_EQ(ftrace_location((unsigned long)ftrace_test_target + 1), 0);
}

KTEST(ftrace, notrace_functions_have_no_site)
{
	struct ftrace_site_info si;
	int found = 0;
	for (size_t k = 0; k < ARRAY_SIZE(notrace_functions); k++) {
		struct ksym sym;
		if (ksym_lookup_name(notrace_functions[k], 0, &sym))
			continue;
		found++;
		for (size_t i = 0; ftrace_site_at(i, &si); i++)
			if (si.ip >= sym.addr && si.ip < sym.addr + MAX(sym.size, 1UL))
				ktest_fail(t, __FILE__, __LINE__, "notrace %s has a site",
					   notrace_functions[k]);
	}
	KEXPECT_GE(found, 15);
	for (size_t i = 0; ftrace_site_at(i, &si); i++)
		if (ftrace_text_is_trampoline(si.ip))
			ktest_fail(t, __FILE__, __LINE__, "site %pS in a trampoline", (void *)si.ip);
}

static volatile int empty_calls;
static void count_handler(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			  struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)fregs;
	empty_calls++;
	*(int *)op->private += 1;
}

KTEST(ftrace, filter_changes_exactly_its_site)
{
	int calls = 0;
	struct ftrace_ops ops = { .func = count_handler, .private = &calls };
	u8 *snap = snapshot_sites();
	KASSERT_NOT_NULL(snap);
	KEXPECT_EQ(ftrace_set_filter_ip(&ops, (unsigned long)ftrace_test_target + 1, 0, 1),
		   -ENOENT);
	KEXPECT_EQ(ftrace_set_filter_ip(&ops, (unsigned long)ftrace_test_target, 0, 1), 0);
	KASSERT_EQ(register_ftrace_function(&ops), 0);
	unsigned long which = 0;
	KEXPECT_EQ(sites_changed(snap, &which), 1);
	KEXPECT_EQ(which, (unsigned long)ftrace_test_target);
	KEXPECT_EQ(*(u8 *)ftrace_test_target, 0xe8);
	KEXPECT_TRUE(ftrace_text_is_trampoline(
		(unsigned long)ftrace_test_target + 5 + *(s32 *)((u8 *)ftrace_test_target + 1)));
	KEXPECT_EQ(ftrace_test_caller(), 21);
	KEXPECT_EQ(calls, 1);
	KEXPECT_EQ(unregister_ftrace_function(&ops), 0);
	KEXPECT_EQ(sites_changed(snap, &which), 0);
	KEXPECT_NULL(ops.filter);
	KEXPECT_EQ(ftrace_test_caller(), 21);
	KEXPECT_EQ(calls, 1);
	kfree(snap);
}

/* A direct trampoline must be trampoline text, which the unwinder distrusts
 * and an interrupt never preempts: anything else is refused, nothing
 * changes. */
KTEST(ftrace, direct_outside_trampoline_text_refused)
{
	int calls = 0;
	struct ftrace_ops ops = { .func = count_handler,
				  .private = &calls,
				  .direct = (unsigned long)ftrace_test_caller };
	u8 *snap = snapshot_sites();
	KASSERT_NOT_NULL(snap);
	KEXPECT_EQ(ftrace_set_filter_ip(&ops, (unsigned long)ftrace_test_target, 0, 1), 0);
	KEXPECT_EQ(register_ftrace_function(&ops), -EINVAL);
	unsigned long which = 0;
	KEXPECT_EQ(sites_changed(snap, &which), 0);
	KEXPECT_FALSE(ops.flags & FTRACE_OPS_FL_ENABLED);
	KEXPECT_EQ(ftrace_test_caller(), 21);
	KEXPECT_EQ(calls, 0);
	ftrace_free_filter(&ops);
	kfree(snap);
}

static bool find_call(const struct trace_entry *e, void *arg)
{
	unsigned long *want = arg; /* [ip, parent lo, parent hi, found] */
	if (e->ip == want[0] && e->parent_ip >= want[1] && e->parent_ip < want[2])
		want[3]++;
	return true;
}

KTEST(ftrace, function_tracer_records_parent)
{
	struct ftrace_ops *ops = tracer_function_ops();
	KASSERT_EQ(ftrace_set_filter(ops, "ftrace_test_target", 18, 1), 0);
	KEXPECT_EQ(ftrace_set_filter(ops, "no_such_function_*", 18, 0), -EINVAL);
	KEXPECT_EQ(ops->nr_filter, 1);
	KASSERT_EQ(tracer_function_start(), 0);
	trace_buffer_clear();
	ftrace_test_caller();
	ftrace_test_caller();
	tracer_function_stop();
	struct ksym caller;
	KASSERT_EQ(ksym_lookup_name("ftrace_test_caller", 0, &caller), 0);
	unsigned long want[4] = { (unsigned long)ftrace_test_target, caller.addr,
				  caller.addr + caller.size, 0 };
	trace_buffer_iterate(false, find_call, want);
	KEXPECT_EQ(want[3], 2);
	u64 held;
	trace_buffer_stats(&held, NULL, NULL);
	KEXPECT_EQ(held, 2);
	/* the filter outlives the tracer, as in Linux */
	KEXPECT_EQ(ops->nr_filter, 1);
	ftrace_free_filter(ops);
	KEXPECT_EQ(ops->nr_filter, 0);
	trace_buffer_clear();
	KEXPECT_EQ(sites_not_nop(), 0);
}

static long seen_args[6];
static void redirect_handler(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			     struct ftrace_regs *fregs)
{
	(void)parent_ip, (void)op;
	if (ip != (unsigned long)ftrace_test_target)
		return;
	for (int i = 0; i < 6; i++)
		seen_args[i] = (long)ftrace_regs_get_argument(fregs, i);
	ftrace_regs_set_ip(fregs, (unsigned long)ftrace_test_replacement);
}

static void check_redirect(struct ktest *t, unsigned long flags)
{
	struct ftrace_ops ops = { .func = redirect_handler,
				  .flags = FTRACE_OPS_FL_IPMODIFY | flags };
	memset(seen_args, 0, sizeof(seen_args));
	KASSERT_EQ(ftrace_set_filter_ip(&ops, (unsigned long)ftrace_test_target, 0, 0), 0);
	KASSERT_EQ(register_ftrace_function(&ops), 0);
	KEXPECT_EQ(ftrace_test_caller(), 1123456);
	KEXPECT_EQ(seen_args[0], 1);
	KEXPECT_EQ(seen_args[5], 6);
	KEXPECT_EQ(unregister_ftrace_function(&ops), 0);
	KEXPECT_EQ(ftrace_test_caller(), 21);
	KEXPECT_EQ(sites_not_nop(), 0);
}

KTEST(ftrace, ipmodify_redirects_with_args)
{
	check_redirect(t, 0);
}

KTEST(ftrace, ipmodify_redirects_save_regs)
{
	check_redirect(t, FTRACE_OPS_FL_SAVE_REGS);
}

KTEST(ftrace, second_ipmodify_gets_ebusy)
{
	struct ftrace_ops a = { .func = redirect_handler, .flags = FTRACE_OPS_FL_IPMODIFY };
	struct ftrace_ops b = { .func = redirect_handler,
				.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_SAVE_REGS };
	KASSERT_EQ(ftrace_set_filter_ip(&a, (unsigned long)ftrace_test_target, 0, 0), 0);
	KASSERT_EQ(register_ftrace_function(&a), 0);
	u8 *snap = snapshot_sites();
	KASSERT_NOT_NULL(snap);
	/* registering a conflicting ops */
	KEXPECT_EQ(ftrace_set_filter_ip(&b, (unsigned long)ftrace_test_target, 0, 0), 0);
	KEXPECT_EQ(register_ftrace_function(&b), -EBUSY);
	KEXPECT_FALSE(b.flags & FTRACE_OPS_FL_ENABLED);
	unsigned long which;
	KEXPECT_EQ(sites_changed(snap, &which), 0);
	/* growing a registered ops' filter onto the site */
	KEXPECT_EQ(ftrace_set_filter_ip(&b, (unsigned long)ftrace_test_inner, 0, 1), 0);
	KEXPECT_EQ(register_ftrace_function(&b), 0);
	kfree(snap);
	snap = snapshot_sites();
	KEXPECT_EQ(ftrace_set_filter_ip(&b, (unsigned long)ftrace_test_target, 0, 0), -EBUSY);
	KEXPECT_EQ(b.nr_filter, 1);
	KEXPECT_EQ(sites_changed(snap, &which), 0);
	KEXPECT_EQ(ftrace_test_caller(), 1123456);
	KEXPECT_EQ(unregister_ftrace_function(&b), 0);
	KEXPECT_EQ(unregister_ftrace_function(&a), 0);
	KEXPECT_EQ(sites_not_nop(), 0);
	kfree(snap);
}

static volatile int guard_calls;
static void recursing_handler(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			      struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op, (void)fregs;
	guard_calls++;
	if (guard_calls < 100) /* bounded, so a broken guard fails instead of hanging */
		ftrace_test_inner(guard_calls);
}

KTEST(ftrace, recursion_guard_stops_handler)
{
	struct ftrace_ops ops = { .func = recursing_handler, .flags = FTRACE_OPS_FL_SAVE_REGS };
	KASSERT_EQ(ftrace_set_filter_ip(&ops, (unsigned long)ftrace_test_inner, 0, 0), 0);
	KASSERT_EQ(register_ftrace_function(&ops), 0);
	guard_calls = 0;
	KEXPECT_EQ(ftrace_test_inner(1), 8);
	KEXPECT_EQ(guard_calls, 1);
	KEXPECT_EQ(ftrace_test_inner(1), 8);
	KEXPECT_EQ(guard_calls, 2);
	KEXPECT_EQ(this_cpu()->ftrace_recursion, 0);
	KEXPECT_EQ(unregister_ftrace_function(&ops), 0);
}

KTEST(ftrace, two_ops_share_a_site)
{
	int ca = 0, cb = 0;
	struct ftrace_ops a = { .func = count_handler, .private = &ca };
	struct ftrace_ops b = { .func = count_handler, .private = &cb,
				.flags = FTRACE_OPS_FL_SAVE_REGS };
	KASSERT_EQ(ftrace_set_filter_ip(&a, (unsigned long)ftrace_test_target, 0, 0), 0);
	KASSERT_EQ(ftrace_set_filter(&b, "ftrace_test_*", 13, 0), 0);
	KASSERT_EQ(register_ftrace_function(&a), 0);
	KASSERT_EQ(register_ftrace_function(&b), 0);
	long i = -1;
	struct ftrace_site_info si;
	for (size_t k = 0; ftrace_site_at(k, &si); k++)
		if (si.ip == (unsigned long)ftrace_test_target)
			i = (long)k;
	KASSERT_TRUE(i >= 0);
	ftrace_site_at(i, &si);
	KEXPECT_EQ(si.nr_ops, 2);
	KEXPECT_TRUE(si.regs);
	KEXPECT_FALSE(si.ipmodify);
	ftrace_test_caller(); /* caller and target: b twice, a once */
	KEXPECT_EQ(ca, 1);
	KEXPECT_EQ(cb, 2);
	KEXPECT_EQ(unregister_ftrace_function(&a), 0);
	ftrace_site_at(i, &si);
	KEXPECT_EQ(si.nr_ops, 1);
	KEXPECT_EQ(unregister_ftrace_function(&b), 0);
	KEXPECT_EQ(sites_not_nop(), 0);
}

KTEST(ftrace, jmp_fast_path)
{
	unsigned long site = (unsigned long)ftrace_test_target;
	int calls = 0;
	struct ftrace_ops lp = { .func = redirect_handler, .flags = FTRACE_OPS_FL_IPMODIFY };
	struct ftrace_ops other = { .func = count_handler, .private = &calls };
	KEXPECT_EQ(ftrace_site_set_jmp(site, (unsigned long)ftrace_test_replacement), -EBUSY);
	KASSERT_EQ(ftrace_set_filter_ip(&lp, site, 0, 0), 0);
	KASSERT_EQ(register_ftrace_function(&lp), 0);
	KEXPECT_EQ(ftrace_site_set_jmp(site, (unsigned long)ftrace_test_replacement), 0);
	KEXPECT_EQ(*(u8 *)site, 0xe9);
	memset(seen_args, 0, sizeof(seen_args));
	KEXPECT_EQ(ftrace_test_caller(), 1123456);
	KEXPECT_EQ(seen_args[0], 0); /* the handler did not run: a bare jmp */
	/* another ops joins: back to the call, and the jmp returns after */
	KASSERT_EQ(ftrace_set_filter_ip(&other, site, 0, 0), 0);
	KASSERT_EQ(register_ftrace_function(&other), 0);
	KEXPECT_EQ(*(u8 *)site, 0xe8);
	KEXPECT_EQ(ftrace_test_caller(), 1123456);
	KEXPECT_EQ(calls, 1);
	KEXPECT_EQ(unregister_ftrace_function(&other), 0);
	KEXPECT_EQ(*(u8 *)site, 0xe9);
	KEXPECT_EQ(ftrace_site_clear_jmp(site), 0);
	KEXPECT_EQ(*(u8 *)site, 0xe8);
	KEXPECT_EQ(ftrace_test_caller(), 1123456);
	KEXPECT_EQ(seen_args[0], 1);
	KEXPECT_EQ(unregister_ftrace_function(&lp), 0);
	KEXPECT_EQ(sites_not_nop(), 0);
}

static bool count_irq_entries(const struct trace_entry *e, void *arg)
{
	if (e->flags & TRACE_FLAG_HARDIRQ)
		++*(u64 *)arg;
	return true;
}

/* Stand-in for the 16-thread stress test: every site traced while the
 * timer interrupt runs traced code, then back to NOPs. */
KTEST(ftrace, trace_every_site_under_interrupts)
{
	struct kmalloc_stats before, after;
	kmalloc_get_stats(&before);
	u64 hits = text_poke_int3_hits();
	for (int round = 0; round < 3; round++) {
		KASSERT_EQ(tracer_function_start(), 0);
		size_t traced = 0;
		struct ftrace_site_info si;
		for (size_t i = 0; ftrace_site_at(i, &si); i++)
			traced += si.insn[0] == 0xe8;
		KEXPECT_EQ(traced, ftrace_nr_sites());
		KEXPECT_TRUE(arch_irqs_enabled());
		u64 end = ktime_get_ns() + 20 * NSEC_PER_MSEC;
		while (ktime_get_ns() < end)
			ftrace_test_caller();
		tracer_function_stop();
		KEXPECT_EQ(sites_not_nop(), 0);
	}
	u64 irq_entries = 0, written, lost;
	trace_buffer_iterate(false, count_irq_entries, &irq_entries);
	trace_buffer_stats(NULL, &written, &lost);
	KEXPECT_GT(irq_entries, 0);
	KEXPECT_GT(lost, 0); /* 60 ms of every function overflows the buffer */
	printk(KERN_INFO "ftrace stress: %llu written, %llu lost, %llu int3 hits\n",
	       (unsigned long long)written, (unsigned long long)lost,
	       (unsigned long long)(text_poke_int3_hits() - hits));
	trace_buffer_clear();
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

/* Issue 4's stress: the function tracer switched on for every site and off
 * again, three times, while 16 preemptible kernel threads run traced code
 * (string helpers, the heap, the scheduler) and the tick keeps preempting
 * them: afterwards every site is a NOP again and nothing leaked. */
static volatile u64 stress_calls[16];

static int ftrace_stress_thread(void *arg)
{
	volatile u64 *count = arg;
	char buf[32];
	while (!kthread_should_stop()) {
		int v;
		snprintf(buf, sizeof(buf), "%d", (int)(*count & 0xffff));
		if (kstrtoint(buf, 10, &v) == 0)
			(*count)++;
		void *p = kmalloc(48);
		kfree(p);
		if ((*count & 63) == 0)
			cond_resched();
	}
	return 0;
}

KTEST(ftrace, trace_every_site_with_16_threads)
{
	struct task *threads[16];
	struct kmalloc_stats before, after;
	kmalloc_get_stats(&before);
	for (int i = 0; i < 16; i++) {
		stress_calls[i] = 0;
		threads[i] = kthread_run(ftrace_stress_thread, (void *)&stress_calls[i], "ftstress/%d", i);
		KASSERT_TRUE(threads[i] != NULL);
	}
	for (int round = 0; round < 3; round++) {
		KASSERT_EQ(tracer_function_start(), 0);
		msleep(20);
		tracer_function_stop();
		KEXPECT_EQ(sites_not_nop(), 0);
		msleep(5);
	}
	for (int i = 0; i < 16; i++) {
		kthread_stop(threads[i]);
		KEXPECT_GT(stress_calls[i], 0); /* every thread ran while sites changed */
	}
	KEXPECT_EQ(sites_not_nop(), 0);
	trace_buffer_clear();
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

#ifdef CONFIG_BENCH
#include <kelp/bench.h>

/* The benches' preconditions (tests/bench): a figure for "the NOP" or "the
 * jmp" is printed only when the site is in that state. */
KTEST(ftrace, bench_site_preconditions)
{
	int calls = 0;
	struct ftrace_ops ops = { .func = count_handler, .private = &calls,
				  .flags = FTRACE_OPS_FL_IPMODIFY };
	KEXPECT_TRUE(bench_site_is_nop(ftrace_test_target));
	KEXPECT_FALSE(bench_site_is_jmp(ftrace_test_target, ftrace_test_replacement));
	KASSERT_EQ(ftrace_set_filter_ip(&ops, (unsigned long)ftrace_test_target, 0, 1), 0);
	KASSERT_EQ(register_ftrace_function(&ops), 0);
	KEXPECT_FALSE(bench_site_is_nop(ftrace_test_target)); /* a call now */
	KEXPECT_FALSE(bench_site_is_jmp(ftrace_test_target, ftrace_test_replacement));
	if (!ftrace_site_set_jmp((unsigned long)ftrace_test_target,
				 (unsigned long)ftrace_test_replacement)) {
		KEXPECT_TRUE(bench_site_is_jmp(ftrace_test_target, ftrace_test_replacement));
		KEXPECT_FALSE(bench_site_is_jmp(ftrace_test_target, ftrace_test_caller));
		KEXPECT_FALSE(bench_site_is_nop(ftrace_test_target));
	}
	KEXPECT_EQ(unregister_ftrace_function(&ops), 0);
	ftrace_free_filter(&ops);
	KEXPECT_TRUE(bench_site_is_nop(ftrace_test_target));
}
#endif
