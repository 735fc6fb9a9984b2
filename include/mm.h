/* Memory: physical frames, kernel page tables, the kernel heap. */
#pragma once
#include <compiler.h>

#define PAGE_SIZE 4096UL
#define KERNEL_VMA 0xffffffff80000000UL

/* The boot mapping covers the first GiB at KERNEL_VMA. */
static inline void *phys_to_virt(phys_addr_t pa) { return (void *)(pa + KERNEL_VMA); }

void mm_init(void);
