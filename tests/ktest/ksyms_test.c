/* Self-tests for the embedded symbol table (kernel/ksyms.c): lookups by
 * address, name and sympos, every symbol round-tripping, %pS formatting. */
#include <kelp/ktest.h>
#include <kelp/ksyms.h>
#include <kelp/string.h>
#include <kelp/errno.h>

extern int (*const ksym_dup_target_a)(int);
extern int (*const ksym_dup_target_b)(int);
extern void kmain(u32 magic, phys_addr_t mbi_phys);

/* A local object and a local function of this file, to check the types. */
static unsigned long ksyms_test_bss_word;
static noinline int ksyms_test_local_fn(int x)
{
	barrier();
	return x ^ 0x5a;
}

KTEST(ksyms, table_is_address_ordered)
{
	struct ksym a, b;
	unsigned long n = ksym_count();
	KASSERT_TRUE(n > 100);
	KEXPECT_TRUE(ksym_at(0, &a));
	KEXPECT_FALSE(ksym_at(n, &b));
	for (unsigned long i = 1; i < n; i++) {
		ksym_at(i - 1, &a);
		ksym_at(i, &b);
		/* unsigned: the boot symbols sit below the higher half */
		if (!KEXPECT_TRUE(a.addr <= b.addr))
			return;
	}
}

KTEST(ksyms, lookup_global_function)
{
	struct ksym s;
	unsigned long off;
	KASSERT_EQ(ksym_lookup_name("kmain", 0, &s), 0);
	KEXPECT_UEQ(s.addr, (unsigned long)kmain);
	KEXPECT_STREQ(s.name, "kmain");
	KEXPECT_TRUE(s.global);
	KEXPECT_EQ(s.type, 'T');
	KEXPECT_GT(s.size, 16);
	KEXPECT_EQ(ksym_count_name("kmain"), 1);
	KEXPECT_UEQ(ksym_addr("kmain"), (unsigned long)kmain);

	KASSERT_TRUE(ksym_lookup_addr((unsigned long)kmain + 5, &s, &off));
	KEXPECT_STREQ(s.name, "kmain");
	KEXPECT_EQ(off, 5);
	KEXPECT_TRUE(ksym_is_text((unsigned long)kmain));
}

KTEST(ksyms, local_symbols_and_types)
{
	struct ksym s;
	unsigned long off;
	KASSERT_TRUE(ksym_lookup_addr((unsigned long)ksyms_test_local_fn, &s, &off));
	KEXPECT_STREQ(s.name, "ksyms_test_local_fn");
	KEXPECT_EQ(s.type, 't');
	KEXPECT_FALSE(s.global);
	KEXPECT_EQ(off, 0);
	KEXPECT_EQ(ksyms_test_local_fn(0), 0x5a);

	KASSERT_TRUE(ksym_lookup_addr((unsigned long)&ksyms_test_bss_word + 3, &s, &off));
	KEXPECT_STREQ(s.name, "ksyms_test_bss_word");
	KEXPECT_EQ(s.type, 'b');
	KEXPECT_EQ(s.size, sizeof(ksyms_test_bss_word));
	KEXPECT_EQ(off, 3);
	KEXPECT_FALSE(ksym_is_text((unsigned long)&ksyms_test_bss_word));

	/* an asm label keeps its name and gets a size from the next symbol */
	KASSERT_EQ(ksym_lookup_name("trap_common", 0, &s), 0);
	KEXPECT_EQ(s.type, 'T');
	KEXPECT_GT(s.size, 0);
	KEXPECT_TRUE(ksym_is_text(s.addr));
	/* nasm's local labels (.from_kernel) are not symbols of their own */
	KEXPECT_EQ(ksym_count_name("trap_common.from_kernel"), 0);
}

KTEST(ksyms, unknown_names_and_addresses)
{
	struct ksym s;
	unsigned long off;
	KEXPECT_EQ(ksym_lookup_name("no_such_symbol_in_kelp", 0, &s), -ENOENT);
	KEXPECT_EQ(ksym_lookup_name("no_such_symbol_in_kelp", 1, &s), -ENOENT);
	KEXPECT_EQ(ksym_count_name("no_such_symbol_in_kelp"), 0);
	KEXPECT_EQ(ksym_count_name(""), 0);
	KEXPECT_EQ(ksym_lookup_name("kmain", 2, &s), -ENOENT);
	KEXPECT_UEQ(ksym_addr("no_such_symbol_in_kelp"), 0);
	KEXPECT_FALSE(ksym_lookup_addr(0x10, &s, &off));
	KEXPECT_FALSE(ksym_lookup_addr(0xffff888000000000UL, &s, &off));
	KEXPECT_FALSE(ksym_is_text(0x10));
}

KTEST(ksyms, sympos_duplicate_local)
{
	struct ksym s1, s2, s;
	unsigned long a = (unsigned long)ksym_dup_target_a, b = (unsigned long)ksym_dup_target_b;

	KEXPECT_NE(a, b);
	KEXPECT_EQ(ksym_dup_target_a(2), 3);
	KEXPECT_EQ(ksym_dup_target_b(2), 5);
	KASSERT_EQ(ksym_count_name("ksym_dup_target"), 2);
	KEXPECT_EQ(ksym_lookup_name("ksym_dup_target", 0, &s), -EINVAL);
	KEXPECT_UEQ(ksym_addr("ksym_dup_target"), 0);
	KASSERT_EQ(ksym_lookup_name("ksym_dup_target", 1, &s1), 0);
	KASSERT_EQ(ksym_lookup_name("ksym_dup_target", 2, &s2), 0);
	KEXPECT_EQ(ksym_lookup_name("ksym_dup_target", 3, &s), -ENOENT);
	/* address order, and the two are exactly the two functions */
	KEXPECT_LT(s1.addr, s2.addr);
	KEXPECT_UEQ(s1.addr, a < b ? a : b);
	KEXPECT_UEQ(s2.addr, a < b ? b : a);
	KEXPECT_FALSE(s1.global);
	KEXPECT_EQ(s2.type, 't');
}

/* Position (1-based) of table entry i among the symbols named like it. */
static unsigned long sympos_of(unsigned long i, const char *name)
{
	struct ksym o;
	unsigned long pos = 1;
	for (unsigned long j = 0; j < i; j++)
		if (ksym_at(j, &o) && !strcmp(o.name, name))
			pos++;
	return pos;
}

KTEST(ksyms, every_symbol_round_trips)
{
	unsigned long n = ksym_count(), checked = 0;
	for (unsigned long i = 0; i < n; i++) {
		struct ksym s, r;
		unsigned long off, pos;
		ksym_at(i, &s);
		/* by name (+ sympos when the name repeats) */
		pos = ksym_count_name(s.name) > 1 ? sympos_of(i, s.name) : 0;
		if (!KEXPECT_EQ(ksym_lookup_name(s.name, pos, &r), 0) ||
		    !KEXPECT_UEQ(r.addr, s.addr)) {
			ktest_fail(t, __FILE__, __LINE__, "symbol %lu %s pos %lu", i, s.name, pos);
			return;
		}
		if (!s.size)
			continue;
		/* by address: first and last byte; aliases share the address */
		bool ok = ksym_lookup_addr(s.addr, &r, &off) && r.addr == s.addr && off == 0 &&
			  ksym_lookup_addr(s.addr + s.size - 1, &r, &off) && r.addr == s.addr &&
			  off == s.size - 1;
		if (!ok) {
			ktest_fail(t, __FILE__, __LINE__, "%s %#lx/%#lx comes back as %s+%#lx",
				   s.name, s.addr, s.size, r.name, off);
			return;
		}
		checked++;
	}
	KEXPECT_GT(checked, n / 2);
}

KTEST(ksyms, table_describes_itself)
{
	extern const unsigned long ksym_addrs[];
	extern char __ksyms_start[], __ksyms_end[];
	struct ksym s;
	/* the generated table's own entries are those of the final link */
	KASSERT_EQ(ksym_lookup_name("ksym_addrs", 0, &s), 0);
	KEXPECT_UEQ(s.addr, (unsigned long)ksym_addrs);
	KEXPECT_UEQ(s.size, ksym_count() * sizeof(unsigned long));
	KEXPECT_GE(s.addr, (unsigned long)__ksyms_start);
	KEXPECT_LT(s.addr, (unsigned long)__ksyms_end);
	KASSERT_EQ(ksym_lookup_name("__ksyms_end", 0, &s), 0);
	KEXPECT_UEQ(s.addr, (unsigned long)__ksyms_end);
}

KTEST(ksyms, snprint_format)
{
	char buf[128], want[128];
	struct ksym s;
	KASSERT_EQ(ksym_lookup_name("kmain", 0, &s), 0);

	snprintf(want, sizeof(want), "kmain+0x0/0x%lx", s.size);
	ksym_snprint(buf, sizeof(buf), s.addr);
	KEXPECT_STREQ(buf, want);
	snprintf(want, sizeof(want), "kmain+0x4a/0x%lx", s.size);
	ksym_snprint(buf, sizeof(buf), s.addr + 0x4a);
	KEXPECT_STREQ(buf, want);
	/* a return address just past the end still names the caller */
	snprintf(want, sizeof(want), "kmain+0x%lx/0x%lx", s.size, s.size);
	ksym_snprint_ret(buf, sizeof(buf), s.addr + s.size);
	KEXPECT_STREQ(buf, want);

	ksym_snprint(buf, sizeof(buf), 0x10);
	KEXPECT_STREQ(buf, "0x10");
	/* truncation behaves like snprintf */
	snprintf(want, sizeof(want), "kmain+0x0/0x%lx", s.size);
	KEXPECT_EQ(ksym_snprint(buf, 4, s.addr), (int)strlen(want));
	KEXPECT_STREQ(buf, "kma");
	/* %pS and %ps go through the same table */
	snprintf(buf, sizeof(buf), "%pS|%ps", (void *)(s.addr + 1), (void *)s.addr);
	snprintf(want, sizeof(want), "kmain+0x1/0x%lx|kmain", s.size);
	KEXPECT_STREQ(buf, want);
}
