/* Memory bring-up: frame allocator, kernel page tables, vmalloc and heap,
 * in that order; and the phys <-> virt translations. */
#define pr_fmt(fmt) "mm: " fmt
#include <kelp/mm.h>
#include <arch/paging.h>
#include <kelp/bootinfo.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include "internal.h"

extern char __kernel_start[], __kernel_end[];

static bool direct_map_live;
static phys_addr_t direct_map_end;

void *phys_to_virt(phys_addr_t pa)
{
	if (likely(direct_map_live))
		return (void *)(DIRECT_MAP_BASE + pa);
	/* The boot tables map only the first GiB at KERNEL_VMA. */
	BUG_ON(pa >= BOOT_MAPPED_LIMIT);
	return (void *)(KERNEL_VMA + pa);
}

phys_addr_t virt_to_phys(const void *va)
{
	unsigned long a = (unsigned long)va;
	if (direct_map_live && a >= DIRECT_MAP_BASE && a < DIRECT_MAP_BASE + direct_map_end)
		return a - DIRECT_MAP_BASE;
	if (a >= (unsigned long)__kernel_start && a < (unsigned long)__kernel_end)
		return a - KERNEL_VMA;
	return 0;
}

void mm_init(void)
{
	phys_addr_t ram_end = pmm_init();
	u64 usable = 0;
	for (int i = 0; i < boot_info.mmap_count; i++)
		if (boot_info.mmap[i].type == MEM_USABLE)
			usable += boot_info.mmap[i].len;

	/* The whole low 4 GiB goes in the direct map, holes included, so that
	 * device registers there are reachable through phys_to_virt too. */
	direct_map_end = ALIGN_UP(MAX(ram_end, 1UL << 32), 1UL << 21);
	arch_paging_init(direct_map_end);
	direct_map_live = true;
	arch_paging_relocate();
	pmm_relocate();

	vmalloc_init();
	kmalloc_init();

	size_t wx = vmm_count_wx_pages();
	if (wx)
		pr_err("%zu pages are writable and executable\n", wx);
	pr_info("%llu MiB usable, %zu free pages\n", (unsigned long long)(usable >> 20),
		pmm_free_count());
}
