/* Applies x86-64 RELA relocations to a patch object's section copies
 * (kernel/module/reloc.h). Input has passed elf_check(), so indexes and
 * offsets are known to be in bounds; what remains to check is the values:
 * resolved symbols and whether each result fits its field. Pure code: also
 * built into the host tests. */
#include "reloc.h"
#include <kelp/errno.h>
#include <kelp/reason.h>
#include <kelp/string.h>

#define FAIL(err, ...) reason_fail(why, whylen, err, __VA_ARGS__)

int elf_symbol_value(const struct elf_info *info, unsigned int idx, const u64 *addr,
		     elf_resolve_fn resolve, void *ctx, u64 *val, char *why, size_t whylen)
{
	const Elf64_Sym *sym = &info->syms[idx];
	const char *name = elf_sym_name(info, sym);
	char obj[KLP_OBJNAME_LEN], sname[KLP_SYMNAME_LEN];
	unsigned long pos = 0;
	int ret;

	switch (sym->st_shndx) {
	case SHN_ABS:
		*val = sym->st_value;
		return 0;
	case SHN_LIVEPATCH:
		if (klp_parse_sym_name(name, obj, sizeof(obj), sname, sizeof(sname), &pos))
			return FAIL(-EINVAL, "malformed .klp.sym name %s", name);
		ret = resolve ? resolve(ctx, obj, sname, pos, val) : -ENOENT;
		break;
	case SHN_UNDEF:
		ret = resolve ? resolve(ctx, NULL, name, 0, val) : -ENOENT;
		break;
	default:
		if (!(info->shdrs[sym->st_shndx].sh_flags & SHF_ALLOC) || !addr[sym->st_shndx])
			return FAIL(-ENOEXEC, "symbol %s is in unallocated section %s",
				    *name ? name : elf_sec_name(info, sym->st_shndx),
				    elf_sec_name(info, sym->st_shndx));
		*val = addr[sym->st_shndx] + sym->st_value;
		return 0;
	}
	if (ret == ELF_RESOLVE_LATER)
		return ret;
	if (ret == -ENOENT)
		return FAIL(ret, "unknown symbol %s", name);
	if (ret == -EINVAL)
		return FAIL(ret, "ambiguous symbol %s (give a sympos)", name);
	if (ret)
		return FAIL(ret, "cannot resolve symbol %s", name);
	return 0;
}

int elf_reloc_field(u32 type, u64 s, s64 addend, u64 p, u8 field[8], size_t *len)
{
	u64 v = s + (u64)addend;
	u32 v32;

	switch (type) {
	case R_X86_64_64:
		memcpy(field, &v, 8);
		*len = 8;
		return 0;
	case R_X86_64_32:
		if (v > 0xffffffffull)
			return -EOVERFLOW;
		break;
	case R_X86_64_32S:
		if ((s64)v != (s32)v)
			return -EOVERFLOW;
		break;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		v -= p;
		if ((s64)v != (s32)v)
			return -EOVERFLOW;
		break;
	default:
		return -ENOEXEC;
	}
	v32 = (u32)v;
	memcpy(field, &v32, 4);
	*len = 4;
	return 0;
}

static int apply_one(const struct elf_info *info, unsigned int tsec, const Elf64_Rela *r,
		     const u64 *addr, u8 *dst, u64 s, char *why, size_t whylen)
{
	u32 type = ELF64_R_TYPE(r->r_info);
	u64 p = addr[tsec] + r->r_offset;
	u8 field[8];
	size_t len;
	int err = elf_reloc_field(type, s, r->r_addend, p, field, &len);

	if (err == -ENOEXEC)
		return FAIL(err, "unsupported relocation type %u", type);
	if (err)
		return FAIL(err, "relocation overflow at %s+%#llx (type %u, value %#llx)",
			    elf_sec_name(info, tsec), (unsigned long long)r->r_offset, type,
			    (unsigned long long)(s + (u64)r->r_addend));
	memcpy(dst + r->r_offset, field, len);
	return 0;
}

int elf_relocate(const struct elf_info *info, const u64 *addr, void *const *copy,
		 elf_resolve_fn resolve, void *ctx, char *why, size_t whylen)
{
	int ret;

	if (why && whylen)
		why[0] = 0;
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *rs = &info->shdrs[i];
		unsigned int tsec = rs->sh_info;
		const Elf64_Rela *r;
		u64 n;

		if (rs->sh_type != SHT_RELA || !(info->shdrs[tsec].sh_flags & SHF_ALLOC))
			continue;
		if (!copy[tsec])
			return FAIL(-EINVAL, "no copy of section %s", elf_sec_name(info, tsec));
		r = elf_sec_data(info, i);
		n = rs->sh_size / sizeof(*r);
		for (u64 j = 0; j < n; j++) {
			u64 s;

			ret = elf_symbol_value(info, ELF64_R_SYM(r[j].r_info), addr, resolve, ctx,
					       &s, why, whylen);
			if (ret == ELF_RESOLVE_LATER)
				continue; /* the caller's, to apply when it can */
			if (!ret)
				ret = apply_one(info, tsec, &r[j], addr, copy[tsec], s, why,
						whylen);
			if (ret)
				return ret;
		}
	}
	return 0;
}
