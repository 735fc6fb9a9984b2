/* Symbol resolution for the loader, decided before the first allocation:
 * every undefined and .klp.sym symbol of a blob and every depends= entry
 * must name something loaded now, and whatever a blob's symbols bind to is
 * recorded as a dependency, so rmmod refuses to pull a module out from
 * under its users. Only LIVE modules count (Linux's strong_try_module_get):
 * a COMING one may still fail its init and a GOING one is running its exit,
 * and either is freed next, whatever a dependency says. All of this runs
 * under module_mutex, under which rmmod moves a module from LIVE to GOING. */
#include "internal.h"
#include "reloc.h"
#include <kelp/ksyms.h>
#include <kelp/string.h>
#include <kelp/errno.h>

static void add_dep(struct module_load_ctx *c, struct module *m)
{
	for (unsigned int i = 0; i < c->ndeps; i++)
		if (c->deps[i] == m)
			return;
	if (c->ndeps == MODULE_MAX_DEPENDS)
		c->dep_overflow = true;
	else
		c->deps[c->ndeps++] = m;
}

/* Plain undefined symbols: a global kernel symbol, else a global symbol of
 * a live module. .klp.sym: the Nth symbol of that name in vmlinux or in
 * the named module, locals included (that is their point). */
int module_resolve(void *arg, const char *obj, const char *name, unsigned long sympos, u64 *addr)
{
	struct module_load_ctx *c = arg;
	struct ksym ks;

	if (!obj) {
		if (!strcmp(name, "__this_module")) {
			*addr = c->this_module;
			return 0;
		}
		unsigned long n = ksym_count_name(name), globals = 0;
		for (unsigned long pos = 1; pos <= n; pos++)
			if (!ksym_lookup_name(name, pos, &ks) && ks.global) {
				globals++;
				*addr = ks.addr;
			}
		if (globals == 1)
			return 0;
		if (globals > 1)
			return -EINVAL;
		struct module *m, *dying = NULL;
		const struct module_sym *found = NULL;
		list_for_each_entry(m, &module_list, list) {
			bool live = m->state == MODULE_STATE_LIVE;
			for (unsigned int i = 0; i < m->nsyms; i++) {
				const struct module_sym *s = &m->syms[i];
				if (s->type < 'A' || s->type > 'Z' || strcmp(s->name, name))
					continue;
				if (!live) {
					dying = m;
					continue;
				}
				if (found)
					return -EINVAL;
				found = s;
				add_dep(c, m);
			}
		}
		if (!found && dying) {
			c->not_live = dying;
			return -EBUSY;
		}
		if (!found)
			return -ENOENT;
		*addr = found->addr;
		return 0;
	}
	if (!strcmp(obj, "vmlinux")) {
		/* The kernel's own symbols only: ksym_lookup_name() falls back
		 * to modules, which would bind to a module without recording
		 * the dependency. */
		if (!ksym_count_name(name))
			return -ENOENT;
		int err = ksym_lookup_name(name, sympos, &ks);
		if (!err)
			*addr = ks.addr;
		return err;
	}
	/* A livepatch's relocations against a module wait for it (late
	 * binding): it neither needs nor pins the module it patches. */
	if (c->klp && module_late_obj(obj))
		return ELF_RESOLVE_LATER;
	struct module *m = find_module(obj);
	if (!m)
		return -ENOENT;
	if (m->state != MODULE_STATE_LIVE) {
		c->not_live = m;
		return -EBUSY;
	}
	const struct module_sym *s;
	int err = module_lookup_name(m, name, sympos, &s);
	if (!err) {
		*addr = s->addr;
		add_dep(c, m);
	}
	return err;
}

/* Every undefined and .klp.sym symbol must resolve now, before anything is
 * allocated (with module addresses not known yet, THIS_MODULE resolves to
 * a stand-in). */
int module_resolve_all(const struct elf_info *info, struct module_load_ctx *c, char *why,
		       size_t whylen)
{
	for (unsigned int i = 1; i < info->nsyms; i++) {
		u16 sh = info->syms[i].st_shndx;
		u64 v;
		if (sh != SHN_UNDEF && sh != SHN_LIVEPATCH)
			continue;
		int err = elf_symbol_value(info, i, NULL, module_resolve, c, &v, why, whylen);
		if (err == ELF_RESOLVE_LATER)
			continue;
		if (err && c->not_live)
			WHY("%s: module %s is %s, not live", elf_sym_name(info, &info->syms[i]),
			    c->not_live->name, module_state_name(c->not_live->state));
		if (err)
			return err;
	}
	return 0;
}

int module_check_depends(const struct elf_info *info, struct module_load_ctx *c, char *why,
			 size_t whylen)
{
	const char *dep = NULL;
	while ((dep = elf_modinfo_get(info, "depends", dep))) {
		/* "a,b" as in Linux, or one name per entry */
		const char *p = dep;
		while (*p) {
			char name[MODULE_NAME_LEN];
			size_t n = 0;
			while (p[n] && p[n] != ',')
				n++;
			if (n) {
				if (n >= sizeof(name)) {
					WHY("bad depends= entry");
					return -ENOEXEC;
				}
				memcpy(name, p, n);
				name[n] = 0;
				struct module *m = find_module(name);
				if (!m) {
					WHY("depends on %s, which is not loaded", name);
					return -ENOENT;
				}
				if (m->state != MODULE_STATE_LIVE) {
					WHY("depends on %s, which is %s, not live", name,
					    module_state_name(m->state));
					return -EBUSY;
				}
				add_dep(c, m);
			}
			p += n;
			if (*p == ',')
				p++;
		}
	}
	return 0;
}
