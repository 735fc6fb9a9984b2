/* Self-tests for the physical frame allocator (mm/pmm.c). */
#include <kelp/ktest.h>
#include <kelp/mm.h>
#include <kelp/string.h>

extern char __boot_start[], __kernel_end[];

#define NFRAMES 64

KTEST(pmm, alloc_free_round_trip)
{
	size_t base = pmm_free_count();
	KEXPECT_GT(pmm_total_count(), 0);
	KEXPECT_LE(base, pmm_total_count());
	phys_addr_t pa = pmm_alloc_page();
	KASSERT_TRUE(pa != 0);
	KEXPECT_TRUE(IS_ALIGNED(pa, PAGE_SIZE));
	KEXPECT_EQ(pmm_free_count(), base - 1);
	/* The frame is usable memory through the direct map. */
	u64 *p = phys_to_virt(pa);
	p[0] = 0x1122334455667788UL;
	p[511] = ~p[0];
	KEXPECT_UEQ(p[0] ^ p[511], ~0UL);
	KEXPECT_UEQ(virt_to_phys(p), pa);
	pmm_free_page(pa);
	KEXPECT_EQ(pmm_free_count(), base);
}

KTEST(pmm, no_frame_twice)
{
	static phys_addr_t got[NFRAMES];
	size_t base = pmm_free_count();
	int n;
	for (n = 0; n < NFRAMES; n++) {
		got[n] = pmm_alloc_page();
		if (!KEXPECT_TRUE(got[n] != 0))
			break;
		/* Stamp each frame; a frame handed out twice loses its stamp. */
		*(u64 *)phys_to_virt(got[n]) = got[n];
	}
	for (int i = 0; i < n; i++) {
		KEXPECT_UEQ(*(u64 *)phys_to_virt(got[i]), got[i]);
		for (int j = i + 1; j < n; j++)
			KEXPECT_TRUE(got[i] != got[j]);
	}
	for (int i = 0; i < n; i++)
		pmm_free_page(got[i]);
	KEXPECT_EQ(pmm_free_count(), base);
}

KTEST(pmm, contiguous)
{
	size_t base = pmm_free_count();
	phys_addr_t pa = pmm_alloc_pages(32);
	KASSERT_TRUE(pa != 0);
	KEXPECT_EQ(pmm_free_count(), base - 32);
	for (int i = 0; i < 32; i++)
		KEXPECT_FALSE(pmm_is_reserved(pa + i * PAGE_SIZE));
	/* The whole run is ours: write it end to end through the direct map. */
	memset(phys_to_virt(pa), 0x5a, 32 * PAGE_SIZE);
	/* A single allocation meanwhile must land outside the run. */
	phys_addr_t one = pmm_alloc_page();
	KEXPECT_TRUE(one && (one < pa || one >= pa + 32 * PAGE_SIZE));
	KEXPECT_EQ(((u8 *)phys_to_virt(pa))[32 * PAGE_SIZE - 1], 0x5a);
	pmm_free_page(one);
	pmm_free_pages(pa, 32);
	KEXPECT_EQ(pmm_free_count(), base);
	KEXPECT_EQ(pmm_alloc_pages(0), 0);
	KEXPECT_EQ(pmm_alloc_pages(pmm_total_count() + 1), 0);
	KEXPECT_EQ(pmm_free_count(), base);
}

KTEST(pmm, reserved_never_handed_out)
{
	phys_addr_t img_lo = (phys_addr_t)__boot_start;
	phys_addr_t img_hi = (phys_addr_t)__kernel_end - KERNEL_VMA;
	KEXPECT_TRUE(pmm_is_reserved(0));
	KEXPECT_TRUE(pmm_is_reserved(0x9f000));
	KEXPECT_TRUE(pmm_is_reserved(img_lo));
	KEXPECT_TRUE(pmm_is_reserved(img_hi - 1));
	KEXPECT_TRUE(pmm_is_reserved(virt_to_phys(pmm_alloc_page)));

	/* Drain a good part of memory: none of it may be reserved. */
	static phys_addr_t got[2048];
	size_t base = pmm_free_count();
	int n, bad = 0;
	for (n = 0; n < (int)ARRAY_SIZE(got); n++) {
		got[n] = pmm_alloc_page();
		if (!got[n])
			break;
		if (got[n] < (1UL << 20) || (got[n] >= img_lo && got[n] < img_hi) ||
		    pmm_is_reserved(got[n]))
			bad++;
	}
	KEXPECT_EQ(bad, 0);
	for (int i = 0; i < n; i++)
		pmm_free_page(got[i]);
	KEXPECT_EQ(pmm_free_count(), base);
}

KTEST(pmm, double_free_detected)
{
	size_t base = pmm_free_count(), bad = pmm_bad_free_count();
	phys_addr_t pa = pmm_alloc_page();
	KASSERT_TRUE(pa != 0);
	pmm_free_page(pa);
	pmm_free_page(pa); /* refused with a warning */
	KEXPECT_EQ(pmm_bad_free_count(), bad + 1);
	KEXPECT_EQ(pmm_free_count(), base);
	/* Freeing a kernel-image frame is refused too. */
	pmm_free_page(virt_to_phys(pmm_alloc_page));
	KEXPECT_EQ(pmm_bad_free_count(), bad + 2);
	KEXPECT_EQ(pmm_free_count(), base);
	/* And the allocator still hands out distinct frames. */
	phys_addr_t a = pmm_alloc_page(), b = pmm_alloc_page();
	KEXPECT_TRUE(a && b && a != b);
	pmm_free_page(a);
	pmm_free_page(b);
	KEXPECT_EQ(pmm_free_count(), base);
}
