/* Tracer benchmarks (`make bench`): the cost of one call to a small function
 * in each state of its fentry site, in guest instructions under icount, and
 * the cost of enabling then disabling every site. Each figure also gets its
 * ratio to call_plain (x100). Calls go through volatile function pointers so
 * nothing is inlined or elided. */
#include <kelp/bench.h>
#include <kelp/ftrace.h>
#include <kelp/string.h>

#define BENCH_CALLS 1000

/* Storing the frame address makes gcc build a frame in the notrace twin,
 * which as a leaf would otherwise have none. */
static void *volatile bench_frame;

notrace noinline long bench_fn_plain(long x)
{
	/* The same frame in every twin: -pg forces one on traced functions. */
	bench_frame = __builtin_frame_address(0);
	return x + 1;
}

noinline long bench_fn_traced(long x)
{
	/* The same frame in every twin: -pg forces one on traced functions. */
	bench_frame = __builtin_frame_address(0);
	return x + 1;
}

noinline long bench_fn_copy(long x)
{
	/* The same frame in every twin: -pg forces one on traced functions. */
	bench_frame = __builtin_frame_address(0);
	return x + 1;
}

static long (*volatile fn_plain)(long) = bench_fn_plain;
static long (*volatile fn_traced)(long) = bench_fn_traced;
static u64 plain_cost;

/* The loop's result goes here, after the clock stops, so that the calls
 * cannot be dropped. */
static volatile long bench_sink;

static notrace u64 measure(long (*fn)(long))
{
	long acc = 0;
	fn(0); /* warm */
	u64 t0 = bench_now();
	for (int i = 0; i < BENCH_CALLS; i++)
		acc += fn(i);
	u64 t1 = bench_now();
	bench_sink = acc;
	return (t1 - t0) / BENCH_CALLS;
}

static void report(const char *name, u64 cost)
{
	char rname[48];
	if (!cost) {
		bench_skip(name, "the site could not be put in that state");
		return;
	}
	bench_report(name, cost, "insns/call");
	if (plain_cost) {
		snprintf(rname, sizeof(rname), "%s_ratio", name);
		bench_report(rname, cost * 100 / plain_cost, "x100");
	}
}

static notrace void empty_handler(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op, (void)fregs;
}

static notrace void redirect_handler(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op;
	ftrace_regs_set_ip(fregs, (unsigned long)bench_fn_copy);
}

/* The cost of bench_fn_traced with an ops on it (and with jmp, the site
 * a jmp to bench_fn_copy); 0 when that state could not be set up. */
static u64 with_ops(ftrace_func_t fn, unsigned long flags, bool jmp)
{
	struct ftrace_ops ops = { .func = fn, .flags = flags };
	u64 cost = 0;
	if (ftrace_set_filter_ip(&ops, (unsigned long)bench_fn_traced, 0, 1))
		return 0;
	if (register_ftrace_function(&ops)) {
		ftrace_free_filter(&ops);
		return 0;
	}
	if (!jmp || (!ftrace_site_set_jmp((unsigned long)bench_fn_traced,
					  (unsigned long)bench_fn_copy) &&
		     bench_site_is_jmp(bench_fn_traced, bench_fn_copy)))
		cost = measure(fn_traced);
	unregister_ftrace_function(&ops);
	ftrace_free_filter(&ops);
	return cost;
}

KBENCH_DESC(ftrace_calls, "one call to a small function, in each state of its fentry site")
{
	plain_cost = measure(fn_plain);
	report("call_plain", plain_cost);
	if (bench_site_is_nop(bench_fn_traced))
		report("call_nop", measure(fn_traced));
	else
		bench_skip("call_nop", "bench_fn_traced's site is not the NOP");
	report("call_ops_empty", with_ops(empty_handler, 0, false));
	report("call_ops_empty_regs", with_ops(empty_handler, FTRACE_OPS_FL_SAVE_REGS, false));
	report("call_ops_redirect", with_ops(redirect_handler, FTRACE_OPS_FL_IPMODIFY, false));
	report("call_jmp_redirect", with_ops(redirect_handler, FTRACE_OPS_FL_IPMODIFY, true));

	struct ftrace_ops *ops = tracer_function_ops();
	if (!ftrace_set_filter(ops, "bench_fn_traced", 15, 1) && !tracer_function_start()) {
		report("call_function_tracer", measure(fn_traced));
		tracer_function_stop();
	}
	ftrace_free_filter(ops);
	trace_buffer_clear();

	/* two ops on the site: the list function */
	struct ftrace_ops other = { .func = empty_handler };
	if (!ftrace_set_filter_ip(&other, (unsigned long)bench_fn_traced, 0, 1) &&
	    !register_ftrace_function(&other)) {
		report("call_ops_list2", with_ops(empty_handler, 0, false));
		unregister_ftrace_function(&other);
	}
}

KBENCH_DESC(ftrace_poke, "rewriting every fentry site of the kernel, per site")
{
	struct ftrace_ops ops = { .func = empty_handler };
	size_t n = ftrace_nr_sites();
	u64 t0 = bench_now();
	int err = register_ftrace_function(&ops);
	u64 t1 = bench_now();
	if (!err)
		unregister_ftrace_function(&ops);
	u64 t2 = bench_now();
	if (err || !n)
		return;
	bench_report("poke_all_sites_enable", (t1 - t0) / n, "insns/site");
	bench_report("poke_all_sites_disable", (t2 - t1) / n, "insns/site");
	bench_report("poke_all_sites", (t2 - t0) / n, "insns/site");
}
