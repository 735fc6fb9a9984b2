/* Multiboot2 boot information: the memory map, command line, loader name and
 * the loader's copy of the ACPI RSDP. */
#include <kelp/bootinfo.h>
#include <kelp/cmdline.h>
#include <kelp/string.h>
#include <kelp/errno.h>

#define MB2_MAGIC 0x36d76289
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14 /* a copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW 15 /* a copy of the ACPI 2.0+ RSDP */

struct boot_info boot_info;

struct mb2_tag {
	u32 type, size;
};

int bootinfo_parse(u32 magic, const void *mbi)
{
	if (magic != MB2_MAGIC)
		return -EINVAL;
	u32 total = *(const u32 *)mbi;
	const u8 *p = (const u8 *)mbi + 8, *end = (const u8 *)mbi + total;
	boot_info.mbi_size = total;
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *tag = (const void *)p;
		if (tag->type == MB2_TAG_END || tag->size < 8)
			break;
		switch (tag->type) {
		case MB2_TAG_CMDLINE:
			cmdline_set((const char *)(tag + 1));
			break;
		case MB2_TAG_LOADER:
			strlcpy(boot_info.loader, (const char *)(tag + 1), sizeof(boot_info.loader));
			break;
		case MB2_TAG_MMAP: {
			u32 esize = ((const u32 *)(tag + 1))[0];
			const u8 *e = p + 16;
			for (; esize >= 24 && e + esize <= p + tag->size; e += esize) {
				if (boot_info.mmap_count == BOOT_MMAP_MAX)
					break;
				struct boot_mem_region *r = &boot_info.mmap[boot_info.mmap_count++];
				r->base = *(const u64 *)e;
				r->len = *(const u64 *)(e + 8);
				r->type = *(const u32 *)(e + 16);
			}
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW: {
			/* Keep the newer copy when the loader gives both. */
			u32 len = tag->size - 8;
			if (boot_info.acpi_rsdp_len && tag->type == MB2_TAG_ACPI_OLD)
				break;
			if (len > sizeof(boot_info.acpi_rsdp))
				len = sizeof(boot_info.acpi_rsdp);
			memcpy(boot_info.acpi_rsdp, tag + 1, len);
			boot_info.acpi_rsdp_len = len;
			break;
		}
		}
		p += ALIGN_UP(tag->size, 8);
	}
	return 0;
}
