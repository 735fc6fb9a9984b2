/* Fuzz target: a patch object from the wire, through everything the loader
 * does before it runs code: elf_check(), the .klp.sym / .modinfo /
 * __mcount_loc / build-ID parsers, then elf_relocate() into malloc'd section
 * copies (sized exactly, so ASan sees any write outside a section) with a
 * fake resolver that sometimes fails. Built from kernel/module/elf_check.c and
 * kernel/module/reloc.c unchanged. */
#include "../../kernel/module/elf_check.h"
#include "../../kernel/module/reloc.h"
#include <kelp/errno.h>
#include <kelp/string.h>

extern void *malloc(size_t size);
extern void *calloc(size_t n, size_t size);
extern void free(void *p);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Deterministic: the same name always resolves the same way. */
static int fake_resolve(void *ctx, const char *obj, const char *name, unsigned long sympos,
			u64 *addr)
{
	u64 h = 14695981039346656037ull;
	(void)ctx;

	CHECK(name);
	if (obj) {
		CHECK(*obj && strlen(obj) < KLP_OBJNAME_LEN);
		CHECK(*name && strlen(name) < KLP_SYMNAME_LEN);
		for (const char *p = obj; *p; p++)
			h = (h ^ (u8)*p) * 1099511628211ull;
	}
	for (const char *p = name; *p; p++)
		h = (h ^ (u8)*p) * 1099511628211ull;
	h ^= sympos;
	if (h % 13 == 0)
		return -ENOENT;
	if (h % 17 == 0)
		return -EINVAL;
	/* Kernel text range, so PC32 from the module area usually fits. */
	*addr = 0xffffffff81000000ull + (h & 0xffffff);
	return 0;
}

static void exercise(const struct elf_info *info, const u8 *img)
{
	static const char *const keys[] = { "name", "license", "depends", "version", "livepatch", "" };
	static const u8 build_id[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
	u64 *addr = calloc(info->nsec, sizeof(u64));
	void **copy = calloc(info->nsec, sizeof(void *));
	char why[128], obj[KLP_OBJNAME_LEN], name[KLP_SYMNAME_LEN];
	u64 base = 0xffffffffc0000000ull, val;
	unsigned long pos;

	for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (const char *v = NULL; (v = elf_modinfo_get(info, keys[i], v));)
			(void)strlen(v);
	(void)elf_mcount_count(info);
	(void)elf_check_build_id(info, build_id, sizeof(build_id), why, sizeof(why));
	for (unsigned int i = 0; i < info->nsec; i++)
		(void)strlen(elf_sec_name(info, i));
	for (unsigned int i = 1; i < info->nsyms; i++) {
		const char *s = elf_sym_name(info, &info->syms[i]);

		if (!klp_parse_sym_name(s, obj, sizeof(obj), name, sizeof(name), &pos))
			CHECK(*obj && *name && !strchr(obj, '.') && !strchr(name, ','));
	}

	/* Lay out every allocated section as a loader would. */
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *s = &info->shdrs[i];
		u64 align = s->sh_addralign > 1 ? s->sh_addralign : 1;

		if (!(s->sh_flags & SHF_ALLOC))
			continue;
		base = (base + align - 1) & ~(align - 1);
		addr[i] = base;
		base += s->sh_size;
		copy[i] = malloc(s->sh_size ? s->sh_size : 1);
		if (s->sh_type == SHT_NOBITS)
			memset(copy[i], 0, s->sh_size);
		else
			memcpy(copy[i], img + s->sh_offset, s->sh_size);
	}
	(void)elf_relocate(info, addr, copy, fake_resolve, NULL, why, sizeof(why));
	for (unsigned int i = 1; i < info->nsyms; i++)
		(void)elf_symbol_value(info, i, addr, fake_resolve, NULL, &val, why, sizeof(why));
	for (unsigned int i = 0; i < info->nsec; i++)
		free(copy[i]);
	free(copy);
	free(addr);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	/* malloc's alignment satisfies elf_check's 8 bytes, and the exact size
	 * makes every read past the image an ASan report. */
	u8 *img = malloc(size ? size : 1);
	struct elf_info info;
	char why[128];

	memcpy(img, data, size);
	if (!elf_check(img, size, &info, why, sizeof(why)))
		exercise(&info, img);
	else
		CHECK(why[0]);
	free(img);
	return 0;
}
