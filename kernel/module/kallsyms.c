/* A loaded module's own symbol table, for %pS, the tracer's site names,
 * livepatch's .klp.sym lookups and other blobs' undefined symbols: copied
 * out of the blob (whose image is gone after the load) and kept sorted by
 * address, so lookups by address are a binary search. */
#include "internal.h"
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/rcupdate.h>

bool module_lookup_addr(unsigned long addr, const struct module_sym **sym, const char **modname)
{
	struct module *m = module_of_addr(addr);
	if (!m || !m->nsyms)
		return false;
	/* last symbol starting at or before addr */
	unsigned int lo = 0, hi = m->nsyms;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (unsigned int i = lo; i-- > 0 && lo - i <= 8;) {
		const struct module_sym *s = &m->syms[i];
		if (addr - s->addr < s->size || (!s->size && addr == s->addr)) {
			*sym = s;
			if (modname)
				*modname = m->name;
			return true;
		}
	}
	return false;
}

/* sympos counts symbols of that name in address order, within one module
 * (mod) or over all LIVE modules (mod NULL, newest module first): a module
 * still in its init or already in its exit is not there for lookups by
 * name (livepatch names its module explicitly, COMING included). The walk is
 * an RCU read section (callers such as livepatch's hold only their own
 * module, not module_mutex); *sym stays valid while the caller keeps its
 * module (a reference, module_mutex, or a read section of its own around
 * both). */
int module_lookup_name(struct module *mod, const char *name, unsigned long sympos,
		       const struct module_sym **sym)
{
	const struct module_sym *found = NULL;
	unsigned long n = 0;
	struct module *m;

	rcu_read_lock();
	list_for_each_entry_rcu(m, &module_list, list) {
		if (mod ? m != mod : READ_ONCE(m->state) != MODULE_STATE_LIVE)
			continue;
		for (unsigned int i = 0; i < m->nsyms; i++)
			if (!strcmp(m->syms[i].name, name)) {
				n++;
				if (n == sympos || (!sympos && n == 1))
					found = &m->syms[i];
			}
	}
	rcu_read_unlock();
	if (!n || !found)
		return -ENOENT;
	if (!sympos && n > 1)
		return -EINVAL;
	*sym = found;
	return 0;
}

static char sym_letter(const struct elf_info *info, const Elf64_Sym *s)
{
	const Elf64_Shdr *sh = &info->shdrs[s->st_shndx];
	char c = (sh->sh_flags & SHF_EXECINSTR) ? 't' :
		 (sh->sh_flags & SHF_WRITE) ? (sh->sh_type == SHT_NOBITS ? 'b' : 'd') : 'r';
	if (ELF64_ST_BIND(s->st_info) != STB_LOCAL)
		c -= 'a' - 'A';
	return c;
}

static bool keep_sym(const struct elf_info *info, const Elf64_Sym *s)
{
	unsigned int t = ELF64_ST_TYPE(s->st_info);
	const char *name = elf_sym_name(info, s);
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE || !*name)
		return false;
	if (t != STT_FUNC && t != STT_OBJECT && t != STT_NOTYPE)
		return false;
	if (name[0] == '.' && name[1] == 'L')
		return false;
	return (info->shdrs[s->st_shndx].sh_flags & SHF_ALLOC) != 0;
}

int module_build_symtab(struct module *mod, const struct elf_info *info, const u64 *addr)
{
	unsigned int n = 0;
	size_t strsz = 0;
	for (unsigned int i = 1; i < info->nsyms; i++)
		if (keep_sym(info, &info->syms[i])) {
			n++;
			strsz += strlen(elf_sym_name(info, &info->syms[i])) + 1;
		}
	mod->syms = kmalloc(n * sizeof(*mod->syms) + 1);
	mod->strtab = kmalloc(strsz + 1);
	if (!mod->syms || !mod->strtab)
		return -ENOMEM;
	char *p = mod->strtab;
	unsigned int k = 0;
	for (unsigned int i = 1; i < info->nsyms; i++) {
		const Elf64_Sym *s = &info->syms[i];
		if (!keep_sym(info, s))
			continue;
		const char *name = elf_sym_name(info, s);
		size_t len = strlen(name) + 1;
		memcpy(p, name, len);
		struct module_sym ms = {
			.addr = addr[s->st_shndx] + s->st_value,
			.size = s->st_size,
			.name = p,
			.type = sym_letter(info, s),
		};
		p += len;
		/* insertion by address: patch modules are small */
		unsigned int j = k++;
		while (j && mod->syms[j - 1].addr > ms.addr) {
			mod->syms[j] = mod->syms[j - 1];
			j--;
		}
		mod->syms[j] = ms;
	}
	mod->nsyms = n;
	return 0;
}

/* Named symbol defined by the object (init_module, cleanup_module). */
unsigned long module_defined_sym(const struct elf_info *info, const u64 *addr, const char *name,
				 bool func)
{
	for (unsigned int i = 1; i < info->nsyms; i++) {
		const Elf64_Sym *s = &info->syms[i];
		if (keep_sym(info, s) && ELF64_ST_BIND(s->st_info) != STB_LOCAL &&
		    (!func || (info->shdrs[s->st_shndx].sh_flags & SHF_EXECINSTR)) &&
		    !strcmp(elf_sym_name(info, s), name))
			return addr[s->st_shndx] + s->st_value;
	}
	return 0;
}
