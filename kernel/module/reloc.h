/* Relocation of a validated patch object (see elf_check.h). The caller
 * chooses where each allocated section will live and gives a writable copy
 * of each; elf_relocate() patches the copies. It allocates nothing, so the
 * loader decides memory layout and protections (W^X) around it. */
#pragma once
#include "elf_check.h"

/* Resolves an undefined symbol to an address. obj is NULL for a plain
 * undefined symbol; for .klp.sym.<obj>.<name>,<sympos> it is the object
 * ("vmlinux" or a module) and sympos the position (0: must be unique).
 * Returns 0, -ENOENT when unknown or -EINVAL when ambiguous, or
 * ELF_RESOLVE_LATER: elf_relocate() then leaves every relocation against
 * that symbol as it is, for the caller to apply later (a livepatch's
 * relocations against a module that is not loaded: late binding). */
#define ELF_RESOLVE_LATER 1
typedef int (*elf_resolve_fn)(void *ctx, const char *obj, const char *name,
			      unsigned long sympos, u64 *addr);

/* The bytes (*len: 4 or 8) that relocation type puts in its field at p for
 * symbol value s: 0, -EOVERFLOW when the value does not fit, -ENOEXEC for
 * an unsupported type. */
int elf_reloc_field(u32 type, u64 s, s64 addend, u64 p, u8 field[8], size_t *len);

/* addr[i] is the run-time address of section i and copy[i] its writable
 * copy, for every SHF_ALLOC section (others are ignored and may be 0/NULL).
 * Applies every SHT_RELA section whose target is allocated; relocations for
 * unallocated sections (debug info) are skipped. Returns 0, -ENOENT/-EINVAL
 * from the resolver, -EOVERFLOW when a value does not fit its field, or
 * -ENOEXEC for a symbol in an unallocated section; why says where. */
int elf_relocate(const struct elf_info *info, const u64 *addr, void *const *copy,
		 elf_resolve_fn resolve, void *ctx, char *why, size_t whylen);

/* Value of symbol idx after layout (addr as above); same errors. */
int elf_symbol_value(const struct elf_info *info, unsigned int idx, const u64 *addr,
		     elf_resolve_fn resolve, void *ctx, u64 *val, char *why, size_t whylen);
