/* The hooks mm/ and the user-mode layer use to build and switch page
 * tables (arch/x86_64/paging.c). The entry format is the arch's own
 * (<asm/paging.h>); callers speak in VM_* flags. */
#pragma once
#include <kelp/compiler.h>

/* How much the boot tables map at KERNEL_VMA (boot/boot.asm): phys_to_virt
 * works only below this until the kernel tables are live. */
#define BOOT_MAPPED_LIMIT (1UL << 30)

/* Build the kernel tables (direct map of [0, direct_map_end), the W^X kernel
 * image, the per-CPU alias slots) and switch to them. */
void arch_paging_init(phys_addr_t direct_map_end);
/* Point this CPU's alias slot at pa (RW, NX) or clear it (pa == 0). */
void *arch_alias_set(int cpu, phys_addr_t pa);
/* Re-point saved table pointers at the direct map (after phys_to_virt
 * switched to it). */
void arch_paging_relocate(void);

/* User address spaces (arch/x86_64/paging.c): a PML4 sharing the kernel
 * half, 4 KiB user pages, freed with every table and frame below it. */
phys_addr_t arch_kernel_pgd(void);
phys_addr_t arch_pgd_alloc(void);
void arch_pgd_free(phys_addr_t pgd);
int arch_user_map(phys_addr_t pgd, unsigned long va, phys_addr_t pa, int flags);
phys_addr_t arch_user_lookup(phys_addr_t pgd, unsigned long va, int *flags);
void arch_switch_pgd(phys_addr_t pgd);
