/* Kernel virtual space for page-granular allocations: the vmalloc area (big
 * heap objects) and the module area (loaded module sections, which must sit
 * within rel32 reach of kernel text). Each is a first-fit bitmap, each
 * allocation followed by an unmapped guard page. Also the per-CPU alias
 * slot API. */
#define pr_fmt(fmt) "vmalloc: " fmt
#include <kelp/mm.h>
#include <arch/paging.h>
#include <arch/cpu.h>
#include <kelp/percpu.h>
#include <kelp/spinlock.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include "internal.h"

#define VM_PAGES (VMALLOC_SIZE / PAGE_SIZE)
#define MOD_PAGES (MODULES_SIZE / PAGE_SIZE)

struct va_area {
	unsigned long base;
	size_t pages;
	u64 *bitmap;
	spinlock_t lock;
};

static u64 vmalloc_bitmap[VM_PAGES / 64];
static u64 module_bitmap[MOD_PAGES / 64];
static struct va_area vmalloc_area = { VMALLOC_BASE, VM_PAGES, vmalloc_bitmap, SPINLOCK_INIT };
static struct va_area module_area = { MODULES_VADDR, MOD_PAGES, module_bitmap, SPINLOCK_INIT };

void vmalloc_init(void)
{
	memset(vmalloc_bitmap, 0, sizeof(vmalloc_bitmap));
	memset(module_bitmap, 0, sizeof(module_bitmap));
}

static inline bool va_test(struct va_area *a, size_t i)
{
	return a->bitmap[i / 64] & (1UL << (i % 64));
}

static long va_reserve(struct va_area *a, size_t n)
{
	u64 *va_bitmap = a->bitmap;
	unsigned long flags = spin_lock_irqsave(&a->lock);
	size_t run = 0, start = 0;
	long found = -1;
	for (size_t i = 0; i < a->pages; i++) {
		if (i % 64 == 0 && va_bitmap[i / 64] == ~0UL) {
			run = 0;
			i += 63;
			continue;
		}
		if (va_test(a, i)) {
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
	spin_unlock_irqrestore(&a->lock, flags);
	return found;
}

static void va_release(struct va_area *a, size_t start, size_t n)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	for (size_t j = start; j < start + n; j++)
		a->bitmap[j / 64] &= ~(1UL << (j % 64));
	spin_unlock_irqrestore(&a->lock, flags);
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

static void *area_alloc(struct va_area *a, size_t pages, int flags)
{
	if (!pages || pages >= a->pages)
		return NULL;
	if ((flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC)) {
		pr_err("refusing writable+executable pages\n");
		WARN_ON(1);
		return NULL;
	}
	long slot = va_reserve(a, pages + 1);
	if (slot < 0)
		return NULL;
	unsigned long va = a->base + (unsigned long)slot * PAGE_SIZE;
	for (size_t i = 0; i < pages; i++) {
		phys_addr_t pa = pmm_alloc_page();
		/* Pages come zeroed: a module's .bss relies on it. */
		if (pa)
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
		if (!pa || vmm_map_page(va + i * PAGE_SIZE, pa, flags)) {
			if (pa)
				pmm_free_page(pa);
			unmap_and_free(va, i);
			va_release(a, slot, pages + 1);
			return NULL;
		}
	}
	return (void *)va;
}

static void area_free(struct va_area *a, void *p, size_t pages, const char *who)
{
	unsigned long va = (unsigned long)p;
	if (!p)
		return;
	size_t slot = (va - a->base) / PAGE_SIZE;
	bool ok = va >= a->base && IS_ALIGNED(va, PAGE_SIZE) && pages &&
		  slot + pages + 1 <= a->pages;
	for (size_t i = 0; ok && i <= pages; i++)
		ok = va_test(a, slot + i);
	if (!ok) {
		pr_err("%s(%p, %zu): not an allocation of that area\n", who, p, pages);
		WARN_ON(1);
		return;
	}
	unmap_and_free(va, pages);
	va_release(a, slot, pages + 1);
}

void *vmalloc_pages(size_t pages, int flags)
{
	return area_alloc(&vmalloc_area, pages, flags);
}

void vfree_pages(void *p, size_t pages)
{
	area_free(&vmalloc_area, p, pages, "vfree_pages");
}

void *module_alloc_pages(size_t pages, int flags)
{
	return area_alloc(&module_area, pages, flags);
}

void module_free_pages(void *p, size_t pages)
{
	area_free(&module_area, p, pages, "module_free_pages");
}

size_t module_area_used_pages(void)
{
	size_t n = 0;
	unsigned long flags = spin_lock_irqsave(&module_area.lock);
	for (size_t i = 0; i < MOD_PAGES; i++)
		n += va_test(&module_area, i);
	spin_unlock_irqrestore(&module_area.lock, flags);
	return n;
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
