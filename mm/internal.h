/* Interfaces between the pieces of mm/ (not for the rest of the kernel). */
#pragma once
#include <kelp/mm.h>

/* Build the frame bitmap; returns the end of usable RAM. */
phys_addr_t pmm_init(void);
/* Re-point the bitmap at the direct map once it is live. */
void pmm_relocate(void);
void vmalloc_init(void);
void kmalloc_init(void);
