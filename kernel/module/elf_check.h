/* Validation of patch blob payloads: ELF64 x86-64 relocatable objects.
 * elf_check() looks at every header, table and index a loader will later
 * trust, before anything is allocated, and fills struct elf_info with
 * pointers into the (unmodified) image. Also the small parsers a loader
 * needs on top: .klp.sym.* names, .modinfo, __mcount_loc, .kelp.build_id. */
#pragma once
#include <kelp/elf.h>

/* Limits on what a blob may contain; generous for a patch, small enough
 * that a hostile blob cannot make the kernel do much work or allocate much. */
#define ELF_MAX_IMAGE (1u << 20)	/* bytes of ELF payload */
#define ELF_MAX_SECTIONS 256
#define ELF_MAX_SYMBOLS 16384
#define ELF_MAX_RELOCS 65536		/* over all relocation sections */
#define ELF_MAX_ALLOC (4u << 20)	/* sum of allocated section sizes, .bss included */
#define ELF_MAX_ALIGN 4096

#define KLP_SYM_PREFIX ".klp.sym."
#define KLP_OBJNAME_LEN 64
#define KLP_SYMNAME_LEN 128

#define ELF_BUILD_ID_SECTION ".kelp.build_id"

struct elf_info {
	const u8 *image;
	size_t len;
	const Elf64_Ehdr *ehdr;
	const Elf64_Shdr *shdrs;
	unsigned int nsec;
	const char *shstrtab;
	unsigned int symtab;		/* section index of the one SHT_SYMTAB */
	const Elf64_Sym *syms;
	unsigned int nsyms;
	const char *strtab;		/* symbol names; NUL-terminated at its end */
	unsigned int nrelocs;		/* over all SHT_RELA sections */
	size_t alloc_size;		/* sum of allocated sizes (unaligned) */
	int modinfo;			/* section indexes, or -1 when absent */
	int mcount_loc;
	int build_id;
};

/* Returns 0 and fills *info when the image is a well-formed ELF64 x86-64
 * ET_REL object within the limits above; otherwise a negative errno
 * (-ENOEXEC for a malformed or unsupported object, -EFBIG over a limit,
 * -EINVAL for a bad argument) and a one-line reason in why. The image must
 * be 8-byte aligned (its tables are read in place). */
int elf_check(const void *image, size_t len, struct elf_info *info, char *why, size_t whylen);

const char *elf_sec_name(const struct elf_info *info, unsigned int idx);
const char *elf_sym_name(const struct elf_info *info, const Elf64_Sym *sym);
/* Index of the first section called name, or -1. */
int elf_find_section(const struct elf_info *info, const char *name);
static inline const void *elf_sec_data(const struct elf_info *info, unsigned int idx)
{
	return info->image + info->shdrs[idx].sh_offset;
}

/* Splits ".klp.sym.<object>.<name>,<sympos>" (object: no dots; name: may
 * contain dots; sympos: decimal, 0 = the symbol must be unique). -EINVAL when
 * malformed or a part does not fit its buffer. */
int klp_parse_sym_name(const char *s, char *obj, size_t objlen, char *name, size_t namelen,
		       unsigned long *sympos);

/* Looks a key up in .modinfo ("key=value\0" strings): returns the value of
 * the first entry after `after` (NULL: from the start), so repeated keys
 * such as depends= can be walked; NULL when there is no (further) entry. */
const char *elf_modinfo_get(const struct elf_info *info, const char *key, const char *after);

/* Number of 8-byte fentry site entries in __mcount_loc (0 if absent). The
 * entries are only meaningful after relocation, in the loaded copy. */
static inline unsigned int elf_mcount_count(const struct elf_info *info)
{
	return info->mcount_loc < 0 ? 0 : info->shdrs[info->mcount_loc].sh_size / 8;
}

/* Compares the blob's .kelp.build_id contents with the running kernel's
 * build ID: 0 on a match, -ENOEXEC with a reason when absent or different. */
int elf_check_build_id(const struct elf_info *info, const u8 *id, size_t idlen, char *why,
		       size_t whylen);
