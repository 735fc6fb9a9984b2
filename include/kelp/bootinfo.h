/* What the boot loader told us: memory map and command line (multiboot2). */
#pragma once
#include <kelp/compiler.h>

#define BOOT_MMAP_MAX 64
#define MEM_USABLE 1

struct boot_mem_region {
	u64 base, len;
	u32 type; /* multiboot2: 1 usable, 3 ACPI, 4 reserved-hibernate, 5 bad */
};

struct boot_info {
	struct boot_mem_region mmap[BOOT_MMAP_MAX];
	int mmap_count;
	char loader[64];
	phys_addr_t mbi_phys;
	size_t mbi_size;
};

extern struct boot_info boot_info;
/* Parse the multiboot2 information at mbi (a virtual address). */
int bootinfo_parse(u32 magic, const void *mbi);
