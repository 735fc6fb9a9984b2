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
 * checks as a blob; they are never freed.
 *
 * This file holds the load path's order (module_load_opts), the list and
 * its lookups, references and the livepatch hooks. The steps of a load sit
 * beside it, each with what it needs: layout.c, resolve.c, kallsyms.c,
 * sysfs.c; then unload.c and builtin.c. */
#define pr_fmt(fmt) "module: " fmt
#include "internal.h"
#include "signature.h"
#include "reloc.h"
#include <kelp/ftrace.h>
#include <kelp/mm.h>
#include <kelp/mutex.h>
#include <kelp/rcupdate.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

DEFINE_MUTEX(module_mutex);
LIST_HEAD(module_list);
size_t module_nr_loaded;
static const struct module_notifier_ops *notifier;

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
	list_for_each_entry(m, &module_list, list)
		if (m->state != MODULE_STATE_UNFORMED && !strcmp(m->name, name))
			return m;
	return NULL;
}

struct module *module_find_builtin(const char *name)
{
	struct module *m;
	list_for_each_entry(m, &module_list, list)
		if (m->builtin && !strcmp(m->name, name))
			return m;
	return NULL;
}

struct module *module_lookup_any(const char *name)
{
	struct module *m = find_module(name);
	return m ? m : module_find_builtin(name);
}

static bool region_has(const struct module_region *r, unsigned long addr)
{
	return r->base && addr >= (unsigned long)r->base &&
	       addr - (unsigned long)r->base < r->pages * PAGE_SIZE;
}

/* Readers may be interrupt handlers or the panic path: the caller is an
 * RCU reader (preemption or interrupts off) for as long as it uses the
 * module it got. */
notrace struct module *module_of_addr(unsigned long addr)
{
	struct module *m;
	if (addr < MODULES_VADDR || addr >= MODULES_VADDR + MODULES_SIZE)
		return NULL;
	list_for_each_entry_rcu(m, &module_list, list)
		for (int i = 0; i < MOD_NR_REGIONS; i++)
			if (region_has(&m->region[i], addr))
				return m;
	return NULL;
}

notrace bool is_module_address(unsigned long addr)
{
	rcu_read_lock();
	bool yes = module_of_addr(addr) != NULL;
	rcu_read_unlock_no_resched();
	return yes;
}

notrace bool is_module_text_address(unsigned long addr)
{
	rcu_read_lock();
	struct module *m = module_of_addr(addr);
	bool yes = m && region_has(&m->region[MOD_TEXT], addr);
	rcu_read_unlock_no_resched();
	return yes;
}

void module_for_each(bool (*fn)(struct module *mod, void *arg), void *arg)
{
	struct module *m;
	mutex_lock(&module_mutex);
	list_for_each_entry(m, &module_list, list)
		if (!fn(m, arg))
			break;
	mutex_unlock(&module_mutex);
}

size_t module_count(void)
{
	return READ_ONCE(module_nr_loaded);
}

/* Take the reference first, then look at the state: module_unload() sets
 * GOING first, then looks at the count (both sequentially consistent, the
 * pair of this one), so either rmmod sees the reference and refuses, or
 * this sees GOING and backs off; never both miss (Linux's try_stop_module). */
bool try_module_get(struct module *mod)
{
	if (!mod)
		return true;
	__atomic_add_fetch(&mod->refcnt, 1, __ATOMIC_SEQ_CST);
	enum module_state st = __atomic_load_n(&mod->state, __ATOMIC_SEQ_CST);
	if (st == MODULE_STATE_GOING || st == MODULE_STATE_UNFORMED) {
		__atomic_sub_fetch(&mod->refcnt, 1, __ATOMIC_SEQ_CST);
		return false;
	}
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

/* After a failed init: whether something already points into the module
 * (its own livepatch on the stack, or a reference), so it cannot be freed. */
bool module_still_needed(struct module *mod)
{
	return (mod->klp && mod->klp_busy && mod->klp_busy(mod)) || module_refcount(mod) > 0;
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

/* ---- load ---- */

/* The list's writers hold module_mutex; its readers (symbol lookups for
 * %pS and backtraces, module_of_addr from any context) walk it as RCU
 * readers, without the mutex. */
static void list_insert(struct module *mod)
{
	list_add_rcu(&mod->list, &module_list);
	WRITE_ONCE(module_nr_loaded, module_nr_loaded + 1);
}

/* Unlisted, and no lookup still walks the module: its symbols, its text
 * and struct module itself (in its data region) may be freed on return. */
void module_list_remove(struct module *mod)
{
	list_del_rcu(&mod->list);
	WRITE_ONCE(module_nr_loaded, module_nr_loaded - 1);
	synchronize_rcu();
	INIT_LIST_HEAD(&mod->list);
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
	u64 version;
	err = module_version_parse(elf_modinfo_get(&info, "klp_version", NULL), &version, why,
				   whylen);
	if (err)
		return err;
	int mc = info.mcount_loc;
	if (mc >= 0 && (info.shdrs[mc].sh_flags & SHF_WRITE)) {
		WHY("__mcount_loc is writable");
		return -ENOEXEC;
	}

	struct module_load_ctx ctx = { .this_module = MODULES_VADDR,
				       .klp = lp && (!strcmp(lp, "Y") || !strcmp(lp, "y")) };
	mutex_lock(&module_mutex);
	struct module *same = find_module(name);
	if (same) {
		WHY("module %s is already loaded%s", name, same->builtin ? " (built-in)" : "");
		err = -EEXIST;
		goto out_unlock;
	}
	err = module_version_check(name, version, why, whylen);
	if (err)
		goto out_unlock;
	err = module_check_depends(&info, &ctx, why, whylen);
	if (!err)
		err = module_resolve_all(&info, &ctx, why, whylen);
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
	struct module_layout lay = { .off = kzalloc(info.nsec * sizeof(u64)) };
	struct module_region reg[MOD_NR_REGIONS] = {};
	struct module *mod = NULL;
	if (!addr || !copy || !lay.off) {
		WHY("out of memory");
		goto out_free_tmp;
	}
	module_compute_layout(&info, &lay);
	for (int r = 0; r < MOD_NR_REGIONS; r++) {
		if (!lay.size[r])
			continue;
		reg[r].pages = ALIGN_UP(lay.size[r], PAGE_SIZE) / PAGE_SIZE;
		reg[r].flags = module_region_flags[r];
		/* writable until filled and relocated, then protected */
		reg[r].base = module_alloc_pages(reg[r].pages, VM_READ | VM_WRITE);
		if (!reg[r].base) {
			WHY("out of module space (%zu pages)", reg[r].pages);
			module_free_regions(reg);
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
		copy[i] = (u8 *)reg[module_region_of(sh)].base + lay.off[i];
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
	err = elf_relocate(&info, addr, copy, module_resolve, &ctx, why, whylen);
	if (!err && ctx.klp)
		err = module_late_relocs_record(mod, &info, addr, copy, why, whylen);
	if (err)
		goto out_free_mod;
	memcpy(mod->depends, ctx.deps, sizeof(ctx.deps));
	mod->ndepends = ctx.ndeps;
	mod->init = (int (*)(void))module_defined_sym(&info, addr, "init_module", true);
	mod->exit = (void (*)(void))module_defined_sym(&info, addr, "cleanup_module", true);
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
	err = module_build_symtab(mod, &info, addr);
	if (err) {
		WHY("out of memory");
		goto out_free_mod;
	}

	/* W^X from here on: text RX, rodata R, data RW NX */
	for (int r = 0; r < MOD_NR_REGIONS; r++)
		if (reg[r].base && module_region_flags[r] != (VM_READ | VM_WRITE) &&
		    vmm_protect((unsigned long)reg[r].base, reg[r].pages * PAGE_SIZE,
				module_region_flags[r])) {
			WHY("cannot protect module memory");
			err = -ENOMEM;
			goto out_free_mod;
		}

	err = module_parse_params(mod, params ? params : "", why, whylen);
	if (!err)
		err = module_late_relocs_bind(mod, why, whylen);
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
	err = module_sysfs_add(mod);
	if (err) {
		WHY("out of memory (sysfs files)");
		goto out_sites;
	}
	/* Livepatches' relocations against it, before livepatch's coming
	 * hook patches it with code that uses them (Linux applies them in
	 * klp_module_coming). */
	err = module_late_relocs_coming(mod, why, whylen);
	if (err)
		goto out_sysfs;
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
		/* GOING before looking at the references, as rmmod does (the
		 * pair of try_module_get()'s order): one taken from here on is
		 * refused, one taken before is seen. */
		if (err)
			__atomic_store_n(&mod->state, MODULE_STATE_GOING, __ATOMIC_SEQ_CST);
		if (err && module_still_needed(mod)) {
			/* Its livepatch went on the stack (or someone took a
			 * reference) before init failed: the stack and the
			 * redirected sites point into the module, so freeing it
			 * would leave them on freed memory. It stays, LIVE, to
			 * be unloaded the ordinary way. */
			WHY("%s: init failed: %s (%d), but its livepatch is enabled or it is in use:"
			    " it stays loaded (disable the patch, then rmmod it)",
			    mod->name, strerror(-err), err);
			pr_err("%s\n", why);
			mutex_lock(&module_mutex);
			mod->state = MODULE_STATE_LIVE;
			mutex_unlock(&module_mutex);
			goto out_free_tmp_only;
		}
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
	module_version_record(mod->name, version);
	mutex_unlock(&module_mutex);
	kfree(addr);
	kfree(copy);
	kfree(lay.off);
	/* Kelp's own line: a debug site, Linux logs nothing on a load */
	pr_debug("loaded %s (%zu bytes, %u symbols, %u fentry sites%s)\n", mod->name, mod->size,
		mod->nsyms, mod->nr_sites, mod->klp ? ", livepatch" : "");
	WHY("loaded %s", mod->name);
	if (out)
		*out = mod;
	return 0;

out_free_tmp_only:
	kfree(addr);
	kfree(copy);
	kfree(lay.off);
	return err;

out_going:
	mutex_lock(&module_mutex);
	mod->state = MODULE_STATE_GOING;
	module_late_relocs_going(mod);
out_sysfs:
	module_sysfs_remove(mod);
out_sites:
	ftrace_release_module_sites(mod);
out_unlist:
	module_list_remove(mod);
out_free_mod:
	module_free(mod);
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
