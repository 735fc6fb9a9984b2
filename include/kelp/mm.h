/* Memory: physical frames (mm/pmm.c), kernel page tables with W^X
 * (arch/x86_64/paging.c, vmalloc and alias slots in mm/vmalloc.c), the kernel
 * heap (mm/kmalloc.c), bring-up in mm/mm.c. */
#pragma once
#include <kelp/compiler.h>

#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12
#define KERNEL_VMA 0xffffffff80000000UL
/* All physical memory is mapped here (read/write, no-execute), except the
 * kernel image, whose alias is read-only. */
#define DIRECT_MAP_BASE 0xffff800000000000UL
/* Kernel virtual space handed out by vmalloc_pages (1 GiB). */
#define VMALLOC_BASE 0xffffc90000000000UL
#define VMALLOC_SIZE (1UL << 30)
/* Loaded module sections (as Linux's MODULES_VADDR): inside the top 2 GiB
 * with the kernel image, so `call/jmp rel32` between kernel text and module
 * text always reach (the tracer's sites and livepatch's jmp depend on it). */
#define MODULES_VADDR 0xffffffffa0000000UL
#define MODULES_SIZE (512UL << 20)
/* One scratch page per CPU for vmm_map_alias. */
#define VMM_ALIAS_BASE 0xffffc80000000000UL

/* Before mm_init the boot tables map the first GiB at KERNEL_VMA; after it
 * the direct map covers all RAM. */
void *phys_to_virt(phys_addr_t pa);
phys_addr_t virt_to_phys(const void *va); /* direct map or kernel image; 0 if neither */

void mm_init(void);

/* Physical frames */
phys_addr_t pmm_alloc_page(void); /* 0 when out of memory */
void pmm_free_page(phys_addr_t pa);
phys_addr_t pmm_alloc_pages(size_t count); /* contiguous; 0 on failure */
void pmm_free_pages(phys_addr_t pa, size_t count);
size_t pmm_free_count(void);
size_t pmm_total_count(void);
/* True for frames the allocator never hands out: the low 1 MiB, the kernel
 * image, the boot information, its own bitmap and non-RAM. */
bool pmm_is_reserved(phys_addr_t pa);
/* Frees of free or reserved frames detected (and refused) so far. */
size_t pmm_bad_free_count(void);

/* Kernel page tables. Flags combine: */
#define VM_READ 0
#define VM_WRITE 1
#define VM_EXEC 2
#define VM_USER 4
int vmm_map_page(unsigned long va, phys_addr_t pa, int flags);
void vmm_unmap_page(unsigned long va);
/* Change the permissions of mapped kernel pages (e.g. module text RO+X). */
int vmm_protect(unsigned long va, size_t len, int flags);
/* The physical address behind va in the kernel tables, or 0. Also tells
 * whether the mapping is writable / executable. */
phys_addr_t vmm_lookup(unsigned long va, bool *writable, bool *exec);
/* Map one physical page writable at a per-CPU scratch address (for text
 * poking) and unmap it; interrupts must be off between the two. The result
 * keeps pa's offset within its page. Never allocates, locks or traces. */
void *vmm_map_alias(phys_addr_t pa);
void vmm_unmap_alias(void *va);
/* Reserve and map `pages` fresh pages of kernel virtual space with flags
 * (module sections live here); vfree_pages unmaps and frees them. */
void *vmalloc_pages(size_t pages, int flags);
void vfree_pages(void *va, size_t pages);
/* The same in the module area (flags as above; never W+X). */
void *module_alloc_pages(size_t pages, int flags);
void module_free_pages(void *va, size_t pages);
/* Pages of the module area in use, guard pages included (for tests). */
size_t module_area_used_pages(void);
/* Pages mapped both writable and executable in the kernel tables (W^X
 * says this is always 0). */
size_t vmm_count_wx_pages(void);

/* Kernel heap: any size, any power-of-two alignment. kmalloc(0) returns a
 * unique pointer; krealloc keeps 16-byte alignment only. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *kmalloc_aligned(size_t size, size_t align);
void *krealloc(void *p, size_t size);
/* An allocation its caller can do without (it then takes a slower way that
 * does not allocate): may fail like kmalloc, but failslab never makes it,
 * since its failure is not an error for the caller to report. */
void *kmalloc_optional(size_t size);
void kfree(void *p);
char *kstrdup(const char *s);

struct kmalloc_stats {
	u64 bytes_in_use;   /* requested bytes of live objects */
	u64 objects_in_use; /* live objects */
	u64 total_allocs;
	u64 total_frees;
	u64 failed_allocs;
	u64 heap_pages;     /* pages the heap holds from the frame allocator */
	u64 limit_pages;    /* heap_pages may not grow beyond this */
	u64 injected_failures; /* failures caused by kmalloc_fail_nth */
	u64 bad_frees;      /* kfree/krealloc of bad or already freed pointers */
};
void kmalloc_get_stats(struct kmalloc_stats *st);
/* Cap the heap at `pages` frames (0 restores the default, 3/4 of the free
 * RAM at boot); returns the previous cap. */
size_t kmalloc_set_limit(size_t pages);
/* Make the n-th allocation from now fail (1 = the next one); 0 disables.
 * CONFIG_FAILSLAB only (the test kernel). */
void kmalloc_fail_nth(int n);
