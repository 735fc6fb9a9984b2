/* What the boot loader told us: memory map, command line and the ACPI RSDP
 * (multiboot2). */
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
	/* The RSDP as the loader copied it (multiboot2 ACPI tag), or length 0:
	 * the arch then looks for it itself. */
	u8 acpi_rsdp[36];
	u32 acpi_rsdp_len;
};

extern struct boot_info boot_info;
/* Parse the multiboot2 information at mbi (a virtual address). */
int bootinfo_parse(u32 magic, const void *mbi);
