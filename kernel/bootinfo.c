/* Multiboot2 boot information: the memory map, command line and loader name. */
#include <kelp/bootinfo.h>
#include <kelp/cmdline.h>
#include <kelp/string.h>
#include <kelp/errno.h>

#define MB2_MAGIC 0x36d76289
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MMAP 6

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
		}
		p += ALIGN_UP(tag->size, 8);
	}
	return 0;
}
