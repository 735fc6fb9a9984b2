/* In-kernel self-tests with KTAP v1 output. A case registers itself through
 * the .ktest_cases section; cases with the same suite name form a suite:
 *
 *   KTEST(heap, alignment) { void *p = kmalloc_aligned(64, 256); KEXPECT_TRUE(p); ... }
 *
 * The layout of struct ktest_case is read by tests/ (pytest) from kernel.elf
 * to list every case: keep the two in step (see tests/py/ktest_list.py). */
#pragma once
#include <kelp/compiler.h>

#define KTEST_SUITE_LEN 32
#define KTEST_NAME_LEN 64

struct ktest {
	const char *suite;
	const char *name;
	int failures;
	bool skipped;
	char skip_reason[96];
};

struct ktest_case {
	char suite[KTEST_SUITE_LEN];
	char name[KTEST_NAME_LEN];
	void (*fn)(struct ktest *t);
};
BUILD_BUG_ON(sizeof(struct ktest_case) != 104);

#define KTEST(suite_, name_)                                                                       \
	static void ktest_##suite_##__##name_(struct ktest *t);                                    \
	static const struct ktest_case __ktest_##suite_##__##name_ __used                          \
		__section(".ktest_cases") __aligned(8) = { #suite_, #name_,                        \
							   ktest_##suite_##__##name_ };    \
	static void ktest_##suite_##__##name_(struct ktest *t)

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...) __printf(4, 5);
void ktest_skip(struct ktest *t, const char *reason);
/* Run every suite (suite == NULL) or one; prints KTAP. Returns failed cases. */
int ktest_run(const char *suite);
void ktest_list(void);

#define KEXPECT_TRUE(c)                                                                            \
	({                                                                                         \
		bool __ok = !!(c);                                                                 \
		if (!__ok)                                                                         \
			ktest_fail(t, __FILE__, __LINE__, "expected %s to be true", #c);           \
		__ok;                                                                              \
	})
#define KEXPECT_FALSE(c) KEXPECT_TRUE(!(c))
#define __KEXPECT_CMP(a, b, op, fmt, type)                                                         \
	({                                                                                         \
		type __a = (type)(a);                                                              \
		type __b = (type)(b);                                                              \
		bool __ok = __a op __b;                                                            \
		if (!__ok)                                                                         \
			ktest_fail(t, __FILE__, __LINE__, "expected %s " #op " %s, got " fmt " and " fmt, \
				   #a, #b, __a, __b);                                              \
		__ok;                                                                              \
	})
#define KEXPECT_EQ(a, b) __KEXPECT_CMP(a, b, ==, "%lld", long long)
#define KEXPECT_NE(a, b) __KEXPECT_CMP(a, b, !=, "%lld", long long)
#define KEXPECT_LT(a, b) __KEXPECT_CMP(a, b, <, "%lld", long long)
#define KEXPECT_LE(a, b) __KEXPECT_CMP(a, b, <=, "%lld", long long)
#define KEXPECT_GT(a, b) __KEXPECT_CMP(a, b, >, "%lld", long long)
#define KEXPECT_GE(a, b) __KEXPECT_CMP(a, b, >=, "%lld", long long)
#define KEXPECT_UEQ(a, b) __KEXPECT_CMP(a, b, ==, "%#llx", unsigned long long)
#define KEXPECT_PTR_EQ(a, b) __KEXPECT_CMP(a, b, ==, "%p", const void *)
#define KEXPECT_NULL(p) __KEXPECT_CMP(p, NULL, ==, "%p", const void *)
#define KEXPECT_NOT_NULL(p) __KEXPECT_CMP(p, NULL, !=, "%p", const void *)
#define KEXPECT_STREQ(a, b)                                                                        \
	({                                                                                         \
		const char *__a = (a), *__b = (b);                                                 \
		bool __ok = __a && __b && strcmp(__a, __b) == 0;                                   \
		if (!__ok)                                                                         \
			ktest_fail(t, __FILE__, __LINE__, "expected %s == %s, got \"%s\" and \"%s\"", \
				   #a, #b, __a ? __a : "(null)", __b ? __b : "(null)");            \
		__ok;                                                                              \
	})
/* The ASSERT forms end the case on failure. */
#define KASSERT_TRUE(c) do { if (!KEXPECT_TRUE(c)) return; } while (0)
#define KASSERT_EQ(a, b) do { if (!KEXPECT_EQ(a, b)) return; } while (0)
#define KASSERT_NOT_NULL(p) do { if (!KEXPECT_NOT_NULL(p)) return; } while (0)
