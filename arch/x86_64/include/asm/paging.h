/* x86_64 page-table entry format, for arch/x86_64/paging.c and the entry
 * code: generic code uses the arch_ hooks of <arch/paging.h> instead. */
#pragma once
#include <kelp/types.h>

#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)
#define PTE_PWT (1UL << 3)
#define PTE_PCD (1UL << 4)
#define PTE_A (1UL << 5)
#define PTE_D (1UL << 6)
#define PTE_PS (1UL << 7) /* 2 MiB / 1 GiB page in a PD / PDPT entry */
#define PTE_G (1UL << 8)
#define PTE_NX (1UL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000UL

/* Map the 4 KiB page of device registers at pa uncached (at its direct-map
 * address) and return pa's address there; NULL without memory for a table. */
void *paging_map_mmio(phys_addr_t pa);
/* A page table for the AP trampoline: the kernel half plus an identity
 * mapping of the page at pa (below 4 GiB). 0 without memory. */
phys_addr_t paging_trampoline_pgd(phys_addr_t pa);
void paging_trampoline_free(phys_addr_t pgd, phys_addr_t pa);
