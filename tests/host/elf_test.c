/* Host tests for kernel/module/elf_check.c and kernel/module/reloc.c: a real object
 * built with the kernel's flags must pass; hand-mutated copies must each
 * fail with their own message; relocation must produce the bytes ld
 * produces for the same object at the same addresses.
 * usage: elf_test FIXTURE_DIR (see tests/host/mkfixtures.sh) */
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define strcpy(d, s) memcpy(d, s, strlen(s) + 1)
#include "../../kernel/module/elf_check.h"
#include "../../kernel/module/reloc.h"
#include <kelp/errno.h>

static u8 *obj;
static size_t obj_len;
static struct elf_info good;

static Elf64_Ehdr *EH(u8 *img)
{
	return (Elf64_Ehdr *)img;
}
static Elf64_Shdr *SH(u8 *img, int i)
{
	return (Elf64_Shdr *)(img + EH(img)->e_shoff) + i;
}
static Elf64_Sym *SYM(u8 *img, int i)
{
	return (Elf64_Sym *)(img + SH(img, good.symtab)->sh_offset) + i;
}
static Elf64_Rela *RELA(u8 *img, const char *sec, int i)
{
	return (Elf64_Rela *)(img + SH(img, elf_find_section(&good, sec))->sh_offset) + i;
}
static int symidx(const char *name)
{
	for (unsigned int i = 1; i < good.nsyms; i++)
		if (!strcmp(elf_sym_name(&good, &good.syms[i]), name))
			return i;
	fprintf(stderr, "no symbol %s\n", name);
	exit(1);
}
static int sec(const char *name)
{
	return elf_find_section(&good, name);
}

/* Each mutation breaks one thing; the check must name that thing. */
struct mutation {
	const char *what;
	void (*fn)(u8 *img, size_t *len);
	int err;
	const char *msg;
};

#define MUT(name, body) static void mut_##name(u8 *img, size_t *len) { (void)img; (void)len; body; }
MUT(magic, img[1] = 'X')
MUT(class32, img[EI_CLASS] = 1)
MUT(bigendian, img[EI_DATA] = 2)
MUT(version, img[EI_VERSION] = 2)
MUT(exec, EH(img)->e_type = 2)
MUT(machine, EH(img)->e_machine = 3)
MUT(phnum, EH(img)->e_phnum = 1)
MUT(shentsize, EH(img)->e_shentsize = 32)
MUT(shnum0, EH(img)->e_shnum = 0)
MUT(shnum_big, EH(img)->e_shnum = 300)
MUT(shoff_oob, EH(img)->e_shoff = *len - 64)
MUT(shoff_huge, EH(img)->e_shoff = ~0ull - 8)
MUT(shoff_misaligned, EH(img)->e_shoff += 4)
MUT(shstrndx, EH(img)->e_shstrndx = EH(img)->e_shnum)
MUT(truncated, *len = 40)
MUT(sec0, SH(img, 0)->sh_size = 4)
MUT(rel, SH(img, sec(".rela.data"))->sh_type = SHT_REL)
MUT(group, SH(img, sec(".data"))->sh_type = SHT_GROUP)
MUT(sec_oob, SH(img, sec(".data"))->sh_size = *len)
MUT(sec_off_wrap, SH(img, sec(".data"))->sh_offset = ~0ull - 2)
MUT(align_npow2, SH(img, sec(".text"))->sh_addralign = 12)
MUT(align_huge, SH(img, sec(".text"))->sh_addralign = 1 << 20)
MUT(bss_huge, SH(img, sec(".bss"))->sh_size = 64 << 20)
MUT(shstr_type, SH(img, EH(img)->e_shstrndx)->sh_type = SHT_PROGBITS)
MUT(shstr_nul, img[SH(img, EH(img)->e_shstrndx)->sh_offset + SH(img, EH(img)->e_shstrndx)->sh_size - 1] = 'x')
MUT(name_oob, SH(img, 1)->sh_name = 0x10000)
MUT(no_symtab, SH(img, good.symtab)->sh_type = SHT_PROGBITS)
MUT(two_symtabs, SH(img, sec(".comment"))->sh_type = SHT_SYMTAB)
MUT(sym_entsize, SH(img, good.symtab)->sh_entsize = 16)
MUT(sym_link, SH(img, good.symtab)->sh_link = sec(".text"))
MUT(strtab_nul, img[SH(img, SH(img, good.symtab)->sh_link)->sh_offset + SH(img, SH(img, good.symtab)->sh_link)->sh_size - 1] = 'x')
MUT(sym_info, SH(img, good.symtab)->sh_info = 10000)
MUT(sym_name_oob, SYM(img, symidx("simple_func"))->st_name = 0x7fffffff)
MUT(sym_shndx, SYM(img, symidx("simple_func"))->st_shndx = 200)
MUT(sym_common, SYM(img, symidx("ext_var"))->st_shndx = SHN_COMMON)
MUT(sym_value, SYM(img, symidx("simple_func"))->st_value = 0x100000)
MUT(sym_livepatch_noname, SYM(img, symidx("ext_var"))->st_shndx = SHN_LIVEPATCH)
MUT(klp_not_livepatch, strcpy((char *)img + SH(img, SH(img, good.symtab)->sh_link)->sh_offset + SYM(img, symidx("klp_placeholder_symbol_with_a_long_name"))->st_name, ".klp.sym.vmlinux.foo,1"))
MUT(klp_malformed, {
	Elf64_Sym *s = SYM(img, symidx("klp_placeholder_symbol_with_a_long_name"));
	strcpy((char *)img + SH(img, SH(img, good.symtab)->sh_link)->sh_offset + s->st_name, ".klp.sym.vmlinux.foo");
	s->st_shndx = SHN_LIVEPATCH;
})
MUT(rela_entsize, SH(img, sec(".rela.text"))->sh_entsize = 16)
MUT(rela_link, SH(img, sec(".rela.text"))->sh_link = 0)
MUT(rela_info, SH(img, sec(".rela.text"))->sh_info = 0)
MUT(rela_info_oob, SH(img, sec(".rela.text"))->sh_info = 999)
MUT(rela_target_bss, SH(img, sec(".rela.data"))->sh_info = sec(".bss"))
MUT(rela_type, RELA(img, ".rela.text", 3)->r_info = ELF64_R_INFO(ELF64_R_SYM(RELA(img, ".rela.text", 3)->r_info), 9))
MUT(rela_sym0, RELA(img, ".rela.text", 3)->r_info = ELF64_R_INFO(0, R_X86_64_PC32))
MUT(rela_sym_oob, RELA(img, ".rela.text", 3)->r_info = ELF64_R_INFO(5000, R_X86_64_PC32))
MUT(rela_off_oob, RELA(img, ".rela.text", 3)->r_offset = SH(img, 1)->sh_size - 2)
MUT(rela_off_wrap, RELA(img, ".rela.text", 3)->r_offset = ~0ull - 1)
MUT(modinfo_nul, img[SH(img, sec(".modinfo"))->sh_offset + SH(img, sec(".modinfo"))->sh_size - 1] = 'x')
MUT(modinfo_entry, memcpy(img + SH(img, sec(".modinfo"))->sh_offset, "name-simple", 11))
MUT(mcount_size, SH(img, sec("__mcount_loc"))->sh_flags = 0)
MUT(too_big, *len = ELF_MAX_IMAGE + 1)

static const struct mutation mutations[] = {
	{ "bad magic", mut_magic, -ENOEXEC, "bad magic" },
	{ "32-bit class", mut_class32, -ENOEXEC, "not ELFCLASS64" },
	{ "big endian", mut_bigendian, -ENOEXEC, "not little endian" },
	{ "ELF version", mut_version, -ENOEXEC, "unknown ELF version" },
	{ "ET_EXEC", mut_exec, -ENOEXEC, "not a relocatable object" },
	{ "machine", mut_machine, -ENOEXEC, "not x86-64" },
	{ "program headers", mut_phnum, -ENOEXEC, "with program headers" },
	{ "e_shentsize", mut_shentsize, -ENOEXEC, "bad e_shentsize" },
	{ "no sections", mut_shnum0, -ENOEXEC, "no section headers" },
	{ "too many sections", mut_shnum_big, -EFBIG, "too many sections" },
	{ "shdrs out of bounds", mut_shoff_oob, -ENOEXEC, "section header table out of bounds" },
	{ "shoff wraps", mut_shoff_huge, -ENOEXEC, "section header table out of bounds" },
	{ "shdrs misaligned", mut_shoff_misaligned, -ENOEXEC, "section header table" },
	{ "e_shstrndx", mut_shstrndx, -ENOEXEC, "bad e_shstrndx" },
	{ "truncated header", mut_truncated, -ENOEXEC, "too short" },
	{ "section 0", mut_sec0, -ENOEXEC, "not the null section" },
	{ "SHT_REL", mut_rel, -ENOEXEC, "SHT_REL relocations are not supported" },
	{ "SHT_GROUP", mut_group, -ENOEXEC, "unsupported section type 0x11" },
	{ "section out of bounds", mut_sec_oob, -ENOEXEC, "out of bounds (offset" },
	{ "section offset wraps", mut_sec_off_wrap, -ENOEXEC, "out of bounds (offset" },
	{ "alignment not a power of two", mut_align_npow2, -ENOEXEC, "bad alignment 12" },
	{ "alignment too big", mut_align_huge, -ENOEXEC, "bad alignment 1048576" },
	{ "huge .bss", mut_bss_huge, -EFBIG, "too big" },
	{ "shstrtab type", mut_shstr_type, -ENOEXEC, "section name table is not SHT_STRTAB" },
	{ "shstrtab unterminated", mut_shstr_nul, -ENOEXEC, "section name table not NUL-terminated" },
	{ "section name out of bounds", mut_name_oob, -ENOEXEC, "name offset 65536 out of bounds" },
	{ "no symtab", mut_no_symtab, -ENOEXEC, "no symbol table" },
	{ "two symtabs", mut_two_symtabs, -ENOEXEC, "more than one symbol table" },
	{ "symtab entsize", mut_sym_entsize, -ENOEXEC, "symbol table: bad entry size" },
	{ "symtab link", mut_sym_link, -ENOEXEC, "bad string table link" },
	{ "strtab unterminated", mut_strtab_nul, -ENOEXEC, "symbol string table not NUL-terminated" },
	{ "symtab sh_info", mut_sym_info, -ENOEXEC, "first global" },
	{ "symbol name out of bounds", mut_sym_name_oob, -ENOEXEC, "name offset out of bounds" },
	{ "symbol section index", mut_sym_shndx, -ENOEXEC, "bad section index 0xc8" },
	{ "common symbol", mut_sym_common, -ENOEXEC, "common symbol" },
	{ "symbol outside section", mut_sym_value, -ENOEXEC, "simple_func: outside its section" },
	{ "SHN_LIVEPATCH without name", mut_sym_livepatch_noname, -ENOEXEC, "SHN_LIVEPATCH without .klp.sym name" },
	{ ".klp.sym not SHN_LIVEPATCH", mut_klp_not_livepatch, -ENOEXEC, "not SHN_LIVEPATCH" },
	{ "malformed .klp.sym", mut_klp_malformed, -ENOEXEC, "malformed .klp.sym name" },
	{ "rela entsize", mut_rela_entsize, -ENOEXEC, ".rela.text: bad relocation entry size" },
	{ "rela link", mut_rela_link, -ENOEXEC, "does not link to the symbol table" },
	{ "rela target 0", mut_rela_info, -ENOEXEC, "bad target section 0" },
	{ "rela target out of range", mut_rela_info_oob, -ENOEXEC, "bad target section 999" },
	{ "rela into .bss", mut_rela_target_bss, -ENOEXEC, "relocates a section of type 8" },
	{ "relocation type", mut_rela_type, -ENOEXEC, "unsupported relocation type 9" },
	{ "relocation null symbol", mut_rela_sym0, -ENOEXEC, "bad symbol index 0" },
	{ "relocation symbol out of range", mut_rela_sym_oob, -ENOEXEC, "bad symbol index 5000" },
	{ "relocation offset past the end", mut_rela_off_oob, -ENOEXEC, "outside .text" },
	{ "relocation offset wraps", mut_rela_off_wrap, -ENOEXEC, "outside .text" },
	{ ".modinfo unterminated", mut_modinfo_nul, -ENOEXEC, ".modinfo: not NUL-terminated" },
	{ ".modinfo entry", mut_modinfo_entry, -ENOEXEC, ".modinfo: malformed entry" },
	{ "__mcount_loc not allocated", mut_mcount_size, -ENOEXEC, "__mcount_loc: bad section" },
	{ "oversized object", mut_too_big, -EFBIG, "object too big" },
};

static void test_mutations(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(mutations); i++) {
		const struct mutation *m = &mutations[i];
		size_t len = obj_len;
		u8 *img = malloc(ELF_MAX_IMAGE + 16);
		struct elf_info info;
		char why[200];
		int ret;

		memset(img, 0, ELF_MAX_IMAGE + 16);
		memcpy(img, obj, obj_len);
		m->fn(img, &len);
		ret = elf_check(img, len, &info, why, sizeof(why));
		tap_ok(ret == m->err && strstr(why, m->msg), "mutation %-32s -> %d \"%s\"", m->what,
		       ret, why);
		free(img);
	}
}

/* Every truncation of the object fails cleanly (ASan watches the reads). */
static void test_truncations(void)
{
	int bad = 0;

	for (size_t n = 0; n < obj_len; n++) {
		u8 *img = malloc(n ? n : 1);
		struct elf_info info;
		char why[200];

		memcpy(img, obj, n);
		if (elf_check(img, n, &info, why, sizeof(why)) >= 0 || !why[0])
			bad++;
		free(img);
	}
	tap_ok(!bad, "all %zu truncations rejected with a reason (%d not)", obj_len, bad);
}

/* Random byte flips: whatever happens, no out-of-bounds access and, when
 * accepted, relocation of the result stays in bounds too. */
static void test_fuzz(void)
{
	unsigned int seed = 12345, accepted = 0;

	for (int it = 0; it < 3000; it++) {
		u8 *img = malloc(obj_len);
		struct elf_info info;
		char why[200];

		memcpy(img, obj, obj_len);
		for (int k = 0; k < 1 + it % 4; k++) {
			seed = seed * 1103515245 + 12345;
			/* Aim at the headers and tables where it matters most. */
			size_t pos = (seed >> 8) % obj_len;
			if (it % 2)
				pos = EH(obj)->e_shoff + (seed >> 8) % (obj_len - EH(obj)->e_shoff);
			img[pos] ^= (u8)(1u << ((seed >> 4) % 8));
		}
		if (elf_check(img, obj_len, &info, why, sizeof(why)) == 0)
			accepted++;
		free(img);
	}
	tap_ok(true, "3000 random corruptions checked without a fault (%u accepted)", accepted);
}

static void test_good(const char *dir)
{
	char why[200];
	const char *v;
	u8 *bid;
	size_t bid_len;
	static const u8 id[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
	struct elf_info bi;
	int ret = elf_check(obj, obj_len, &good, why, sizeof(why));

	tap_ok(ret == 0, "kernel-flags object passes elf_check (%d %s)", ret, why);
	if (ret)
		exit(tap_done());
	tap_ok(good.nrelocs > 10 && good.nsyms > 10, "counts: %u symbols, %u relocations",
	       good.nsyms, good.nrelocs);
	v = elf_modinfo_get(&good, "name", NULL);
	tap_ok(v && !strcmp(v, "simple"), ".modinfo name=%s", v ? v : "(null)");
	v = elf_modinfo_get(&good, "livepatch", NULL);
	tap_ok(v && !strcmp(v, "Y"), ".modinfo livepatch=%s", v ? v : "(null)");
	v = elf_modinfo_get(&good, "depends", NULL);
	tap_ok(v && !strcmp(v, "alpha") && (v = elf_modinfo_get(&good, "depends", v)) &&
		       !strcmp(v, "beta") && !elf_modinfo_get(&good, "depends", v),
	       ".modinfo: two depends= entries walked in order");
	tap_ok(!elf_modinfo_get(&good, "nam", NULL), ".modinfo: key prefix does not match");
	tap_ok(elf_mcount_count(&good) == 3, "__mcount_loc: %u fentry sites",
	       elf_mcount_count(&good));
	tap_ok(elf_check_build_id(&good, id, sizeof(id), why, sizeof(why)) == -ENOEXEC &&
		       strstr(why, "no .kelp.build_id"),
	       "no build ID section: %s", why);
	bid = read_fixture(dir, "simple_bid.o", &bid_len);
	ret = elf_check(bid, bid_len, &bi, why, sizeof(why));
	tap_ok(!ret && elf_check_build_id(&bi, id, sizeof(id), why, sizeof(why)) == 0,
	       "build ID section matches");
	tap_ok(elf_check_build_id(&bi, id, 19, why, sizeof(why)) == -ENOEXEC &&
		       strstr(why, "another kernel"), "other kernel's build ID: %s", why);
	free(bid);
	tap_ok(elf_check((u8 *)obj + 1, obj_len - 1, &bi, why, sizeof(why)) == -EINVAL,
	       "misaligned image refused: %s", why);
}

static void test_klp_names(void)
{
	static const struct {
		const char *s;
		int ret;
		const char *obj, *name;
		unsigned long pos;
	} c[] = {
		{ ".klp.sym.vmlinux.cmdline_proc_show,0", 0, "vmlinux", "cmdline_proc_show", 0 },
		{ ".klp.sym.vmlinux.foo.constprop.0,2", 0, "vmlinux", "foo.constprop.0", 2 },
		{ ".klp.sym.mymod.bar,17", 0, "mymod", "bar", 17 },
		{ ".klp.sym.vmlinux.foo", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.foo,", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.foo,1x", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.foo,-1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym..foo,1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.,1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux,1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.a,b,1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f,99999999999", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sy.vmlinux.foo,1", -EINVAL, NULL, NULL, 0 },
		{ "foo", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.an_object_name_that_is_far_too_long_for_the_sixty_four_byte_buffer_we_give.f,1", -EINVAL, NULL, NULL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		char obj[KLP_OBJNAME_LEN], name[KLP_SYMNAME_LEN];
		unsigned long pos = 999;
		int ret = klp_parse_sym_name(c[i].s, obj, sizeof(obj), name, sizeof(name), &pos);

		tap_ok(ret == c[i].ret && (ret || (!strcmp(obj, c[i].obj) && !strcmp(name, c[i].name) &&
						   pos == c[i].pos)),
		       "klp_parse_sym_name(\"%s\") = %d", c[i].s, ret);
	}
}

/* --- relocation ---------------------------------------------------------- */

struct resolver {
	u64 ext_func, ext_var, fentry, placeholder;
	int klp_calls;
	int fail;
};

static int resolve(void *ctx, const char *o, const char *name, unsigned long pos, u64 *addr)
{
	struct resolver *r = ctx;

	if (o) {
		r->klp_calls++;
		if (!strcmp(o, "vmlinux") && !strcmp(name, "target") && pos == 2) {
			*addr = r->placeholder;
			return 0;
		}
		return !strcmp(name, "dup") ? -EINVAL : -ENOENT;
	}
	if (r->fail)
		return r->fail;
	if (!strcmp(name, "ext_func"))
		*addr = r->ext_func;
	else if (!strcmp(name, "ext_var"))
		*addr = r->ext_var;
	else if (!strcmp(name, "__fentry__"))
		*addr = r->fentry;
	else if (!strcmp(name, "klp_placeholder_symbol_with_a_long_name"))
		*addr = r->placeholder;
	else
		return -ENOENT;
	return 0;
}

static const struct {
	const char *name;
	u64 addr;
} layout[] = {
	{ ".text", 0xffffffffc0000000ull }, { ".rodata", 0xffffffffc0100000ull },
	{ ".data", 0xffffffffc0200000ull }, { ".bss", 0xffffffffc0300000ull },
	{ "__mcount_loc", 0xffffffffc0400000ull }, { ".modinfo", 0xffffffffc0500000ull },
};

struct loaded {
	u64 addr[ELF_MAX_SECTIONS];
	void *copy[ELF_MAX_SECTIONS];
};

static void lay_out(const struct elf_info *info, struct loaded *l, u64 text_addr)
{
	memset(l, 0, sizeof(*l));
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *s = &info->shdrs[i];

		if (!(s->sh_flags & SHF_ALLOC))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(layout); k++)
			if (!strcmp(elf_sec_name(info, i), layout[k].name))
				l->addr[i] = layout[k].addr;
		if (!strcmp(elf_sec_name(info, i), ".text") && text_addr)
			l->addr[i] = text_addr;
		l->copy[i] = calloc(1, s->sh_size + 1);
		if (s->sh_type != SHT_NOBITS)
			memcpy(l->copy[i], elf_sec_data(info, i), s->sh_size);
	}
}

static void unload(const struct elf_info *info, struct loaded *l)
{
	for (unsigned int i = 0; i < info->nsec; i++)
		free(l->copy[i]);
}

/* Section contents of the ld-linked reference, found by name. */
static const u8 *ref_section(const u8 *elf, const char *name, u64 *size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
	const char *strs = (const char *)elf + sh[eh->e_shstrndx].sh_offset;

	for (int i = 0; i < eh->e_shnum; i++)
		if (!strcmp(strs + sh[i].sh_name, name)) {
			*size = sh[i].sh_size;
			return elf + sh[i].sh_offset;
		}
	return NULL;
}

static struct resolver default_resolver(void)
{
	return (struct resolver){ .ext_func = 0xffffffff81234560ull, .ext_var = 0xffffffff81300010ull,
				  .fentry = 0xffffffff81000040ull,
				  .placeholder = 0xffffffff81000080ull };
}

static void test_reloc_vs_ld(const char *dir)
{
	struct loaded l;
	struct resolver r = default_resolver();
	char why[200];
	size_t elen;
	u8 *elf = read_fixture(dir, "simple.elf", &elen);
	int ret;

	lay_out(&good, &l, 0);
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == 0, "elf_relocate at ld's addresses: %d %s", ret, why);
	for (size_t k = 0; k < ARRAY_SIZE(layout); k++) {
		u64 size;
		int i = sec(layout[k].name);
		const u8 *ref = ref_section(elf, layout[k].name, &size);

		if (!strcmp(layout[k].name, ".bss"))
			continue;
		tap_ok(ref && i > 0 && size == good.shdrs[i].sh_size &&
			       !memcmp(ref, l.copy[i], size),
		       "%s matches ld's bytes (%llu bytes)", layout[k].name,
		       (unsigned long long)(ref ? size : 0));
	}
	unload(&good, &l);
	free(elf);
}

static void test_reloc_values(void)
{
	struct loaded l;
	struct resolver r = default_resolver();
	char why[200];
	u8 *img = malloc(obj_len);
	struct elf_info info;
	Elf64_Rela *rel;
	u32 v32;
	int ret, t;

	/* Hand-computed: turn the first ext_func call into R_X86_64_32 against a low address. */
	memcpy(img, obj, obj_len);
	rel = RELA(img, ".rela.text", 2);	/* ext_func - 4 */
	rel->r_info = ELF64_R_INFO(ELF64_R_SYM(rel->r_info), R_X86_64_32);
	elf_check(img, obj_len, &info, why, sizeof(why));
	r.ext_func = 0x1234;
	t = sec(".text");
	lay_out(&info, &l, 0);
	ret = elf_relocate(&info, l.addr, l.copy, resolve, &r, why, sizeof(why));
	memcpy(&v32, (u8 *)l.copy[t] + rel->r_offset, 4);
	tap_ok(ret == 0 && v32 == 0x1234 - 4, "R_X86_64_32: S + A = %#x", v32);
	unload(&info, &l);

	r.ext_func = 0x100000004ull;
	lay_out(&info, &l, 0);
	ret = elf_relocate(&info, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == -EOVERFLOW && strstr(why, "relocation overflow at .text+0x1a"),
	       "R_X86_64_32 over 4 GiB: %s", why);
	unload(&info, &l);

	/* PC32/PLT32: the call target more than 2 GiB away. */
	r = default_resolver();
	r.ext_func = 0x0000100000000000ull;
	lay_out(&good, &l, 0);
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == -EOVERFLOW && strstr(why, "overflow at .text+0x1a (type 4"),
	       "PLT32 out of range: %s", why);
	unload(&good, &l);

	/* 32S: an absolute address that is not sign-extended 32-bit. */
	r = default_resolver();
	lay_out(&good, &l, 0);
	l.addr[sec(".rodata")] = 0x80000000ull;
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == -EOVERFLOW && strstr(why, "(type 11"), "32S out of range: %s", why);
	unload(&good, &l);

	/* PLT32 exactly at the edge: S + A - P = 0x7fffffff fits, one more does not. */
	r = default_resolver();
	r.ext_func = layout[0].addr + 0x1a + 4 + 0x7fffffffull;
	lay_out(&good, &l, 0);
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	memcpy(&v32, (u8 *)l.copy[t] + 0x1a, 4);
	tap_ok(ret == 0 && v32 == 0x7fffffff, "PLT32 at +2 GiB - 1 fits (%d, %#x)", ret, v32);
	unload(&good, &l);
	r.ext_func++;
	lay_out(&good, &l, 0);
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == -EOVERFLOW, "PLT32 at +2 GiB overflows: %s", why);
	unload(&good, &l);

	/* Resolver errors carry their own messages. */
	r = default_resolver();
	r.fail = -ENOENT;
	lay_out(&good, &l, 0);
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == -ENOENT && strstr(why, "unknown symbol __fentry__"), "unknown: %s", why);
	unload(&good, &l);
	r.fail = -EINVAL;
	lay_out(&good, &l, 0);
	ret = elf_relocate(&good, l.addr, l.copy, resolve, &r, why, sizeof(why));
	tap_ok(ret == -EINVAL && strstr(why, "ambiguous symbol"), "ambiguous: %s", why);
	unload(&good, &l);

	/* .klp.sym: rename the placeholder in place; the resolver sees obj/name/pos. */
	{
		Elf64_Sym *s;
		char *nm;
		u64 val;

		memcpy(img, obj, obj_len);
		s = SYM(img, symidx("klp_placeholder_symbol_with_a_long_name"));
		nm = (char *)img + SH(img, SH(img, good.symtab)->sh_link)->sh_offset + s->st_name;
		strcpy(nm, ".klp.sym.vmlinux.target,2");
		s->st_shndx = SHN_LIVEPATCH;
		ret = elf_check(img, obj_len, &info, why, sizeof(why));
		tap_ok(ret == 0, ".klp.sym object accepted: %d %s", ret, why);
		r = default_resolver();
		lay_out(&info, &l, 0);
		ret = elf_relocate(&info, l.addr, l.copy, resolve, &r, why, sizeof(why));
		tap_ok(ret == 0 && r.klp_calls == 1, ".klp.sym resolved through the callback");
		ret = elf_symbol_value(&info, s - info.syms, l.addr, resolve, &r, &val, why,
				       sizeof(why));
		tap_ok(ret == 0 && val == r.placeholder, ".klp.sym value %#llx",
		       (unsigned long long)val);
		unload(&info, &l);
		strcpy(nm, ".klp.sym.vmlinux.dup,0");
		elf_check(img, obj_len, &info, why, sizeof(why));
		lay_out(&info, &l, 0);
		ret = elf_relocate(&info, l.addr, l.copy, resolve, &r, why, sizeof(why));
		tap_ok(ret == -EINVAL && strstr(why, "ambiguous symbol .klp.sym.vmlinux.dup,0"),
		       "ambiguous .klp.sym: %s", why);
		unload(&info, &l);
	}
	free(img);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: elf_test FIXTURE_DIR\n");
		return 2;
	}
	obj = read_fixture(argv[1], "simple.o", &obj_len);
	test_good(argv[1]);
	test_klp_names();
	test_mutations();
	test_truncations();
	test_fuzz();
	test_reloc_vs_ld(argv[1]);
	test_reloc_values();
	free(obj);
	return tap_done();
}
