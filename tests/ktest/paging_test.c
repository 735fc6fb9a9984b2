/* Self-tests for the kernel page tables (arch/x86_64/paging.c, mm/vmalloc.c):
 * W^X on the image and the direct map, alias slots, vmalloc. */
#include <kelp/ktest.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <arch/cpu.h>
#include <arch/trap.h>

extern char __text_start[], __rodata_start[], __data_start[];

static const u64 paging_test_ro_value = 0x0123456789abcdefUL;
static u64 paging_test_rw_value = 1;

static noinline int paging_test_victim(int x)
{
	return x * 3 + 1;
}

/* Write the byte at arg back onto itself. */
static void poke_same(void *arg)
{
	volatile u8 *p = arg;
	*p = *p;
}

static void peek(void *arg)
{
	(void)*(volatile u8 *)arg;
}

static void call_it(void *arg)
{
	((void (*)(void))arg)();
}

/* Expect fn(arg) to page-fault at exactly `addr`. */
static bool expect_pf(struct ktest *t, void (*fn)(void *), void *arg, unsigned long addr)
{
	int vec = -1;
	unsigned long fa = 0;
	int faulted = arch_catch_fault(fn, arg, &vec, &fa);
	bool ok = KEXPECT_EQ(faulted, 1);
	ok = KEXPECT_EQ(vec, TRAP_PF) && ok;
	ok = KEXPECT_UEQ(fa, addr) && ok;
	return ok;
}

/* Launder a pointer so the compiler cannot reason about what it points to. */
static void *volatile hide_slot;
static void *hide(const void *p)
{
	hide_slot = (void *)p;
	return hide_slot;
}

KTEST(paging, kernel_sections)
{
	bool w, x;
	KEXPECT_UEQ(vmm_lookup((unsigned long)__text_start, &w, &x), virt_to_phys(__text_start));
	KEXPECT_TRUE(!w && x);
	KEXPECT_TRUE(vmm_lookup((unsigned long)&paging_test_ro_value, &w, &x) != 0);
	KEXPECT_TRUE(!w && !x);
	KEXPECT_TRUE(vmm_lookup((unsigned long)&paging_test_rw_value, &w, &x) != 0);
	KEXPECT_TRUE(w && !x);
	KEXPECT_EQ(vmm_count_wx_pages(), 0);
	/* The boot identity map is gone, .boot's 2 MiB page included. */
	KEXPECT_EQ(vmm_lookup(0x100000, NULL, NULL), 0);
	expect_pf(t, peek, (void *)0x100000, 0x100000);
}

KTEST(paging, text_is_read_only)
{
	u8 *text = hide((void *)paging_test_victim);
	u8 before = *text;
	expect_pf(t, poke_same, text, (unsigned long)text);
	KEXPECT_EQ(*text, before);
	KEXPECT_EQ(paging_test_victim(2), 7);
}

KTEST(paging, rodata_is_read_only)
{
	u8 *ro = hide(&paging_test_ro_value);
	expect_pf(t, poke_same, ro, (unsigned long)ro);
	KEXPECT_UEQ(paging_test_ro_value, 0x0123456789abcdefUL);
	/* Data is writable, so the same poke there must not fault. */
	KEXPECT_EQ(arch_catch_fault(poke_same, hide(&paging_test_rw_value), NULL, NULL), 0);
}

KTEST(paging, data_is_not_executable)
{
	u8 *buf = kmalloc(16);
	KASSERT_TRUE(buf != NULL);
	buf[0] = 0xc3; /* ret */
	/* An instruction fetch faults with CR2 at the fetch address itself. */
	expect_pf(t, call_it, buf, (unsigned long)buf);
	kfree(buf);
	expect_pf(t, call_it, hide(&paging_test_rw_value), (unsigned long)&paging_test_rw_value);
}

KTEST(paging, direct_map_alias_of_text_read_only)
{
	phys_addr_t pa = virt_to_phys((void *)paging_test_victim);
	KASSERT_TRUE(pa != 0);
	u8 *alias = phys_to_virt(pa);
	bool w = true, x = true;
	KEXPECT_UEQ(vmm_lookup((unsigned long)alias, &w, &x), pa);
	KEXPECT_FALSE(w);
	KEXPECT_FALSE(x);
	KEXPECT_EQ(*alias, *(u8 *)paging_test_victim);
	expect_pf(t, poke_same, alias, (unsigned long)alias);
	/* RAM around the image stays writable in the direct map. */
	phys_addr_t frame = pmm_alloc_page();
	KASSERT_TRUE(frame != 0);
	KEXPECT_UEQ(vmm_lookup((unsigned long)phys_to_virt(frame), &w, &x), frame);
	KEXPECT_TRUE(w && !x);
	pmm_free_page(frame);
}

KTEST(paging, alias_writes_text_frame)
{
	u8 *text = (u8 *)paging_test_victim;
	phys_addr_t pa = virt_to_phys(text);
	KASSERT_TRUE(pa != 0);
	unsigned long flags = arch_irq_save();
	u8 *alias = vmm_map_alias(pa);
	bool same = !memcmp(alias, text, 16);
	bool w = false, x = true;
	phys_addr_t got = vmm_lookup((unsigned long)alias & ~(PAGE_SIZE - 1), &w, &x);
	/* The same byte goes back, so the text does not change. */
	int faulted = arch_catch_fault(poke_same, alias, NULL, NULL);
	vmm_unmap_alias(alias);
	phys_addr_t after = vmm_lookup((unsigned long)alias, NULL, NULL);
	arch_irq_restore(flags);
	KEXPECT_TRUE(same);
	KEXPECT_UEQ(got, ALIGN_DOWN(pa, PAGE_SIZE));
	KEXPECT_TRUE(w && !x);
	KEXPECT_EQ(faulted, 0);
	KEXPECT_EQ(after, 0);
	KEXPECT_EQ(paging_test_victim(4), 13);
}

KTEST(paging, vmalloc_round_trip)
{
	/* A first round builds any page tables the area needs; the second,
	 * reusing the same addresses, must give back exactly what it took. */
	void *warm = vmalloc_pages(4, VM_READ | VM_WRITE);
	KASSERT_TRUE(warm != NULL);
	vfree_pages(warm, 4);

	size_t base = pmm_free_count();
	u8 *p = vmalloc_pages(4, VM_READ | VM_WRITE);
	KASSERT_TRUE(p != NULL);
	KEXPECT_EQ(pmm_free_count(), base - 4);
	KEXPECT_TRUE((unsigned long)p >= VMALLOC_BASE &&
		     (unsigned long)p < VMALLOC_BASE + VMALLOC_SIZE);
	KEXPECT_EQ(p[0] | p[4 * PAGE_SIZE - 1], 0); /* zeroed */
	for (int i = 0; i < 4; i++) {
		bool w, x;
		KEXPECT_TRUE(vmm_lookup((unsigned long)p + i * PAGE_SIZE, &w, &x) != 0);
		KEXPECT_TRUE(w && !x);
		memset(p + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	}
	/* A guard page follows. */
	KEXPECT_EQ(vmm_lookup((unsigned long)p + 4 * PAGE_SIZE, NULL, NULL), 0);

	/* Module-text style: fill while writable, then flip to read+exec. */
	p[0] = 0xc3;
	KEXPECT_EQ(vmm_protect((unsigned long)p, PAGE_SIZE, VM_READ | VM_EXEC), 0);
	KEXPECT_EQ(arch_catch_fault(call_it, p, NULL, NULL), 0);
	expect_pf(t, poke_same, p, (unsigned long)p);
	KEXPECT_EQ(vmm_count_wx_pages(), 0);
	KEXPECT_NE(vmm_protect((unsigned long)p, PAGE_SIZE, VM_WRITE | VM_EXEC), 0);
	KEXPECT_TRUE((vmalloc_pages(1, VM_WRITE | VM_EXEC)) == NULL);

	vfree_pages(p, 4);
	KEXPECT_EQ(pmm_free_count(), base);
	KEXPECT_EQ(vmm_lookup((unsigned long)p, NULL, NULL), 0);
}
