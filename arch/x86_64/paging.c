/* x86_64 4-level page tables: builds the kernel tables at boot (a 2 MiB-page
 * direct map of RAM, the kernel image in 4 KiB pages with W^X, per-CPU alias
 * slots) and implements the vmm_* interface of <mm.h> on them. */
#define pr_fmt(fmt) "paging: " fmt
#include <kelp/mm.h>
#include <arch/paging.h>
#include <asm/paging.h>
#include <asm/io.h>
#include <kelp/percpu.h>
#include <kelp/spinlock.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

extern char __kernel_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __ksyms_start[], __kernel_end[];

#define CR4_PGE (1UL << 7)
#define LEVEL_PT 0
#define LEVEL_PD 1
#define LEVEL_PML4 3

static u64 *kernel_pml4;
static phys_addr_t kernel_pml4_pa;
static spinlock_t vmm_lock = SPINLOCK_INIT;
/* Pre-built so mapping an alias never allocates or takes a lock. */
static u64 *alias_pte[MAX_CPUS];

static inline unsigned long level_size(int level)
{
	return 1UL << (PAGE_SHIFT + 9 * level);
}

static inline int pt_index(unsigned long va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 511;
}

/* The frame a leaf maps; large pages keep PAT in bit 12, so mask by size. */
static inline phys_addr_t leaf_addr(u64 e, int level)
{
	return e & PTE_ADDR_MASK & ~(level_size(level) - 1);
}

static inline u64 *table_va(u64 e)
{
	return phys_to_virt(e & PTE_ADDR_MASK);
}

static notrace u64 leaf_bits(int flags)
{
	u64 b = PTE_P;
	if (flags & VM_WRITE)
		b |= PTE_W;
	if (!(flags & VM_EXEC))
		b |= PTE_NX;
	/* Kernel mappings are the same in every address space: keep them in
	 * the TLB across CR3 switches. */
	b |= (flags & VM_USER) ? PTE_U : PTE_G;
	return b;
}

static phys_addr_t alloc_table(void)
{
	phys_addr_t pa = pmm_alloc_page();
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/* Replace the large page in *e (at level) by a table of smaller pages with
 * the same frames and permissions. */
static int split_large(u64 *e, int level, unsigned long va)
{
	phys_addr_t pa = alloc_table();
	if (!pa)
		return -ENOMEM;
	u64 *t = phys_to_virt(pa);
	u64 keep = *e & (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_NX);
	phys_addr_t base = leaf_addr(*e, level);
	for (int i = 0; i < 512; i++)
		t[i] = (base + i * level_size(level - 1)) | keep | (level - 1 ? PTE_PS : 0);
	*e = pa | PTE_P | PTE_W | (keep & PTE_U);
	invlpg(ALIGN_DOWN(va, level_size(level)));
	return 0;
}

/*
 * The entry for va at `target` level. Missing tables are created when
 * `create`; a large page above target is split when `split`, otherwise its
 * entry is returned. *level tells which level the returned entry is at.
 */
static u64 *walk(unsigned long va, int target, bool create, bool split, bool user, int *level)
{
	u64 *table = kernel_pml4;
	for (int l = LEVEL_PML4; l > target; l--) {
		u64 *e = &table[pt_index(va, l)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			phys_addr_t pa = alloc_table();
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			if (!split) {
				*level = l;
				return e;
			}
			if (split_large(e, l, va))
				return NULL;
		}
		if (user)
			*e |= PTE_U;
		table = table_va(*e);
	}
	*level = target;
	return &table[pt_index(va, target)];
}

static bool wx_violation(int flags)
{
	if ((flags & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC)) {
		pr_err("refusing a writable and executable mapping\n");
		WARN_ON(1);
		return true;
	}
	return false;
}

int vmm_map_page(unsigned long va, phys_addr_t pa, int flags)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) || wx_violation(flags))
		return -EINVAL;
	int level, ret = 0;
	unsigned long irq = spin_lock_irqsave(&vmm_lock);
	u64 *e = walk(va, LEVEL_PT, true, true, flags & VM_USER, &level);
	if (!e)
		ret = -ENOMEM;
	else if (*e & PTE_P)
		ret = -EEXIST;
	else
		*e = pa | leaf_bits(flags);
	invlpg(va);
	spin_unlock_irqrestore(&vmm_lock, irq);
	return ret;
}

void vmm_unmap_page(unsigned long va)
{
	int level;
	va = ALIGN_DOWN(va, PAGE_SIZE);
	unsigned long irq = spin_lock_irqsave(&vmm_lock);
	u64 *e = walk(va, LEVEL_PT, false, true, false, &level);
	if (e && (*e & PTE_P)) {
		*e = 0;
		invlpg(va);
	}
	spin_unlock_irqrestore(&vmm_lock, irq);
}

int vmm_protect(unsigned long va, size_t len, int flags)
{
	if (wx_violation(flags))
		return -EINVAL;
	unsigned long a = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE);
	int ret = 0;
	unsigned long irq = spin_lock_irqsave(&vmm_lock);
	while (a < end) {
		int level;
		u64 *e = walk(a, LEVEL_PT, false, false, false, &level);
		if (!e || !(*e & PTE_P)) {
			ret = -ENOENT;
			break;
		}
		unsigned long sz = level_size(level);
		if (level != LEVEL_PT && (!IS_ALIGNED(a, sz) || end - a < sz)) {
			/* Only part of a large page changes: break it up. */
			if (!walk(a, LEVEL_PT, false, true, false, &level)) {
				ret = -ENOMEM;
				break;
			}
			continue;
		}
		*e = leaf_addr(*e, level) | leaf_bits(flags) | (level ? PTE_PS : 0);
		invlpg(a);
		a += sz;
	}
	spin_unlock_irqrestore(&vmm_lock, irq);
	return ret;
}

phys_addr_t vmm_lookup(unsigned long va, bool *writable, bool *exec)
{
	bool w = true, x = true;
	phys_addr_t pa = 0;
	unsigned long irq = spin_lock_irqsave(&vmm_lock);
	u64 *table = kernel_pml4;
	for (int l = LEVEL_PML4; l >= 0; l--) {
		u64 e = table[pt_index(va, l)];
		if (!(e & PTE_P))
			break;
		w = w && (e & PTE_W);
		x = x && !(e & PTE_NX);
		if (l == 0 || (e & PTE_PS)) {
			pa = leaf_addr(e, l) | (va & (level_size(l) - 1));
			break;
		}
		table = table_va(e);
	}
	spin_unlock_irqrestore(&vmm_lock, irq);
	if (writable)
		*writable = pa && w;
	if (exec)
		*exec = pa && x;
	return pa;
}

void *paging_map_mmio(phys_addr_t pa)
{
	/* Device registers at their direct-map address, 4 KiB, uncached
	 * (PCD+PWT: PAT entry 3, UC): the direct map's 2 MiB page around them
	 * is write-back, which would let reads be cached and writes combined. */
	unsigned long va = DIRECT_MAP_BASE + ALIGN_DOWN(pa, PAGE_SIZE);
	int level;
	unsigned long irq = spin_lock_irqsave(&vmm_lock);
	u64 *e = walk(va, LEVEL_PT, true, true, false, &level);
	if (e)
		*e = ALIGN_DOWN(pa, PAGE_SIZE) | leaf_bits(VM_WRITE) | PTE_PCD | PTE_PWT;
	invlpg(va);
	spin_unlock_irqrestore(&vmm_lock, irq);
	return e ? (void *)(DIRECT_MAP_BASE + pa) : NULL;
}

phys_addr_t paging_trampoline_pgd(phys_addr_t pa)
{
	/* The kernel half, plus `pa` identity-mapped, read-only and
	 * executable: the code that turns paging on runs there. */
	phys_addr_t pgd = arch_pgd_alloc();
	if (!pgd)
		return 0;
	u64 *table = phys_to_virt(pgd);
	for (int l = LEVEL_PML4; l > LEVEL_PT; l--) {
		u64 *e = &table[pt_index(pa, l)];
		if (!(*e & PTE_P)) {
			phys_addr_t t = alloc_table();
			if (!t) {
				arch_pgd_free(pgd);
				return 0;
			}
			*e = t | PTE_P | PTE_W;
		}
		table = table_va(*e);
	}
	table[pt_index(pa, LEVEL_PT)] = ALIGN_DOWN(pa, PAGE_SIZE) | PTE_P;
	return pgd;
}

void paging_trampoline_free(phys_addr_t pgd, phys_addr_t pa)
{
	/* The identity-mapped frame is not the allocator's: unmap it first. */
	u64 *table = phys_to_virt(pgd);
	for (int l = LEVEL_PML4; l > LEVEL_PT; l--)
		table = table_va(table[pt_index(pa, l)]);
	table[pt_index(pa, LEVEL_PT)] = 0;
	arch_pgd_free(pgd);
}

notrace void *arch_alias_set(int cpu, phys_addr_t pa)
{
	unsigned long va = VMM_ALIAS_BASE + (unsigned long)cpu * PAGE_SIZE;
	*alias_pte[cpu] = pa ? (ALIGN_DOWN(pa, PAGE_SIZE) | leaf_bits(VM_WRITE)) : 0;
	invlpg(va);
	return (void *)va;
}

void paging_prealloc_kernel_half(void);

static size_t count_wx(u64 *table, int level, bool w, bool x)
{
	size_t n = 0;
	for (int g = 0; g < 512; g += 16) {
		/* Most entries are absent (the 256 kernel-half tables made at
		 * boot are empty): skip sixteen at a time. This audit runs at
		 * every boot; at 5 instructions an entry it was ~0.9 M. */
		u64 any = 0;
#pragma GCC unroll 16
		for (int i = g; i < g + 16; i++)
			any |= table[i];
		if (!(any & PTE_P))
			continue;
		for (int i = g; i < g + 16; i++) {
			u64 e = table[i];
			if (!(e & PTE_P))
				continue;
			bool ew = w && (e & PTE_W), ex = x && !(e & PTE_NX);
			if (level == 0 || (e & PTE_PS))
				n += (ew && ex) ? level_size(level) / PAGE_SIZE : 0;
			else
				n += count_wx(table_va(e), level - 1, ew, ex);
		}
	}
	return n;
}

size_t vmm_count_wx_pages(void)
{
	unsigned long irq = spin_lock_irqsave(&vmm_lock);
	size_t n = count_wx(kernel_pml4, LEVEL_PML4, true, true);
	spin_unlock_irqrestore(&vmm_lock, irq);
	return n;
}

static void map_early(unsigned long va, phys_addr_t pa, int flags)
{
	int level;
	u64 *e = walk(va, LEVEL_PT, true, false, false, &level);
	if (!e || level != LEVEL_PT)
		panic("paging: cannot build the kernel tables at %#lx", va);
	*e = pa | leaf_bits(flags);
}

static void map_image(const char *start, const char *end, int flags)
{
	for (unsigned long va = (unsigned long)start; va < (unsigned long)end; va += PAGE_SIZE)
		map_early(va, va - KERNEL_VMA, flags);
}

void arch_paging_init(phys_addr_t direct_map_end)
{
	phys_addr_t img_start = (phys_addr_t)__kernel_start - KERNEL_VMA;
	phys_addr_t img_end = (phys_addr_t)__kernel_end - KERNEL_VMA;
	const unsigned long big = level_size(LEVEL_PD);

	kernel_pml4_pa = alloc_table();
	if (!kernel_pml4_pa)
		panic("paging: no memory for the kernel page tables");
	kernel_pml4 = phys_to_virt(kernel_pml4_pa);

	/* The direct map in 2 MiB pages, except around the kernel image, whose
	 * alias must not be a way to write its text. */
	for (phys_addr_t pa = 0; pa < direct_map_end; pa += big) {
		unsigned long va = DIRECT_MAP_BASE + pa;
		if (pa + big <= img_start || pa >= img_end) {
			int level;
			u64 *e = walk(va, LEVEL_PD, true, false, false, &level);
			if (!e)
				panic("paging: no memory for the direct map");
			*e = pa | leaf_bits(VM_WRITE) | PTE_PS;
			continue;
		}
		for (phys_addr_t p = pa; p < pa + big; p += PAGE_SIZE)
			map_early(DIRECT_MAP_BASE + p, p,
				  (p >= img_start && p < img_end) ? VM_READ : VM_WRITE);
	}

	map_image(__text_start, __text_end, VM_READ | VM_EXEC);
	map_image(__rodata_start, __rodata_end, VM_READ);
	map_image(__data_start, __data_end, VM_READ | VM_WRITE);
	map_image(__ksyms_start, __kernel_end, VM_READ);

	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		int level;
		unsigned long va = VMM_ALIAS_BASE + (unsigned long)cpu * PAGE_SIZE;
		alias_pte[cpu] = walk(va, LEVEL_PT, true, false, false, &level);
		if (!alias_pte[cpu])
			panic("paging: no memory for the alias slots");
	}
	paging_prealloc_kernel_half();

	/* Table pointers are direct-map addresses from here on. */
	write_cr3(kernel_pml4_pa);
	write_cr4(read_cr4() | CR4_PGE);
}

/* Re-point the saved table pointers once phys_to_virt uses the direct map. */
void arch_paging_relocate(void)
{
	kernel_pml4 = phys_to_virt(kernel_pml4_pa);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		unsigned long off = (unsigned long)alias_pte[cpu] & (PAGE_SIZE - 1);
		phys_addr_t pa = (unsigned long)alias_pte[cpu] - KERNEL_VMA - off;
		alias_pte[cpu] = (u64 *)((char *)phys_to_virt(pa) + off);
	}
}

/* ---- user address spaces ----
 *
 * A user page table is a PML4 whose upper half is a copy of the kernel's:
 * the kernel preallocates every upper-half PML4 entry at boot (see
 * paging_prealloc_kernel_half), so later kernel mappings land in tables
 * every address space already shares and no copy ever goes stale. The lower
 * half belongs to the task alone and is freed with it, leaves included. */

#define USER_PML4_ENTRIES 256

void paging_prealloc_kernel_half(void)
{
	for (int i = USER_PML4_ENTRIES; i < 512; i++) {
		if (kernel_pml4[i] & PTE_P)
			continue;
		phys_addr_t pa = alloc_table();
		if (!pa)
			panic("paging: no memory for the kernel half of the PML4");
		kernel_pml4[i] = pa | PTE_P | PTE_W;
	}
}

phys_addr_t arch_kernel_pgd(void)
{
	return kernel_pml4_pa;
}

phys_addr_t arch_pgd_alloc(void)
{
	phys_addr_t pa = alloc_table();
	if (!pa)
		return 0;
	u64 *t = phys_to_virt(pa);
	for (int i = USER_PML4_ENTRIES; i < 512; i++)
		t[i] = kernel_pml4[i];
	return pa;
}

static void free_user_level(u64 *table, int level)
{
	int n = level == LEVEL_PML4 ? USER_PML4_ENTRIES : 512;
	for (int i = 0; i < n; i++) {
		u64 e = table[i];
		if (!(e & PTE_P))
			continue;
		if (level == LEVEL_PT)
			pmm_free_page(leaf_addr(e, LEVEL_PT));
		else {
			free_user_level(table_va(e), level - 1);
			pmm_free_page(e & PTE_ADDR_MASK);
		}
	}
}

void arch_pgd_free(phys_addr_t pgd)
{
	if (!pgd)
		return;
	BUG_ON(read_cr3() == pgd);
	free_user_level(phys_to_virt(pgd), LEVEL_PML4);
	pmm_free_page(pgd);
}

/* Map one user page (4 KiB only; tables on the way are user-accessible,
 * the leaf decides). va must be in the lower half. */
int arch_user_map(phys_addr_t pgd, unsigned long va, phys_addr_t pa, int flags)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) ||
	    pt_index(va, LEVEL_PML4) >= USER_PML4_ENTRIES || (va >> 47) || wx_violation(flags))
		return -EINVAL;
	u64 *table = phys_to_virt(pgd);
	for (int l = LEVEL_PML4; l > LEVEL_PT; l--) {
		u64 *e = &table[pt_index(va, l)];
		if (!(*e & PTE_P)) {
			phys_addr_t t = alloc_table();
			if (!t)
				return -ENOMEM;
			*e = t | PTE_P | PTE_W | PTE_U;
		}
		table = table_va(*e);
	}
	u64 *e = &table[pt_index(va, LEVEL_PT)];
	if (*e & PTE_P)
		return -EEXIST;
	*e = pa | leaf_bits(flags | VM_USER);
	return 0;
}

/* The frame behind a user va and its permissions (0 when unmapped). */
phys_addr_t arch_user_lookup(phys_addr_t pgd, unsigned long va, int *flags)
{
	if ((va >> 47) || pt_index(va, LEVEL_PML4) >= USER_PML4_ENTRIES)
		return 0;
	u64 *table = phys_to_virt(pgd);
	for (int l = LEVEL_PML4; l > LEVEL_PT; l--) {
		u64 e = table[pt_index(va, l)];
		if (!(e & PTE_P))
			return 0;
		table = table_va(e);
	}
	u64 e = table[pt_index(va, LEVEL_PT)];
	if (!(e & PTE_P))
		return 0;
	if (flags)
		*flags = ((e & PTE_W) ? VM_WRITE : 0) | ((e & PTE_NX) ? 0 : VM_EXEC) |
			 ((e & PTE_U) ? VM_USER : 0);
	return leaf_addr(e, LEVEL_PT) | (va & (PAGE_SIZE - 1));
}

/* Load an address space on this CPU (the user-mode layer's context switch
 * hook); user pages are not global, so the write flushes them. */
notrace void arch_switch_pgd(phys_addr_t pgd)
{
	if (read_cr3() != pgd)
		write_cr3(pgd);
}
