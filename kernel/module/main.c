/* The module loader: turns a signed patch blob into running code.
 *
 * Order matters. Everything that can be decided from the blob alone is
 * decided before the first allocation: size, signature, build ID, ELF
 * structure, name, dependencies and every undefined symbol. Only then are
 * the regions allocated in the module area (within rel32 reach of kernel
 * text), filled, relocated and protected W^X; the module's symbols and
 * fentry sites are registered, its parameters applied and its init run.
 * Any failure after allocation unwinds every step, so the heap and the
 * frame allocator end where they started.
 *
 * struct module lives at the start of the module's own data region: module
 * code references THIS_MODULE (&__this_module) with 32-bit sign-extended
 * relocations, which only reach the top 2 GiB.
 *
 * Built-in modules (KELP_MODULE, compiled into the kernel) share the list:
 * listed UNFORMED from boot, COMING/LIVE/GOING between module_builtin_load()
 * and module_unload(), with the same livepatch hooks, references and rmmod
 * checks as a blob; they are never freed. */
#define pr_fmt(fmt) "module: " fmt
#include <kelp/module.h>
#include "signature.h"
#include "elf_check.h"
#include "reloc.h"
#include <kelp/ksyms.h>
#include <kelp/ftrace.h>
#include <kelp/mm.h>
#include <kelp/mutex.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>

DEFINE_MUTEX(module_mutex);
static LIST_HEAD(modules);
static size_t nr_modules;
static const struct module_notifier_ops *notifier;

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

const char *module_state_name(enum module_state s)
{
	switch (s) {
	case MODULE_STATE_LIVE: return "live";
	case MODULE_STATE_COMING: return "coming";
	case MODULE_STATE_GOING: return "going";
	default: return "unformed";
	}
}

/* ---- lookups ---- */

/* Names are unique among loaded modules only: an unloaded built-in does
 * not reserve its name, so a blob port of a selftest module may carry the
 * name of the built-in version (which then cannot load until it goes). */
struct module *find_module(const char *name)
{
	struct module *m;
	list_for_each_entry(m, &modules, list)
		if (m->state != MODULE_STATE_UNFORMED && !strcmp(m->name, name))
			return m;
	return NULL;
}

static struct module *find_builtin(const char *name)
{
	struct module *m;
	list_for_each_entry(m, &modules, list)
		if (m->builtin && !strcmp(m->name, name))
			return m;
	return NULL;
}

struct module *module_lookup_any(const char *name)
{
	struct module *m = find_module(name);
	return m ? m : find_builtin(name);
}

static bool region_has(const struct module_region *r, unsigned long addr)
{
	return r->base && addr >= (unsigned long)r->base &&
	       addr - (unsigned long)r->base < r->pages * PAGE_SIZE;
}

/* Readers may be interrupt handlers or the panic path: the list only
 * changes with interrupts off (one CPU; SMP needs RCU here). */
notrace struct module *module_of_addr(unsigned long addr)
{
	struct module *m;
	if (addr < MODULES_VADDR || addr >= MODULES_VADDR + MODULES_SIZE)
		return NULL;
	list_for_each_entry(m, &modules, list)
		for (int i = 0; i < MOD_NR_REGIONS; i++)
			if (region_has(&m->region[i], addr))
				return m;
	return NULL;
}

notrace bool is_module_address(unsigned long addr)
{
	return module_of_addr(addr) != NULL;
}

notrace bool is_module_text_address(unsigned long addr)
{
	struct module *m = module_of_addr(addr);
	return m && region_has(&m->region[MOD_TEXT], addr);
}

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
 * (mod) or over all modules (mod NULL, newest module first). */
int module_lookup_name(struct module *mod, const char *name, unsigned long sympos,
		       const struct module_sym **sym)
{
	const struct module_sym *found = NULL;
	unsigned long n = 0;
	struct module *m;

	list_for_each_entry(m, &modules, list) {
		if (mod && m != mod)
			continue;
		for (unsigned int i = 0; i < m->nsyms; i++)
			if (!strcmp(m->syms[i].name, name)) {
				n++;
				if (n == sympos || (!sympos && n == 1))
					found = &m->syms[i];
			}
	}
	if (!n || !found)
		return -ENOENT;
	if (!sympos && n > 1)
		return -EINVAL;
	*sym = found;
	return 0;
}

void module_for_each(bool (*fn)(struct module *mod, void *arg), void *arg)
{
	struct module *m;
	mutex_lock(&module_mutex);
	list_for_each_entry(m, &modules, list)
		if (!fn(m, arg))
			break;
	mutex_unlock(&module_mutex);
}

size_t module_count(void)
{
	return READ_ONCE(nr_modules);
}

bool try_module_get(struct module *mod)
{
	if (!mod)
		return true;
	enum module_state st = READ_ONCE(mod->state);
	if (st == MODULE_STATE_GOING || st == MODULE_STATE_UNFORMED)
		return false;
	__atomic_add_fetch(&mod->refcnt, 1, __ATOMIC_ACQ_REL);
	return true;
}

void module_put(struct module *mod)
{
	if (mod)
		__atomic_sub_fetch(&mod->refcnt, 1, __ATOMIC_ACQ_REL);
}

int module_refcount(struct module *mod)
{
	return __atomic_load_n(&mod->refcnt, __ATOMIC_ACQUIRE);
}

/* ---- livepatch hooks ---- */

void module_set_notifier(const struct module_notifier_ops *ops)
{
	WRITE_ONCE(notifier, ops);
}

int module_notify_coming(struct module *mod)
{
	const struct module_notifier_ops *n = READ_ONCE(notifier);
	return n && n->coming ? n->coming(mod) : 0;
}

void module_notify_going(struct module *mod)
{
	const struct module_notifier_ops *n = READ_ONCE(notifier);
	if (n && n->going)
		n->going(mod);
}

/* ---- validation before any allocation ---- */

static bool valid_name(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return n > 0 && n < MODULE_NAME_LEN;
}

struct load_ctx {
	struct module *mod;		/* NULL in the pre-pass */
	unsigned long this_module;	/* address THIS_MODULE resolves to */
	struct module *deps[MODULE_MAX_DEPENDS];
	unsigned int ndeps;
	bool dep_overflow;
};

static void add_dep(struct load_ctx *c, struct module *m)
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
static int resolve(void *arg, const char *obj, const char *name, unsigned long sympos, u64 *addr)
{
	struct load_ctx *c = arg;
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
		struct module *m;
		const struct module_sym *found = NULL;
		list_for_each_entry(m, &modules, list) {
			if (m->state != MODULE_STATE_LIVE)
				continue;
			for (unsigned int i = 0; i < m->nsyms; i++) {
				const struct module_sym *s = &m->syms[i];
				if (s->type >= 'A' && s->type <= 'Z' && !strcmp(s->name, name)) {
					if (found)
						return -EINVAL;
					found = s;
					add_dep(c, m);
				}
			}
		}
		if (!found)
			return -ENOENT;
		*addr = found->addr;
		return 0;
	}
	if (!strcmp(obj, "vmlinux")) {
		int err = ksym_lookup_name(name, sympos, &ks);
		if (!err)
			*addr = ks.addr;
		return err;
	}
	struct module *m = find_module(obj);
	if (!m)
		return -ENOENT;
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
static int resolve_all(const struct elf_info *info, struct load_ctx *c, char *why, size_t whylen)
{
	for (unsigned int i = 1; i < info->nsyms; i++) {
		u16 sh = info->syms[i].st_shndx;
		u64 v;
		if (sh != SHN_UNDEF && sh != SHN_LIVEPATCH)
			continue;
		int err = elf_symbol_value(info, i, NULL, resolve, c, &v, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

static int check_depends(const struct elf_info *info, struct load_ctx *c, char *why,
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
				if (!m || m->state != MODULE_STATE_LIVE) {
					WHY("depends on %s, which is not loaded", name);
					return -ENOENT;
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

/* ---- layout ---- */

static int region_of(const Elf64_Shdr *sh)
{
	if (sh->sh_flags & SHF_EXECINSTR)
		return MOD_TEXT;
	if (sh->sh_flags & SHF_WRITE)
		return MOD_DATA;
	return MOD_RODATA;
}

static const int region_flags[MOD_NR_REGIONS] = {
	[MOD_TEXT] = VM_READ | VM_EXEC,
	[MOD_RODATA] = VM_READ,
	[MOD_DATA] = VM_READ | VM_WRITE,
};

struct layout {
	size_t size[MOD_NR_REGIONS];
	u64 *off;	/* per section: offset in its region */
};

static void compute_layout(const struct elf_info *info, struct layout *l)
{
	/* struct module first in the data region */
	l->size[MOD_DATA] = ALIGN_UP(sizeof(struct module), 64);
	for (unsigned int i = 1; i < info->nsec; i++) {
		const Elf64_Shdr *sh = &info->shdrs[i];
		if (!(sh->sh_flags & SHF_ALLOC))
			continue;
		int r = region_of(sh);
		size_t align = sh->sh_addralign > 1 ? sh->sh_addralign : 1;
		l->size[r] = ALIGN_UP(l->size[r], align);
		l->off[i] = l->size[r];
		l->size[r] += sh->sh_size;
	}
}

static void free_regions(struct module_region *reg)
{
	for (int i = MOD_NR_REGIONS - 1; i >= 0; i--)
		if (reg[i].base) {
			void *base = reg[i].base;
			size_t pages = reg[i].pages;
			reg[i].base = NULL;
			module_free_pages(base, pages);
		}
}

/* ---- the module's own symbols ---- */

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

static int build_symtab(struct module *mod, const struct elf_info *info, const u64 *addr)
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
static unsigned long defined_sym(const struct elf_info *info, const u64 *addr, const char *name,
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

/* ---- sysfs: /sys/module/<name>/ ---- */

static int show_state(struct seq_file *m, void *data)
{
	seq_printf(m, "%s\n", module_state_name(((struct module *)data)->state));
	return 0;
}

static int show_refcnt(struct seq_file *m, void *data)
{
	seq_printf(m, "%d\n", READ_ONCE(((struct module *)data)->refcnt));
	return 0;
}

static int show_size(struct seq_file *m, void *data)
{
	seq_printf(m, "%zu\n", ((struct module *)data)->size);
	return 0;
}

static void sysfs_remove(struct module *mod);

/* All or nothing: a module without its sysfs files would load "fine" and
 * then be invisible to tools (the allocation-failure test found this). */
static int sysfs_add(struct module *mod)
{
	char path[PFS_PATH_MAX];
	snprintf(path, sizeof(path), "/sys/module/%s", mod->name);
	struct pfs_node *dir = pfs_mkdir_p(path);
	if (!dir || !pfs_create_file(dir, "initstate", 0444, show_state, NULL, mod) ||
	    !pfs_create_file(dir, "refcnt", 0444, show_refcnt, NULL, mod) ||
	    !pfs_create_file(dir, "coresize", 0444, show_size, NULL, mod) ||
	    (!mod->builtin && module_params_sysfs_add(mod, dir))) {
		sysfs_remove(mod);
		return -ENOMEM;
	}
	return 0;
}

static void sysfs_remove(struct module *mod)
{
	char path[PFS_PATH_MAX];
	snprintf(path, sizeof(path), "/sys/module/%s", mod->name);
	pfs_remove_path(path);
}

/* ---- load ---- */

static void list_insert(struct module *mod)
{
	unsigned long flags = arch_irq_save();
	list_add(&mod->list, &modules);
	nr_modules++;
	arch_irq_restore(flags);
}

static void list_remove(struct module *mod)
{
	unsigned long flags = arch_irq_save();
	list_del_init(&mod->list);
	nr_modules--;
	arch_irq_restore(flags);
}

/* Frees what a module holds besides its regions (struct module itself is
 * in the data region, so it goes last). */
static void free_module(struct module *mod)
{
	struct module_region reg[MOD_NR_REGIONS];
	module_free_params(mod);
	kfree(mod->syms);
	kfree(mod->strtab);
	kfree(mod->modinfo);
	kfree(mod->args);
	kfree(mod->sites);
	memcpy(reg, mod->region, sizeof(reg));
	free_regions(reg);
}

int module_load_opts(const void *blob, size_t len, const char *params,
		     const struct module_load_opts *opts, struct module **out, char *why,
		     size_t whylen)
{
	size_t plen = len;
	struct elf_info info;
	int err;

	if (out)
		*out = NULL;
	WHY("ok");
	if (!blob || !len) {
		WHY("empty blob");
		return -EINVAL;
	}
	if (len > MODULE_MAX_BLOB) {
		WHY("blob too large (%zu bytes, limit %u)", len, MODULE_MAX_BLOB);
		return -EFBIG;
	}
	if (params && strlen(params) >= MODULE_PARAMS_MAX) {
		WHY("parameters too long");
		return -E2BIG;
	}
	err = module_sig_check(blob, len, &plen, why, whylen);
	if (err) {
		if (module_sig_enforce)
			return err;
		pr_warn("loading a blob without a valid signature: %s\n", why);
		if (err != -ENODATA)
			plen = len - sizeof(struct module_sig_trailer) - ED25519_SIG_SIZE;
		else
			plen = len;
	}
	if ((unsigned long)blob & 7) {
		WHY("blob not 8-byte aligned");
		return -EINVAL;
	}
	err = elf_check(blob, plen, &info, why, whylen);
	if (err)
		return err;
	if (opts && opts->build_id) {
		err = elf_check_build_id(&info, opts->build_id, opts->build_id_len, why, whylen);
	} else {
		const u8 *id;
		size_t idlen;
		err = kernel_build_id(&id, &idlen);
		if (!err)
			err = elf_check_build_id(&info, id, idlen, why, whylen);
		else
			WHY("the kernel has no build ID");
	}
	if (err)
		return err;
	const char *name = elf_modinfo_get(&info, "name", NULL);
	if (!name) {
		WHY("no name= in .modinfo");
		return -ENOEXEC;
	}
	if (!valid_name(name)) {
		WHY("bad module name in .modinfo");
		return -ENOEXEC;
	}
	const char *lp = elf_modinfo_get(&info, "livepatch", NULL);
	int mc = info.mcount_loc;
	if (mc >= 0 && (info.shdrs[mc].sh_flags & SHF_WRITE)) {
		WHY("__mcount_loc is writable");
		return -ENOEXEC;
	}

	struct load_ctx ctx = { .this_module = MODULES_VADDR };
	mutex_lock(&module_mutex);
	struct module *same = find_module(name);
	if (same) {
		WHY("module %s is already loaded%s", name, same->builtin ? " (built-in)" : "");
		err = -EEXIST;
		goto out_unlock;
	}
	err = check_depends(&info, &ctx, why, whylen);
	if (!err)
		err = resolve_all(&info, &ctx, why, whylen);
	if (!err && ctx.dep_overflow) {
		WHY("depends on more than %d modules", MODULE_MAX_DEPENDS);
		err = -E2BIG;
	}
	if (err)
		goto out_unlock;

	/* ---- allocation starts here ---- */
	err = -ENOMEM;
	u64 *addr = kzalloc(info.nsec * sizeof(u64));
	void **copy = kzalloc(info.nsec * sizeof(void *));
	struct layout lay = { .off = kzalloc(info.nsec * sizeof(u64)) };
	struct module_region reg[MOD_NR_REGIONS] = {};
	struct module *mod = NULL;
	if (!addr || !copy || !lay.off) {
		WHY("out of memory");
		goto out_free_tmp;
	}
	compute_layout(&info, &lay);
	for (int r = 0; r < MOD_NR_REGIONS; r++) {
		if (!lay.size[r])
			continue;
		reg[r].pages = ALIGN_UP(lay.size[r], PAGE_SIZE) / PAGE_SIZE;
		reg[r].flags = region_flags[r];
		/* writable until filled and relocated, then protected */
		reg[r].base = module_alloc_pages(reg[r].pages, VM_READ | VM_WRITE);
		if (!reg[r].base) {
			WHY("out of module space (%zu pages)", reg[r].pages);
			free_regions(reg);
			goto out_free_tmp;
		}
	}
	mod = reg[MOD_DATA].base; /* zeroed pages */
	memcpy(mod->region, reg, sizeof(reg));
	strlcpy(mod->name, name, sizeof(mod->name));
	mod->state = MODULE_STATE_UNFORMED;
	INIT_LIST_HEAD(&mod->list);
	mod->klp = lp && (!strcmp(lp, "Y") || !strcmp(lp, "y"));
	for (int r = 0; r < MOD_NR_REGIONS; r++)
		mod->size += reg[r].pages * PAGE_SIZE;
	for (unsigned int i = 1; i < info.nsec; i++) {
		const Elf64_Shdr *sh = &info.shdrs[i];
		if (!(sh->sh_flags & SHF_ALLOC))
			continue;
		copy[i] = (u8 *)reg[region_of(sh)].base + lay.off[i];
		addr[i] = (u64)copy[i];
		if (sh->sh_type != SHT_NOBITS)
			memcpy(copy[i], elf_sec_data(&info, i), sh->sh_size);
	}
	if (info.modinfo >= 0) {
		size_t n = info.shdrs[info.modinfo].sh_size;
		mod->modinfo = kmalloc(n + 1);
		if (!mod->modinfo) {
			WHY("out of memory");
			goto out_free_mod;
		}
		memcpy(mod->modinfo, elf_sec_data(&info, info.modinfo), n);
		mod->modinfo[n] = 0;
		mod->modinfo_len = n;
	}

	ctx.this_module = (unsigned long)mod;
	ctx.mod = mod;
	err = elf_relocate(&info, addr, copy, resolve, &ctx, why, whylen);
	if (err)
		goto out_free_mod;
	memcpy(mod->depends, ctx.deps, sizeof(ctx.deps));
	mod->ndepends = ctx.ndeps;
	mod->init = (int (*)(void))defined_sym(&info, addr, "init_module", true);
	mod->exit = (void (*)(void))defined_sym(&info, addr, "cleanup_module", true);
	int ps = elf_find_section(&info, "__param");
	if (ps >= 0 && (info.shdrs[ps].sh_flags & SHF_ALLOC)) {
		if (info.shdrs[ps].sh_size % sizeof(struct kernel_param)) {
			WHY("malformed __param section");
			err = -ENOEXEC;
			goto out_free_mod;
		}
		mod->kp = copy[ps];
		mod->num_kp = info.shdrs[ps].sh_size / sizeof(struct kernel_param);
	}
	err = build_symtab(mod, &info, addr);
	if (err) {
		WHY("out of memory");
		goto out_free_mod;
	}

	/* W^X from here on: text RX, rodata R, data RW NX */
	for (int r = 0; r < MOD_NR_REGIONS; r++)
		if (reg[r].base && region_flags[r] != (VM_READ | VM_WRITE) &&
		    vmm_protect((unsigned long)reg[r].base, reg[r].pages * PAGE_SIZE,
				region_flags[r])) {
			WHY("cannot protect module memory");
			err = -ENOMEM;
			goto out_free_mod;
		}

	err = module_parse_params(mod, params ? params : "", why, whylen);
	if (err)
		goto out_free_mod;

	/* Visible from here: symbols (for %pS, the tracer's site names), sites. */
	mod->state = MODULE_STATE_COMING;
	list_insert(mod);
	size_t nsites = elf_mcount_count(&info);
	if (nsites) {
		const unsigned long *sites = copy[mc];
		for (size_t k = 0; k < nsites; k++)
			if (!region_has(&reg[MOD_TEXT], sites[k]) ||
			    sites[k] + 5 > (unsigned long)reg[MOD_TEXT].base + lay.size[MOD_TEXT]) {
				WHY("fentry site %#lx outside the module's text", sites[k]);
				err = -ENOEXEC;
				goto out_unlist;
			}
		err = ftrace_add_module_sites(mod, sites, nsites);
		if (err == -ENOMEM) {
			WHY("out of memory (fentry sites)");
			goto out_unlist;
		}
		if (err) {
			WHY("bad fentry sites (%d)", err);
			goto out_unlist;
		}
	}
	/* Before init, as Linux does: a failure here unwinds without running
	 * the module's exit. */
	err = sysfs_add(mod);
	if (err) {
		WHY("out of memory (sysfs files)");
		goto out_sites;
	}
	mutex_unlock(&module_mutex);

	/* Neither the livepatch hook nor init runs under module_mutex: both
	 * may look modules up. The COMING state keeps the name reserved. */
	err = module_notify_coming(mod);
	if (err) {
		WHY("refused by livepatch: %s (%d)", strerror(-err), err);
		goto out_going;
	}
	if (mod->init) {
		err = mod->init();
		if (err) {
			/* errno's text too: "init failed (-12)" alone does not
			 * tell a user that the kernel ran out of memory */
			WHY("%s: init failed: %s (%d)", mod->name, strerror(-err), err);
			module_notify_going(mod);
			goto out_going;
		}
	}
	mutex_lock(&module_mutex);
	mod->state = MODULE_STATE_LIVE;
	mutex_unlock(&module_mutex);
	kfree(addr);
	kfree(copy);
	kfree(lay.off);
	pr_info("loaded %s (%zu bytes, %u symbols, %u fentry sites%s)\n", mod->name, mod->size,
		mod->nsyms, mod->nr_sites, mod->klp ? ", livepatch" : "");
	WHY("loaded %s", mod->name);
	if (out)
		*out = mod;
	return 0;

out_going:
	mutex_lock(&module_mutex);
	mod->state = MODULE_STATE_GOING;
	sysfs_remove(mod);
out_sites:
	ftrace_remove_module_sites(mod);
out_unlist:
	list_remove(mod);
out_free_mod:
	free_module(mod);
out_free_tmp:
	kfree(addr);
	kfree(copy);
	kfree(lay.off);
out_unlock:
	mutex_unlock(&module_mutex);
	return err;
}

int module_load(const void *blob, size_t len, const char *params, struct module **out,
		char *why, size_t whylen)
{
	return module_load_opts(blob, len, params, NULL, out, why, whylen);
}

/* ---- unload ---- */

int module_unload(const char *name, char *why, size_t whylen)
{
	struct module *mod, *m;
	int err = 0;

	mutex_lock(&module_mutex);
	mod = find_module(name);
	if (!mod) {
		WHY("module %s is not loaded", name);
		err = -ENOENT;
		goto out;
	}
	if (mod->state != MODULE_STATE_LIVE) {
		WHY("module %s is %s", name, module_state_name(mod->state));
		err = -EBUSY;
		goto out;
	}
	list_for_each_entry(m, &modules, list)
		for (unsigned int i = 0; i < m->ndepends; i++)
			if (m->depends[i] == mod) {
				WHY("module %s is in use by %s", name, m->name);
				err = -EBUSY;
				goto out;
			}
	if (mod->klp && mod->klp_busy && mod->klp_busy(mod)) {
		WHY("livepatch %s is enabled or in transition", name);
		err = -EBUSY;
		goto out;
	}
	if (READ_ONCE(mod->refcnt) > 0) {
		WHY("module %s is in use (refcount %d)", name, mod->refcnt);
		err = -EBUSY;
		goto out;
	}
	if (ftrace_module_sites_busy(mod)) {
		WHY("module %s has functions in an ftrace filter", name);
		err = -EBUSY;
		goto out;
	}
	mod->state = MODULE_STATE_GOING;
	sysfs_remove(mod);
	mutex_unlock(&module_mutex);

	if (mod->exit)
		mod->exit();
	module_notify_going(mod);

	mutex_lock(&module_mutex);
	if (mod->builtin) {
		mod->state = MODULE_STATE_UNFORMED;
		nr_modules--;
		/* quiet, as Linux's rmmod: the livepatch selftests compare
		 * the log line by line */
		WHY("unloaded %s", name);
		goto out;
	}
	err = ftrace_remove_module_sites(mod);
	if (err) /* a filter appeared meanwhile: the sites stay, the module too */
		pr_err("%s: cannot remove its fentry sites (%d); leaking it\n", name, err);
	else {
		list_remove(mod);
		pr_info("unloaded %s\n", name);
		free_module(mod);
	}
	WHY("unloaded %s", name);
out:
	mutex_unlock(&module_mutex);
	return err;
}

/* ---- built-in modules ---- */

int module_builtin_register(struct module *mod)
{
	mutex_lock(&module_mutex);
	if (find_builtin(mod->name)) {
		mutex_unlock(&module_mutex);
		pr_err("built-in module %s: name taken\n", mod->name);
		return -EEXIST;
	}
	mod->state = MODULE_STATE_UNFORMED;
	mod->builtin = true;
	unsigned long flags = arch_irq_save();
	list_add_tail(&mod->list, &modules);
	arch_irq_restore(flags);
	mutex_unlock(&module_mutex);
	return 0;
}

/* The blob path's order, without the layout: COMING, livepatch's hook and
 * init outside the mutex (a livepatch's init waits on its transition),
 * then LIVE. */
int module_builtin_load(const char *name)
{
	struct module *mod;
	int err;

	mutex_lock(&module_mutex);
	mod = find_builtin(name);
	if (!mod) {
		mutex_unlock(&module_mutex);
		return -ENOENT;
	}
	if (find_module(name)) { /* itself, or a blob of that name */
		mutex_unlock(&module_mutex);
		return -EEXIST;
	}
	mod->state = MODULE_STATE_COMING;
	nr_modules++;
	mutex_unlock(&module_mutex);

	err = module_notify_coming(mod);
	if (!err && mod->init) {
		err = mod->init();
		if (err)
			module_notify_going(mod);
	}
	mutex_lock(&module_mutex);
	if (err) {
		mod->state = MODULE_STATE_UNFORMED;
		nr_modules--;
	} else {
		mod->state = MODULE_STATE_LIVE;
		sysfs_add(mod);
	}
	mutex_unlock(&module_mutex);
	return err;
}
