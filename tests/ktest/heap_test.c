/* Self-tests for the kernel heap (mm/kmalloc.c). */
#include <kelp/ktest.h>
#include <kelp/mm.h>
#include <kelp/string.h>

#define NOBJ 200

/* Every case must leave the heap as it found it. */
#define EXPECT_BASELINE(s0)                                                                        \
	do {                                                                                       \
		struct kmalloc_stats __s;                                                          \
		kmalloc_get_stats(&__s);                                                           \
		KEXPECT_EQ(__s.bytes_in_use, (s0).bytes_in_use);                                   \
		KEXPECT_EQ(__s.objects_in_use, (s0).objects_in_use);                               \
		KEXPECT_EQ(__s.heap_pages, (s0).heap_pages);                                       \
	} while (0)

static u8 pattern(int i, size_t off)
{
	return (u8)(i * 37 + off * 7 + 1);
}

static bool check_pattern(const u8 *p, int i, size_t n)
{
	for (size_t off = 0; off < n; off++)
		if (p[off] != pattern(i, off))
			return false;
	return true;
}

static void fill_pattern(u8 *p, int i, size_t n)
{
	for (size_t off = 0; off < n; off++)
		p[off] = pattern(i, off);
}

KTEST(heap, patterns_do_not_overlap)
{
	static u8 *obj[NOBJ];
	static size_t len[NOBJ];
	struct kmalloc_stats s0, s1;
	kmalloc_get_stats(&s0);
	u64 bytes = 0;
	for (int i = 0; i < NOBJ; i++) {
		len[i] = (i * 131) % 3000 + (i % 7 == 0 ? 20000 : 1);
		obj[i] = kmalloc(len[i]);
		KASSERT_TRUE(obj[i] != NULL);
		KEXPECT_TRUE(IS_ALIGNED((unsigned long)obj[i], 16));
		fill_pattern(obj[i], i, len[i]);
		bytes += len[i];
	}
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.bytes_in_use - s0.bytes_in_use, bytes);
	KEXPECT_EQ(s1.objects_in_use - s0.objects_in_use, NOBJ);
	KEXPECT_EQ(s1.total_allocs - s0.total_allocs, NOBJ);
	/* Free every third object, then refill the holes with new ones. */
	for (int i = 0; i < NOBJ; i += 3)
		kfree(obj[i]);
	for (int i = 0; i < NOBJ; i += 3) {
		obj[i] = kmalloc(len[i]);
		KASSERT_TRUE(obj[i] != NULL);
		fill_pattern(obj[i], i, len[i]);
	}
	int bad = 0;
	for (int i = 0; i < NOBJ; i++)
		bad += !check_pattern(obj[i], i, len[i]);
	KEXPECT_EQ(bad, 0);
	for (int i = NOBJ - 1; i >= 0; i--)
		kfree(obj[i]);
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.total_frees - s0.total_frees, NOBJ + (NOBJ + 2) / 3);
	EXPECT_BASELINE(s0);
}

KTEST(heap, alignment)
{
	struct kmalloc_stats s0;
	kmalloc_get_stats(&s0);
	void *p[2][9];
	int k = 0;
	for (size_t align = 16; align <= 4096; align *= 2, k++) {
		p[0][k] = kmalloc_aligned(24, align);
		p[1][k] = kmalloc_aligned(align * 3 + 5, align);
		for (int j = 0; j < 2; j++) {
			KEXPECT_TRUE((p[j][k]) != NULL);
			KEXPECT_EQ((unsigned long)p[j][k] & (align - 1), 0);
		}
		memset(p[0][k], 0xa5, 24);
		memset(p[1][k], 0x5a, align * 3 + 5);
	}
	void *big = kmalloc_aligned(100000, 8192);
	KEXPECT_TRUE(big != NULL);
	KEXPECT_EQ((unsigned long)big & 8191, 0);
	KEXPECT_TRUE((kmalloc_aligned(64, 48)) == NULL); /* not a power of two */
	for (int i = 0; i < k; i++) {
		KEXPECT_EQ(((u8 *)p[0][i])[23], 0xa5);
		kfree(p[0][i]);
		kfree(p[1][i]);
	}
	kfree(big);
	EXPECT_BASELINE(s0);
}

KTEST(heap, large_allocation)
{
	struct kmalloc_stats s0, s1;
	kmalloc_get_stats(&s0);
	size_t n = 1UL << 20;
	u8 *p = kmalloc(n);
	KASSERT_TRUE(p != NULL);
	kmalloc_get_stats(&s1);
	KEXPECT_GE(s1.heap_pages - s0.heap_pages, n / PAGE_SIZE);
	KEXPECT_EQ(s1.bytes_in_use - s0.bytes_in_use, n);
	for (size_t i = 0; i < n; i += 512)
		p[i] = (u8)(i >> 9);
	p[n - 1] = 0x77;
	bool ok = true;
	for (size_t i = 0; i < n; i += 512)
		ok = ok && p[i] == (u8)(i >> 9);
	KEXPECT_TRUE(ok && p[n - 1] == 0x77);
	kfree(p);
	u8 *z = kzalloc(3 * PAGE_SIZE * 2);
	KASSERT_TRUE(z != NULL);
	KEXPECT_EQ(z[0] | z[3 * PAGE_SIZE * 2 - 1], 0);
	kfree(z);
	EXPECT_BASELINE(s0);
}

KTEST(heap, exhaustion)
{
	static void *obj[4096];
	struct kmalloc_stats s0, s1;
	size_t pmm_base = pmm_free_count();
	kmalloc_get_stats(&s0);
	/* A cap 64 pages above what the heap holds now. */
	size_t old = kmalloc_set_limit(s0.heap_pages + 64);
	int n = 0;
	while (n < (int)ARRAY_SIZE(obj) && (obj[n] = kmalloc(1000)) != NULL) {
		fill_pattern(obj[n], n, 1000);
		n++;
	}
	KEXPECT_LT(n, (int)ARRAY_SIZE(obj)); /* the cap was hit */
	KEXPECT_GT(n, 64 * PAGE_SIZE / 1100);
	KEXPECT_TRUE((kmalloc(1UL << 20)) == NULL);
	kmalloc_get_stats(&s1);
	KEXPECT_LE(s1.heap_pages, s0.heap_pages + 64);
	KEXPECT_GE(s1.failed_allocs - s0.failed_allocs, 2);
	int bad = 0;
	for (int i = 0; i < n; i++)
		bad += !check_pattern(obj[i], i, 1000);
	KEXPECT_EQ(bad, 0);
	/* Still usable after a failure. */
	void *small = kmalloc(16);
	KEXPECT_TRUE(small || n > 0);
	kfree(small);
	for (int i = 0; i < n; i++)
		kfree(obj[i]);
	kmalloc_set_limit(old);
	EXPECT_BASELINE(s0);
	KEXPECT_EQ(pmm_free_count(), pmm_base);
	/* The default cap keeps a quarter of RAM out of the heap's reach. */
	KEXPECT_TRUE((kmalloc(pmm_total_count() * PAGE_SIZE)) == NULL);
	EXPECT_BASELINE(s0);
}

KTEST(heap, krealloc_preserves)
{
	struct kmalloc_stats s0, s1;
	kmalloc_get_stats(&s0);
	u8 *p = krealloc(NULL, 10);
	KASSERT_TRUE(p != NULL);
	fill_pattern(p, 3, 10);
	p = krealloc(p, 5000);
	KASSERT_TRUE(p != NULL);
	KEXPECT_TRUE(check_pattern(p, 3, 10));
	fill_pattern(p, 4, 5000);
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.bytes_in_use - s0.bytes_in_use, 5000);
	p = krealloc(p, 40000); /* into the large path */
	KASSERT_TRUE(p != NULL);
	KEXPECT_TRUE(check_pattern(p, 4, 5000));
	p = krealloc(p, 100); /* shrinking keeps the head */
	KASSERT_TRUE(p != NULL);
	KEXPECT_TRUE(check_pattern(p, 4, 100));
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.bytes_in_use - s0.bytes_in_use, 100);
	KEXPECT_TRUE((krealloc(p, 0)) == NULL); /* frees */
	char *s = kstrdup("kelp: live patching");
	KEXPECT_STREQ(s, "kelp: live patching");
	kfree(s);
	kfree(NULL);
	EXPECT_BASELINE(s0);
}

KTEST(heap, fail_nth)
{
	struct kmalloc_stats s0, s1;
	kmalloc_get_stats(&s0);
	kmalloc_fail_nth(3);
	void *a = kmalloc(32), *b = kzalloc(64), *c = kmalloc(32), *d = kmalloc(32);
	KEXPECT_TRUE(a != NULL);
	KEXPECT_TRUE(b != NULL);
	KEXPECT_TRUE(c == NULL);
	KEXPECT_TRUE(d != NULL);
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.injected_failures - s0.injected_failures, 1);
	KEXPECT_EQ(s1.failed_allocs - s0.failed_allocs, 1);
	/* 0 disables a pending injection. */
	kmalloc_fail_nth(1);
	kmalloc_fail_nth(0);
	void *e = kmalloc(32);
	KEXPECT_TRUE(e != NULL);
	/* A failing krealloc leaves the old object alone. */
	fill_pattern(a, 9, 32);
	kmalloc_fail_nth(1);
	KEXPECT_TRUE((krealloc(a, 9000)) == NULL);
	KEXPECT_TRUE(check_pattern(a, 9, 32));
	kfree(a);
	kfree(b);
	kfree(d);
	kfree(e);
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.injected_failures - s0.injected_failures, 2);
	EXPECT_BASELINE(s0);
}

KTEST(heap, bad_free_detected)
{
	struct kmalloc_stats s0, s1;
	kmalloc_get_stats(&s0);
	u8 *keep = kmalloc(64);
	u8 *p = kmalloc(64);
	KASSERT_TRUE(keep != NULL);
	KASSERT_TRUE(p != NULL);
	fill_pattern(keep, 1, 64);
	kfree(p);
	kfree(p);      /* double free: reported, refused */
	kfree(keep + 8); /* interior pointer */
	static u8 not_heap[32];
	kfree(not_heap); /* not from the heap at all */
	kmalloc_get_stats(&s1);
	KEXPECT_EQ(s1.bad_frees - s0.bad_frees, 3);
	KEXPECT_EQ(s1.objects_in_use - s0.objects_in_use, 1);
	KEXPECT_TRUE(check_pattern(keep, 1, 64));
	kfree(keep);
	EXPECT_BASELINE(s0);
}
