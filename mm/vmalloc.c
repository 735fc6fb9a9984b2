/* Kernel virtual space for page-granular allocations (module sections, big
 * heap objects): a first-fit bitmap over VMALLOC_BASE, each allocation
 * followed by an unmapped guard page. Also the per-CPU alias slot API. */
#define pr_fmt(fmt) "vmalloc: " fmt
#include <mm.h>
#include <arch/paging.h>
#include <arch/cpu.h>
#include <percpu.h>
#include <spinlock.h>
#include <panic.h>
#include <printk.h>
#include <string.h>
#include "internal.h"

#define VM_PAGES (VMALLOC_SIZE / PAGE_SIZE)

static u64 va_bitmap[VM_PAGES / 64];
static spinlock_t va_lock = SPINLOCK_INIT;

void vmalloc_init(void)
{
	memset(va_bitmap, 0, sizeof(va_bitmap));
}

static inline bool va_test(size_t i) { return va_bitmap[i / 64] & (1UL << (i % 64)); }

static long va_reserve(size_t n)
{
	unsigned long flags = spin_lock_irqsave(&va_lock);
	size_t run = 0, start = 0;
	long found = -1;
	for (size_t i = 0; i < VM_PAGES; i++) {
		if (i % 64 == 0 && va_bitmap[i / 64] == ~0UL) {
			run = 0;
			i += 63;
			continue;
		}
		if (va_test(i)) {
			run = 0;
			continue;
		}
		if (run++ == 0)
			start = i;
		if (run == n) {
			for (size_t j = start; j < start + n; j++)
				va_bitmap[j / 64] |= 1UL << (j % 64);
			found = start;
			break;
		}
	}
	spin_unlock_irqrestore(&va_lock, flags);
	return found;
}

static void va_release(size_t start, size_t n)
{
	unsigned long flags = spin_lock_irqsave(&va_lock);
	for (size_t j = start; j < start + n; j++)
		va_bitmap[j / 64] &= ~(1UL << (j % 64));
	spin_unlock_irqrestore(&va_lock, flags);
}

static void unmap_and_free(unsigned long va, size_t pages)
{
	for (size_t i = 0; i < pages; i++) {
		unsigned long a = va + i * PAGE_SIZE;
		phys_addr_t pa = vmm_lookup(a, NULL, NULL);
		vmm_unmap_page(a);
		if (pa)
			pmm_free_page(pa);
	}
}

void *vmalloc_pages(size_t pages, int flags)
{
	if (!pages || pages >= VM_PAGES)
		return NULL;
	if ((flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC)) {
		pr_err("refusing writable+executable pages\n");
		WARN_ON(1);
		return NULL;
	}
	long slot = va_reserve(pages + 1);
	if (slot < 0)
		return NULL;
	unsigned long va = VMALLOC_BASE + (unsigned long)slot * PAGE_SIZE;
	for (size_t i = 0; i < pages; i++) {
		phys_addr_t pa = pmm_alloc_page();
		/* Pages come zeroed: a module's .bss relies on it. */
		if (pa)
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
		if (!pa || vmm_map_page(va + i * PAGE_SIZE, pa, flags)) {
			if (pa)
				pmm_free_page(pa);
			unmap_and_free(va, i);
			va_release(slot, pages + 1);
			return NULL;
		}
	}
	return (void *)va;
}

void vfree_pages(void *p, size_t pages)
{
	unsigned long va = (unsigned long)p;
	if (!p)
		return;
	size_t slot = (va - VMALLOC_BASE) / PAGE_SIZE;
	bool ok = va >= VMALLOC_BASE && IS_ALIGNED(va, PAGE_SIZE) && pages &&
		  slot + pages + 1 <= VM_PAGES;
	for (size_t i = 0; ok && i <= pages; i++)
		ok = va_test(slot + i);
	if (!ok) {
		pr_err("vfree_pages(%p, %zu): not a vmalloc allocation\n", p, pages);
		WARN_ON(1);
		return;
	}
	unmap_and_free(va, pages);
	va_release(slot, pages + 1);
}

notrace void *vmm_map_alias(phys_addr_t pa)
{
	return (char *)arch_alias_set(this_cpu()->cpu_id, pa) + (pa & (PAGE_SIZE - 1));
}

notrace void vmm_unmap_alias(void *va)
{
	(void)va;
	arch_alias_set(this_cpu()->cpu_id, 0);
}
