/* Targets of the klp-build tests (tests/klp-build/, tests/py/test_klp_build.py):
 * one small function per rule klp-build follows, each reachable from the
 * `klpb` shell command so a generated live patch is checked on the running
 * test kernel. The patches in tests/klp-build/cases/ are against this file
 * and klpb_dup_b.c; keep them stable (a change here means regenerating them). */
#include <kelp/compiler.h>
#include <kelp/init.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include "klpb.h"

struct klpb_pair {
	int a;
	int b;
};

static int klpb_data = 5;
static int klpb_booted;

noinline int klpb_basic(int x)
{
	return x + 1;
}

static noinline int klpb_static_fn(int x)
{
	barrier();
	return x * 2;
}

noinline int klpb_caller(int x)
{
	return klpb_static_fn(x) + 1;
}

noinline int klpb_uses_new(int x)
{
	return x - 1;
}

noinline const char *klpb_string(void)
{
	return "klpb string: old";
}

static __always_inline int klpb_inline_callee(int x)
{
	return x + 100;
}

noinline int klpb_inl_a(int x)
{
	return klpb_inline_callee(x) * 3;
}

noinline int klpb_inl_b(int x)
{
	return klpb_inline_callee(x) - 7;
}

static noinline __attribute__((cold)) void klpb_complain(int x)
{
	pr_warn("klpb: bad value %d\n", x);
}

noinline int klpb_split(int x)
{
	if (unlikely(x < 0)) {
		klpb_complain(x);
		pr_warn("klpb: split cold path, old\n");
		return -1;
	}
	return x + 5;
}

noinline int klpb_counter(void)
{
	static int calls;
	return ++calls;
}

/* A second static local named calls: klp-build must tell the two apart. */
noinline int klpb_counter2(void)
{
	static int calls;
	return calls += 2;
}

noinline int klpb_line(void)
{
	return __LINE__;
}

noinline int klpb_hdr_user(int x)
{
	return klpb_hdr_scale(x) + 1;
}

noinline int klpb_read_data(void)
{
	return klpb_data;
}

noinline notrace int klpb_notrace(int x)
{
	return x + 3;
}

noinline int klpb_pair_sum(struct klpb_pair *p)
{
	return p->a + p->b;
}

int klpb_dup_a_call(int x);
int klpb_dup_b_call(int x);

static int klpb_boot(void)
{
	klpb_booted = 1;
	return 0;
}
late_initcall(klpb_boot);

static int cmd_klpb(int argc, char **argv)
{
	struct klpb_pair p = { 3, 4 };
	(void)argc;
	(void)argv;
	shell_printf("basic=%d caller=%d uses_new=%d\n", klpb_basic(1), klpb_caller(5), klpb_uses_new(10));
	shell_printf("string=%s\n", klpb_string());
	shell_printf("inl_a=%d inl_b=%d\n", klpb_inl_a(1), klpb_inl_b(1));
	shell_printf("split=%d,%d\n", klpb_split(1), klpb_split(-1));
	shell_printf("counter=%d counter2=%d\n", klpb_counter(), klpb_counter2());
	shell_printf("line=%d data=%d notrace=%d pair=%d booted=%d\n", klpb_line(), klpb_read_data(),
		     klpb_notrace(1), klpb_pair_sum(&p), klpb_booted);
	shell_printf("dup_a=%d dup_b=%d hdr=%d\n", klpb_dup_a_call(1), klpb_dup_b_call(1), klpb_hdr_user(1));
	return 0;
}
SHELL_COMMAND("klpb", "klp-build test targets (test kernel)", cmd_klpb);
