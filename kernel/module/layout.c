/* Where a blob's sections go in the module area: one region per
 * protection (text RX, rodata R, data RW NX) so W^X holds page by page, and
 * struct module at the start of the data region, within reach of the
 * 32-bit relocations that THIS_MODULE takes. */
#include "internal.h"
#include <kelp/mm.h>

int module_region_of(const Elf64_Shdr *sh)
{
	if (sh->sh_flags & SHF_EXECINSTR)
		return MOD_TEXT;
	if (sh->sh_flags & SHF_WRITE)
		return MOD_DATA;
	return MOD_RODATA;
}

const int module_region_flags[MOD_NR_REGIONS] = {
	[MOD_TEXT] = VM_READ | VM_EXEC,
	[MOD_RODATA] = VM_READ,
	[MOD_DATA] = VM_READ | VM_WRITE,
};

void module_compute_layout(const struct elf_info *info, struct module_layout *l)
{
	/* struct module first in the data region */
	l->size[MOD_DATA] = ALIGN_UP(sizeof(struct module), 64);
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *sh = &info->shdrs[i];
		if (!(sh->sh_flags & SHF_ALLOC))
			continue;
		int r = module_region_of(sh);
		size_t align = sh->sh_addralign > 1 ? sh->sh_addralign : 1;
		l->size[r] = ALIGN_UP(l->size[r], align);
		l->off[i] = l->size[r];
		l->size[r] += sh->sh_size;
	}
}

void module_free_regions(struct module_region *reg)
{
	for (int i = MOD_NR_REGIONS - 1; i >= 0; i--)
		if (reg[i].base) {
			void *base = reg[i].base;
			size_t pages = reg[i].pages;
			reg[i].base = NULL;
			module_free_pages(base, pages);
		}
}
