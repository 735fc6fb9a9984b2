/* Late binding of a livepatch's relocations against other modules (Linux's
 * klp_apply_object_relocs / klp_clear_object_relocs, done by the loader):
 * a livepatch module's .klp.sym.<module>.* relocations are recorded at its
 * load instead of being resolved then, applied while the module they name
 * is listed and cleared back to the bytes the blob carried when that module
 * goes, so they are applied again if it comes back at another address.
 * "Listed" includes GOING until the loader's last step: livepatch may
 * still patch a module whose exit runs (Linux's klp_alive), and code that
 * patches it must find its relocations applied; they are cleared after
 * livepatch's going hook, in the same module_mutex section that unlists
 * the module, so none stays applied to a module that is freed. A livepatch therefore does not depend on, or pin, the
 * modules it patches. Everything here runs under module_mutex, under which
 * modules are listed and change state.
 *
 * The fields are in the livepatch's protected text or rodata: they are
 * written through text_poke(), as ftrace writes its sites. */
#define pr_fmt(fmt) "module: " fmt
#include "internal.h"
#include "reloc.h"
#include <kelp/text_poke.h>
#include <kelp/mm.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

struct module_late_reloc {
	unsigned long where; /* run-time address of the field */
	s64 addend;
	u32 type;
	u8 len; /* 4 or 8 bytes */
	bool applied;
	u8 orig[8]; /* the field as the blob carried it */
	unsigned long sympos;
	char obj[MODULE_NAME_LEN];
	char name[KLP_SYMNAME_LEN];
};

bool module_late_obj(const char *obj)
{
	return strcmp(obj, "vmlinux") && !module_find_builtin(obj);
}

/* Whether relocation r of a livepatch names a late-bound module symbol;
 * fills obj, name and pos. */
static bool late_sym(const struct elf_info *info, const Elf64_Rela *r, char *obj, char *name,
		     unsigned long *pos)
{
	const Elf64_Sym *sym = &info->syms[ELF64_R_SYM(r->r_info)];
	if (sym->st_shndx != SHN_LIVEPATCH)
		return false;
	if (klp_parse_sym_name(elf_sym_name(info, sym), obj, MODULE_NAME_LEN, name, KLP_SYMNAME_LEN,
			       pos))
		return false; /* elf_check() refused those already */
	return module_late_obj(obj);
}

static int field_len(u32 type)
{
	switch (type) {
	case R_X86_64_64:
		return 8;
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		return 4;
	default:
		return 0;
	}
}

/* Two passes over the relocation sections: count, then fill. */
static unsigned int late_scan(struct module *mod, const struct elf_info *info, const u64 *addr,
			      void *const *copy, struct module_late_reloc *out)
{
	char obj[MODULE_NAME_LEN], name[KLP_SYMNAME_LEN];
	unsigned long pos;
	unsigned int n = 0;
	(void)mod;
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *rs = &info->shdrs[i];
		unsigned int tsec = rs->sh_info;
		if (rs->sh_type != SHT_RELA || !(info->shdrs[tsec].sh_flags & SHF_ALLOC))
			continue;
		const Elf64_Rela *r = elf_sec_data(info, i);
		for (u64 j = 0; j < rs->sh_size / sizeof(*r); j++) {
			if (!late_sym(info, &r[j], obj, name, &pos))
				continue;
			if (out) {
				struct module_late_reloc *l = &out[n];
				l->where = addr[tsec] + r[j].r_offset;
				l->addend = r[j].r_addend;
				l->type = ELF64_R_TYPE(r[j].r_info);
				l->len = field_len(l->type);
				l->applied = false;
				l->sympos = pos;
				memcpy(l->orig, (u8 *)copy[tsec] + r[j].r_offset, l->len);
				strlcpy(l->obj, obj, sizeof(l->obj));
				strlcpy(l->name, name, sizeof(l->name));
			}
			n++;
		}
	}
	return n;
}

int module_late_relocs_record(struct module *mod, const struct elf_info *info, const u64 *addr,
			      void *const *copy, char *why, size_t whylen)
{
	unsigned int n = late_scan(mod, info, addr, copy, NULL);
	if (!n)
		return 0;
	mod->late_relocs = kmalloc(n * sizeof(*mod->late_relocs));
	if (!mod->late_relocs) {
		WHY("out of memory (late relocations)");
		return -ENOMEM;
	}
	late_scan(mod, info, addr, copy, mod->late_relocs);
	mod->nr_late_relocs = n;
	for (unsigned int k = 0; k < n; k++)
		if (!mod->late_relocs[k].len) {
			WHY("unsupported relocation type %u against .klp.sym.%s.%s",
			    mod->late_relocs[k].type, mod->late_relocs[k].obj,
			    mod->late_relocs[k].name);
			return -ENOEXEC;
		}
	return 0;
}

static void late_clear(struct module *lp, const char *target)
{
	for (unsigned int k = 0; k < lp->nr_late_relocs; k++) {
		struct module_late_reloc *l = &lp->late_relocs[k];
		if (!l->applied || strcmp(l->obj, target))
			continue;
		if (text_poke((void *)l->where, l->orig, NULL, l->len))
			pr_err("%s: cannot clear its relocation against %s.%s\n", lp->name, l->obj,
			       l->name);
		l->applied = false;
	}
}

/* All of lp's relocations against target, or none (-errno, why says why). */
static int late_apply(struct module *lp, struct module *target, char *why, size_t whylen)
{
	for (unsigned int k = 0; k < lp->nr_late_relocs; k++) {
		struct module_late_reloc *l = &lp->late_relocs[k];
		const struct module_sym *s;
		u8 field[8];
		size_t len;
		if (l->applied || strcmp(l->obj, target->name))
			continue;
		int err = module_lookup_name(target, l->name, l->sympos, &s);
		if (err) {
			WHY("livepatch %s: %s symbol %s in module %s", lp->name,
			    err == -EINVAL ? "ambiguous" : "no", l->name, target->name);
		} else {
			err = elf_reloc_field(l->type, s->addr, l->addend, l->where, field, &len);
			if (err)
				WHY("livepatch %s: relocation against %s.%s overflows", lp->name,
				    target->name, l->name);
			else if ((err = text_poke((void *)l->where, field, NULL, len)))
				WHY("livepatch %s: cannot write its relocation against %s.%s",
				    lp->name, target->name, l->name);
		}
		if (err) {
			late_clear(lp, target->name);
			return err;
		}
		l->applied = true;
	}
	return 0;
}

int module_late_relocs_bind(struct module *lp, char *why, size_t whylen)
{
	for (unsigned int k = 0; k < lp->nr_late_relocs; k++) {
		struct module *t = find_module(lp->late_relocs[k].obj);
		if (!t || lp->late_relocs[k].applied)
			continue;
		int err = late_apply(lp, t, why, whylen);
		if (err)
			return err; /* lp is freed next: nothing to clear */
	}
	return 0;
}

int module_late_relocs_coming(struct module *target, char *why, size_t whylen)
{
	struct module *m;
	list_for_each_entry(m, &module_list, list) {
		if (m == target || !m->nr_late_relocs || m->state == MODULE_STATE_UNFORMED)
			continue;
		int err = late_apply(m, target, why, whylen);
		if (err) {
			module_late_relocs_going(target);
			return err;
		}
	}
	return 0;
}

void module_late_relocs_going(struct module *target)
{
	struct module *m;
	list_for_each_entry(m, &module_list, list)
		if (m != target && m->nr_late_relocs)
			late_clear(m, target->name);
}
