/* What the loader's files share and nothing outside kernel/module may use:
 * the module list itself, the load context and the steps of a load that
 * live in their own files. The public API is <kelp/module.h>. */
#pragma once
#include <kelp/module.h>
#include "elf_check.h"

/* The loader's messages, failures and successes alike ("loaded foo"), go
 * to the caller's why buffer; the errno is set apart, in the goto-unwind
 * style of module_load_opts(), so this is not reason_fail(). */
#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

/* ---- the list (main.c) ---- */

/* Every listed module, newest blob first, built-ins (UNFORMED until
 * loaded) at the tail. Changes under module_mutex with interrupts off, so
 * lock-free readers (module_of_addr) see it whole. */
extern struct list_head module_list;
/* Loaded modules of both kinds (module_count()). */
extern size_t module_nr_loaded;

/* The built-in module called name, loaded or not. */
struct module *module_find_builtin(const char *name);
void module_list_remove(struct module *mod);
/* After a failed init: its livepatch is on the stack or it holds
 * references, so the module must stay (main.c, builtin.c). */
bool module_still_needed(struct module *mod);

/* ---- symbol resolution and dependencies (resolve.c) ---- */

struct module_load_ctx {
	struct module *mod;		/* NULL in the pre-pass */
	unsigned long this_module;	/* address THIS_MODULE resolves to */
	struct module *deps[MODULE_MAX_DEPENDS];
	unsigned int ndeps;
	bool dep_overflow;
	/* A module the blob names that is loaded but not LIVE (COMING: its
	 * init may still fail; GOING: its exit runs, it is freed next): the
	 * reason module_resolve_all() gives. */
	const struct module *not_live;
	bool klp;	/* a livepatch: .klp.sym.<module> binds late */
};

/* The elf_resolve_fn of a load (reloc.h); arg is its struct module_load_ctx. */
int module_resolve(void *arg, const char *obj, const char *name, unsigned long sympos, u64 *addr);
int module_resolve_all(const struct elf_info *info, struct module_load_ctx *c, char *why,
		       size_t whylen);
int module_check_depends(const struct elf_info *info, struct module_load_ctx *c, char *why,
			 size_t whylen);

/* ---- a livepatch's relocations against other modules (late_reloc.c) ---- */

/* Whether .klp.sym.<obj> names a module bound late (not vmlinux, not a
 * built-in, whose symbols are the kernel's and always there). */
bool module_late_obj(const char *obj);
/* At a livepatch's load, after elf_relocate() left them alone. */
int module_late_relocs_record(struct module *mod, const struct elf_info *info, const u64 *addr,
			      void *const *copy, char *why, size_t whylen);
/* Apply them against the modules listed now (COMING, LIVE or GOING). */
int module_late_relocs_bind(struct module *lp, char *why, size_t whylen);
/* A module is listed, COMING: every livepatch's relocations against it,
 * or none (the load is refused). */
int module_late_relocs_coming(struct module *target, char *why, size_t whylen);
/* A module goes (after livepatch reverted its patches on it): clear them. */
void module_late_relocs_going(struct module *target);

/* ---- layout in the module area (layout.c) ---- */

struct module_layout {
	size_t size[MOD_NR_REGIONS];
	u64 *off;	/* per section: offset in its region */
};

/* The region (MOD_TEXT, MOD_RODATA, MOD_DATA) an allocated section goes to. */
int module_region_of(const Elf64_Shdr *sh);
/* Each region's final protection (VM_*), applied once it is relocated. */
extern const int module_region_flags[MOD_NR_REGIONS];
void module_compute_layout(const struct elf_info *info, struct module_layout *l);
void module_free_regions(struct module_region *reg);

/* ---- the module's own symbols (kallsyms.c) ---- */

/* addr[i] is the run-time address of section i. */
int module_build_symtab(struct module *mod, const struct elf_info *info, const u64 *addr);
unsigned long module_defined_sym(const struct elf_info *info, const u64 *addr, const char *name,
				 bool func);

/* ---- /sys/module/<name>/ (sysfs.c) ---- */

int module_sysfs_add(struct module *mod);
void module_sysfs_remove(struct module *mod);

/* ---- unload (unload.c) ---- */

/* Frees a blob's allocations, struct module (in its data region) last. */
void module_free(struct module *mod);

/* ---- anti-rollback (version.c), under module_mutex ---- */

/* klp_version= of .modinfo (str NULL: 0); -ENOEXEC when not a number. */
int module_version_parse(const char *str, u64 *ver, char *why, size_t whylen);
/* -EPERM "refusing version N of NAME: version M was loaded" when a higher
 * version of name was loaded since boot. */
int module_version_check(const char *name, u64 ver, char *why, size_t whylen);
/* After a successful load: the highest version seen for name. */
void module_version_record(const char *name, u64 ver);
