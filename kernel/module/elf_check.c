/* Patch blob ELF validation (kernel/module/elf_check.h). Everything a blob says is
 * untrusted: every offset, size, index and string is checked against the
 * image before it is used, in an order where each check relies only on
 * earlier ones. Pure code: also built into the host tests (tests/host/). */
#include "elf_check.h"
#include <kelp/errno.h>
#include <kelp/reason.h>
#include <kelp/string.h>

#define FAIL(err, ...) reason_fail(why, whylen, err, __VA_ARGS__)

static bool is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

/* off + size <= len without overflow. */
static bool in_bounds(u64 off, u64 size, u64 len)
{
	return off <= len && size <= len - off;
}

const char *elf_sec_name(const struct elf_info *info, unsigned int idx)
{
	return info->shstrtab + info->shdrs[idx].sh_name;
}

const char *elf_sym_name(const struct elf_info *info, const Elf64_Sym *sym)
{
	return info->strtab + sym->st_name;
}

int elf_find_section(const struct elf_info *info, const char *name)
{
	for (unsigned int i = 1; i < info->nsec; i++)
		if (!strcmp(elf_sec_name(info, i), name))
			return i;
	return -1;
}

static bool known_sec_type(u32 type)
{
	switch (type) {
	case SHT_NULL:
	case SHT_PROGBITS:
	case SHT_SYMTAB:
	case SHT_STRTAB:
	case SHT_RELA:
	case SHT_NOTE:
	case SHT_NOBITS:
	case SHT_INIT_ARRAY:
	case SHT_FINI_ARRAY:
		return true;
	}
	return false;
}

static int check_header(const Elf64_Ehdr *eh, size_t len, char *why, size_t whylen)
{
	if (len < sizeof(*eh))
		return FAIL(-ENOEXEC, "too short for an ELF header (%zu bytes)", len);
	if (memcmp(eh->e_ident, "\177ELF", 4))
		return FAIL(-ENOEXEC, "not an ELF object (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return FAIL(-ENOEXEC, "not ELFCLASS64 (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return FAIL(-ENOEXEC, "not little endian (data %u)", eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return FAIL(-ENOEXEC, "unknown ELF version");
	if (eh->e_type != ET_REL)
		return FAIL(-ENOEXEC, "not a relocatable object (e_type %u)", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return FAIL(-ENOEXEC, "not x86-64 (e_machine %u)", eh->e_machine);
	if (eh->e_ehsize < sizeof(*eh))
		return FAIL(-ENOEXEC, "bad e_ehsize %u", eh->e_ehsize);
	if (eh->e_phnum)
		return FAIL(-ENOEXEC, "relocatable object with program headers");
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return FAIL(-ENOEXEC, "bad e_shentsize %u", eh->e_shentsize);
	if (eh->e_shnum == 0)
		return FAIL(-ENOEXEC, "no section headers");
	if (eh->e_shnum > ELF_MAX_SECTIONS)
		return FAIL(-EFBIG, "too many sections (%u > %u)", eh->e_shnum, ELF_MAX_SECTIONS);
	if (!in_bounds(eh->e_shoff, (u64)eh->e_shnum * sizeof(Elf64_Shdr), len))
		return FAIL(-ENOEXEC, "section header table out of bounds");
	if (eh->e_shoff % 8)
		return FAIL(-ENOEXEC, "section header table misaligned");
	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
		return FAIL(-ENOEXEC, "bad e_shstrndx %u", eh->e_shstrndx);
	return 0;
}

/* Per-section geometry, then names (which need the shstrtab checked first). */
static int check_sections(struct elf_info *info, char *why, size_t whylen)
{
	const Elf64_Shdr *sh = info->shdrs;
	const Elf64_Shdr *ss = &sh[info->ehdr->e_shstrndx];
	u64 alloc = 0;

	if (sh[0].sh_type != SHT_NULL || sh[0].sh_size || sh[0].sh_offset)
		return FAIL(-ENOEXEC, "section 0 is not the null section");
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *s = &sh[i];

		if (s->sh_type == SHT_REL)
			return FAIL(-ENOEXEC, "section %u: SHT_REL relocations are not supported", i);
		if (!known_sec_type(s->sh_type))
			return FAIL(-ENOEXEC, "section %u: unsupported section type %#x", i,
				    s->sh_type);
		if (s->sh_type != SHT_NOBITS && !in_bounds(s->sh_offset, s->sh_size, info->len))
			return FAIL(-ENOEXEC, "section %u: out of bounds (offset %#llx size %#llx)",
				    i, (unsigned long long)s->sh_offset,
				    (unsigned long long)s->sh_size);
		if (s->sh_addralign > 1 &&
		    (!is_pow2(s->sh_addralign) || s->sh_addralign > ELF_MAX_ALIGN))
			return FAIL(-ENOEXEC, "section %u: bad alignment %llu", i,
				    (unsigned long long)s->sh_addralign);
		if (s->sh_flags & SHF_ALLOC) {
			if (s->sh_size > ELF_MAX_ALLOC)
				return FAIL(-EFBIG, "section %u: too big", i);
			alloc += s->sh_size;
		}
	}
	if (alloc > ELF_MAX_ALLOC)
		return FAIL(-EFBIG, "allocated size too big (%llu > %u)", (unsigned long long)alloc,
			    ELF_MAX_ALLOC);
	info->alloc_size = alloc;

	if (ss->sh_type != SHT_STRTAB)
		return FAIL(-ENOEXEC, "section name table is not SHT_STRTAB");
	if (ss->sh_size == 0 || info->image[ss->sh_offset + ss->sh_size - 1])
		return FAIL(-ENOEXEC, "section name table not NUL-terminated");
	info->shstrtab = (const char *)info->image + ss->sh_offset;
	for (unsigned int i = 0; i < info->nsec; i++)
		if (sh[i].sh_name >= ss->sh_size)
			return FAIL(-ENOEXEC, "section %u: name offset %u out of bounds", i,
				    sh[i].sh_name);
	return 0;
}

static int check_symtab(struct elf_info *info, char *why, size_t whylen)
{
	const Elf64_Shdr *sh = info->shdrs, *st, *str;
	int found = -1;

	for (unsigned int i = 1; i < info->nsec; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (found >= 0)
			return FAIL(-ENOEXEC, "more than one symbol table");
		found = i;
	}
	if (found < 0)
		return FAIL(-ENOEXEC, "no symbol table");
	st = &sh[found];
	if (st->sh_entsize != sizeof(Elf64_Sym) || st->sh_size % sizeof(Elf64_Sym))
		return FAIL(-ENOEXEC, "symbol table: bad entry size");
	if (st->sh_offset % 8)
		return FAIL(-ENOEXEC, "symbol table misaligned");
	if (st->sh_size / sizeof(Elf64_Sym) > ELF_MAX_SYMBOLS)
		return FAIL(-EFBIG, "too many symbols (%llu > %u)",
			    (unsigned long long)(st->sh_size / sizeof(Elf64_Sym)), ELF_MAX_SYMBOLS);
	if (st->sh_size == 0)
		return FAIL(-ENOEXEC, "empty symbol table");
	if (st->sh_link == 0 || st->sh_link >= info->nsec || sh[st->sh_link].sh_type != SHT_STRTAB)
		return FAIL(-ENOEXEC, "symbol table: bad string table link %u", st->sh_link);
	str = &sh[st->sh_link];
	if (str->sh_size == 0 || info->image[str->sh_offset + str->sh_size - 1])
		return FAIL(-ENOEXEC, "symbol string table not NUL-terminated");

	info->symtab = found;
	info->syms = (const Elf64_Sym *)(info->image + st->sh_offset);
	info->nsyms = st->sh_size / sizeof(Elf64_Sym);
	info->strtab = (const char *)info->image + str->sh_offset;
	if (st->sh_info > info->nsyms)
		return FAIL(-ENOEXEC, "symbol table: first global %u past the end", st->sh_info);

	for (unsigned int i = 1; i < info->nsyms; i++) {
		const Elf64_Sym *sym = &info->syms[i];
		const char *name;
		bool klp;

		if (sym->st_name >= str->sh_size)
			return FAIL(-ENOEXEC, "symbol %u: name offset out of bounds", i);
		name = elf_sym_name(info, sym);
		klp = !strncmp(name, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1);
		if (klp || sym->st_shndx == SHN_LIVEPATCH) {
			char obj[KLP_OBJNAME_LEN], sname[KLP_SYMNAME_LEN];
			unsigned long pos;

			if (sym->st_shndx != SHN_LIVEPATCH)
				return FAIL(-ENOEXEC, "symbol %s: .klp.sym symbol not SHN_LIVEPATCH",
					    name);
			if (!klp)
				return FAIL(-ENOEXEC, "symbol %u (%s): SHN_LIVEPATCH without .klp.sym name",
					    i, name);
			if (klp_parse_sym_name(name, obj, sizeof(obj), sname, sizeof(sname), &pos))
				return FAIL(-ENOEXEC, "symbol %s: malformed .klp.sym name", name);
			continue;
		}
		switch (sym->st_shndx) {
		case SHN_UNDEF:
			if (!*name)
				return FAIL(-ENOEXEC, "symbol %u: undefined and unnamed", i);
			continue;
		case SHN_ABS:
			continue;
		case SHN_COMMON:
			return FAIL(-ENOEXEC, "symbol %s: common symbol (build with -fno-common)",
				    name);
		}
		if (sym->st_shndx >= info->nsec)
			return FAIL(-ENOEXEC, "symbol %u (%s): bad section index %#x", i, name,
				    sym->st_shndx);
		if (ELF64_ST_TYPE(sym->st_info) != STT_SECTION &&
		    !in_bounds(sym->st_value, sym->st_size, sh[sym->st_shndx].sh_size))
			return FAIL(-ENOEXEC, "symbol %s: outside its section", name);
	}
	return 0;
}

static unsigned int reloc_width(u32 type)
{
	switch (type) {
	case R_X86_64_64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
		return 4;
	}
	return 0;
}

static int check_relocs(struct elf_info *info, char *why, size_t whylen)
{
	const Elf64_Shdr *sh = info->shdrs;
	u64 total = 0;

	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *rs = &sh[i], *ts;
		const Elf64_Rela *r;
		u64 n;

		if (rs->sh_type != SHT_RELA)
			continue;
		if (rs->sh_entsize != sizeof(Elf64_Rela) || rs->sh_size % sizeof(Elf64_Rela))
			return FAIL(-ENOEXEC, "section %s: bad relocation entry size",
				    elf_sec_name(info, i));
		if (rs->sh_offset % 8)
			return FAIL(-ENOEXEC, "section %s: misaligned", elf_sec_name(info, i));
		if (rs->sh_link != info->symtab)
			return FAIL(-ENOEXEC, "section %s: does not link to the symbol table",
				    elf_sec_name(info, i));
		if (rs->sh_info == 0 || rs->sh_info >= info->nsec)
			return FAIL(-ENOEXEC, "section %s: bad target section %u",
				    elf_sec_name(info, i), rs->sh_info);
		ts = &sh[rs->sh_info];
		/* Debug info relocations target sections that are never loaded:
		 * they are checked like the rest and then skipped by elf_relocate(). */
		if (ts->sh_type == SHT_NOBITS || ts->sh_type == SHT_NULL || ts->sh_type == SHT_RELA ||
		    ts->sh_type == SHT_SYMTAB || ts->sh_type == SHT_STRTAB)
			return FAIL(-ENOEXEC, "section %s: relocates a section of type %u",
				    elf_sec_name(info, i), ts->sh_type);
		n = rs->sh_size / sizeof(Elf64_Rela);
		total += n;
		if (total > ELF_MAX_RELOCS)
			return FAIL(-EFBIG, "too many relocations (> %u)", ELF_MAX_RELOCS);
		r = (const Elf64_Rela *)(info->image + rs->sh_offset);
		for (u64 j = 0; j < n; j++) {
			u32 type = ELF64_R_TYPE(r[j].r_info), sym = ELF64_R_SYM(r[j].r_info);
			unsigned int w = reloc_width(type);

			if (!w)
				return FAIL(-ENOEXEC, "unsupported relocation type %u in %s", type,
					    elf_sec_name(info, i));
			if (sym == 0 || sym >= info->nsyms)
				return FAIL(-ENOEXEC, "%s: relocation %llu: bad symbol index %u",
					    elf_sec_name(info, i), (unsigned long long)j, sym);
			if (!in_bounds(r[j].r_offset, w, ts->sh_size))
				return FAIL(-ENOEXEC, "%s: relocation %llu: offset %#llx outside %s",
					    elf_sec_name(info, i), (unsigned long long)j,
					    (unsigned long long)r[j].r_offset,
					    elf_sec_name(info, rs->sh_info));
		}
	}
	info->nrelocs = total;
	return 0;
}

static int check_special(struct elf_info *info, char *why, size_t whylen)
{
	const Elf64_Shdr *s;

	info->modinfo = elf_find_section(info, ".modinfo");
	info->mcount_loc = elf_find_section(info, "__mcount_loc");
	info->build_id = elf_find_section(info, ELF_BUILD_ID_SECTION);

	if (info->modinfo >= 0) {
		const char *p, *end;

		s = &info->shdrs[info->modinfo];
		if (s->sh_type != SHT_PROGBITS)
			return FAIL(-ENOEXEC, ".modinfo: bad section type");
		p = elf_sec_data(info, info->modinfo);
		end = p + s->sh_size;
		if (s->sh_size && end[-1])
			return FAIL(-ENOEXEC, ".modinfo: not NUL-terminated");
		for (; p < end; p += strlen(p) + 1)
			if (*p && (!strchr(p, '=') || *p == '='))
				return FAIL(-ENOEXEC, ".modinfo: malformed entry \"%s\"", p);
	}
	if (info->mcount_loc >= 0) {
		s = &info->shdrs[info->mcount_loc];
		if (s->sh_type != SHT_PROGBITS || !(s->sh_flags & SHF_ALLOC) || s->sh_size % 8)
			return FAIL(-ENOEXEC, "__mcount_loc: bad section");
	}
	if (info->build_id >= 0) {
		s = &info->shdrs[info->build_id];
		if (s->sh_type != SHT_PROGBITS || s->sh_size == 0 || s->sh_size > 64)
			return FAIL(-ENOEXEC, ELF_BUILD_ID_SECTION ": bad section");
	}
	return 0;
}

int elf_check(const void *image, size_t len, struct elf_info *info, char *why, size_t whylen)
{
	int ret;

	if (why && whylen)
		why[0] = 0;
	memset(info, 0, sizeof(*info));
	if (!image || (uintptr_t)image % 8)
		return FAIL(-EINVAL, "image missing or misaligned");
	if (len > ELF_MAX_IMAGE)
		return FAIL(-EFBIG, "object too big (%zu > %u bytes)", len, ELF_MAX_IMAGE);
	ret = check_header(image, len, why, whylen);
	if (ret)
		return ret;
	info->image = image;
	info->len = len;
	info->ehdr = image;
	info->shdrs = (const Elf64_Shdr *)(info->image + info->ehdr->e_shoff);
	info->nsec = info->ehdr->e_shnum;
	ret = check_sections(info, why, whylen);
	if (!ret)
		ret = check_symtab(info, why, whylen);
	if (!ret)
		ret = check_relocs(info, why, whylen);
	if (!ret)
		ret = check_special(info, why, whylen);
	return ret;
}

int klp_parse_sym_name(const char *s, char *obj, size_t objlen, char *name, size_t namelen,
		       unsigned long *sympos)
{
	const char *o, *dot, *comma, *p;
	unsigned long pos = 0;

	if (strncmp(s, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1))
		return -EINVAL;
	o = s + sizeof(KLP_SYM_PREFIX) - 1;
	dot = strchr(o, '.');
	comma = strrchr(o, ',');
	if (!dot || !comma || dot == o || comma <= dot + 1 || !comma[1])
		return -EINVAL;
	for (p = comma + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	/* a position among same-named symbols: far below 2^32 */
	unsigned int upos;
	if (kstrtouint(comma + 1, 10, &upos))
		return -EINVAL;
	pos = upos;
	if ((size_t)(dot - o) >= objlen || (size_t)(comma - dot - 1) >= namelen)
		return -EINVAL;
	memcpy(obj, o, dot - o);
	obj[dot - o] = 0;
	memcpy(name, dot + 1, comma - dot - 1);
	name[comma - dot - 1] = 0;
	if (strchr(name, ','))
		return -EINVAL;
	*sympos = pos;
	return 0;
}

const char *elf_modinfo_get(const struct elf_info *info, const char *key, const char *after)
{
	const char *p, *end;
	size_t klen = strlen(key);

	if (info->modinfo < 0)
		return NULL;
	p = elf_sec_data(info, info->modinfo);
	end = p + info->shdrs[info->modinfo].sh_size;
	if (after)
		p = after + strlen(after) + 1;
	for (; p < end; p += strlen(p) + 1)
		if (!strncmp(p, key, klen) && p[klen] == '=')
			return p + klen + 1;
	return NULL;
}

int elf_check_build_id(const struct elf_info *info, const u8 *id, size_t idlen, char *why,
		       size_t whylen)
{
	const Elf64_Shdr *s;

	if (info->build_id < 0)
		return FAIL(-ENOEXEC, "no " ELF_BUILD_ID_SECTION " section");
	s = &info->shdrs[info->build_id];
	if (s->sh_size != idlen || memcmp(elf_sec_data(info, info->build_id), id, idlen))
		return FAIL(-ENOEXEC, "built for another kernel (build ID mismatch)");
	return 0;
}
