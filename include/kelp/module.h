/* Loadable modules (kernel/module/): the loaded
 * image of a signed patch blob, its symbols, parameters and lifetime, plus
 * the declarations a module's own source uses (module_init, THIS_MODULE,
 * module_param; include/linux/ has the author's headers).
 *
 * Two kinds of module share one list and one set of lookups: loaded blobs
 * (kernel/module/main.c) and built-in modules compiled into the kernel
 * (kernel/module/builtin.c, KELP_MODULE below: livepatch's test patches and
 * their targets), which stay listed as UNFORMED until `klp load NAME` runs
 * their init. find_module(), try_module_get()/module_put() and rmmod
 * (module_unload) treat both alike.
 *
 * Lifetime: COMING (sections laid out, relocated, symbols visible, init
 * running) -> LIVE -> GOING (exit running, then freed). Livepatch hears of
 * COMING/GOING through module_notify_coming/going, which call the hooks
 * livepatch registers (late binding), so this layer does not depend on it. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/errno.h>

struct mutex;
struct module_late_reloc;

#define MODULE_NAME_LEN 56	/* NUL included; = KLP_NAME_MAX */
#define MODULE_MAX_DEPENDS 8
#define MODULE_PARAMS_MAX 512

enum module_state {
	MODULE_STATE_LIVE,
	MODULE_STATE_COMING,
	MODULE_STATE_GOING,
	MODULE_STATE_UNFORMED,
};

/* ---- what a module's source declares (read by the loader) ---- */

enum module_param_type {
	MODULE_PARAM_INT = 1,
	MODULE_PARAM_BOOL = 2,
	MODULE_PARAM_CHARP = 3,
};

/* One module_param(): placed in the module's "__param" section. */
struct kernel_param {
	const char *name;
	void *arg;		/* int *, bool *, char ** */
	u32 type;		/* enum module_param_type */
	u32 perm;
};

/* One allocated region (a permission class) of a loaded module. */
struct module_region {
	void *base;
	size_t pages;
	int flags;		/* VM_* */
};

enum module_region_kind { MOD_TEXT, MOD_RODATA, MOD_DATA, MOD_NR_REGIONS };

/* A symbol the module defines, kept for lookups by address and name. */
struct module_sym {
	unsigned long addr;
	unsigned long size;
	const char *name;	/* in the module's kmalloc'd string copy */
	char type;		/* nm letter: t/T, d/D, r/R, b/B */
};

struct module {
	char name[MODULE_NAME_LEN];
	enum module_state state;
	struct list_head list;		/* modules, newest first */

	struct module_region region[MOD_NR_REGIONS];
	size_t size;			/* bytes of all regions */

	struct module_sym *syms;	/* sorted by address */
	unsigned int nsyms;
	unsigned int *sym_by_name;	/* indexes sorted by (name, address) */
	char *strtab;

	unsigned long *sites;		/* fentry sites (sorted), owned by ftrace */
	unsigned int nr_sites;

	int (*init)(void);
	void (*exit)(void);

	struct kernel_param *kp;	/* __param section of the loaded image */
	unsigned int num_kp;
	char *args;			/* params given at load (kmalloc'd) */
	char **charp_vals;		/* kmalloc'd values of charp params */

	int refcnt;			/* module_get/module_put by users */
	struct module *depends[MODULE_MAX_DEPENDS]; /* modules this one uses */
	unsigned int ndepends;

	bool klp;			/* .modinfo livepatch=Y */
	bool klp_alive;			/* livepatch may patch it (set by its
					 * coming hook, cleared by going) */
	bool builtin;			/* compiled in: never freed, goes back
					 * to UNFORMED when unloaded */
	/* Livepatch-owned: set by the livepatch core while the patch is
	 * registered; unload asks it whether the patch is enabled or in
	 * transition. NULL means "not busy". */
	bool (*klp_busy)(struct module *mod);
	void *klp_data;

	/* A livepatch's relocations against other modules, applied while
	 * the module they name is loaded (kernel/module/late_reloc.c). */
	struct module_late_reloc *late_relocs;
	unsigned int nr_late_relocs;

	char *modinfo;			/* copy of .modinfo */
	size_t modinfo_len;
};

/* ---- the loader ---- */

/* Limits an unload or load is checked against; copies of module_sig's. */
#define MODULE_MAX_BLOB ((1u << 20) + 96)

struct module_load_opts {
	/* Build ID the blob must carry; NULL: the running kernel's. Only the
	 * self-tests set it (a blob embedded in the kernel cannot carry the
	 * ID of the image that contains it). */
	const u8 *build_id;
	size_t build_id_len;
};

/* Validates and loads a signed blob (signature, build ID and ELF checks
 * come first, before anything is allocated), then runs its init with the
 * parameters ("a=1 b=x"). On success *out (may be NULL) is the module; on
 * failure everything is freed, the result is -errno and why says why. */
int module_load(const void *blob, size_t len, const char *params, struct module **out,
		char *why, size_t whylen);
int module_load_opts(const void *blob, size_t len, const char *params,
		     const struct module_load_opts *opts, struct module **out, char *why,
		     size_t whylen);
/* rmmod: -ENOENT (no such module), -EBUSY (in use, a dependency or an
 * enabled/transitioning livepatch), else runs exit and frees the module. */
int module_unload(const char *name, char *why, size_t whylen);

/* Serialises loads, unloads and list walks (not held while a module's
 * init/exit or the livepatch hooks run). */
extern struct mutex module_mutex;

/* The loaded (COMING, LIVE or GOING) module called name (caller holds
 * module_mutex or accepts a race). */
struct module *find_module(const char *name);
/* The loaded module called name, else the (unloaded) built-in one. */
struct module *module_lookup_any(const char *name);
/* The module whose sections contain addr, or NULL (lock-free reader). */
struct module *module_of_addr(unsigned long addr);
bool is_module_address(unsigned long addr);
bool is_module_text_address(unsigned long addr);

/* Iterate listed modules (unloaded built-ins included) under the module
 * mutex: fn returns false to stop. */
void module_for_each(bool (*fn)(struct module *mod, void *arg), void *arg);
/* Loaded modules of both kinds. */
size_t module_count(void);

/* A reference keeps a module from being unloaded; refused (false) while
 * it is GOING or not loaded. NULL (built-in code) always succeeds. A
 * livepatch holds one on its own module from klp_enable_patch() until its
 * disable transition completes; a pseudo-fs read or write, on the module
 * whose code its show/store is, while it runs. */
bool try_module_get(struct module *mod);
void module_put(struct module *mod);
int module_refcount(struct module *mod);

const char *module_state_name(enum module_state s);
/* The lsmod table (header + one line per module) into out; returns its length. */
int module_format_list(char *out, size_t len);

/* ---- symbols of loaded modules (used by kernel/ksyms.c) ---- */

/* Name and bounds of the module symbol containing addr; *modname gets the
 * module's name. */
bool module_lookup_addr(unsigned long addr, const struct module_sym **sym,
			const char **modname);
/* Symbol called name in module mod (NULL: any module); sympos as in ksyms.
 * Only defined symbols count. 0, -ENOENT or -EINVAL (ambiguous). */
int module_lookup_name(struct module *mod, const char *name, unsigned long sympos,
		       const struct module_sym **sym);

/* ---- livepatch hooks (late binding) ---- */

struct module_notifier_ops {
	/* Called while the module is COMING, before its init; an error
	 * refuses the module (it is then freed). */
	int (*coming)(struct module *mod);
	/* Called while the module is GOING, after its exit. */
	void (*going)(struct module *mod);
};
/* Livepatch registers its klp_module_coming/going here. */
void module_set_notifier(const struct module_notifier_ops *ops);
int module_notify_coming(struct module *mod);
void module_notify_going(struct module *mod);

/* ---- parameters (kernel/module/params.c) ---- */

/* Applies "a=1 b=x c" to the module's kernel_params: -EINVAL "bad value
 * 'v' for parameter 'p' (int)". A name the module does not declare is
 * warned about ("NAME: unknown parameter 'x' ignored") and skipped, as in
 * Linux. */
int module_parse_params(struct module *mod, const char *args, char *why, size_t whylen);
void module_free_params(struct module *mod);
/* /sys/module/<name>/parameters/<param>, one file per parameter declared
 * with a nonzero perm, as in Linux: reads show the value (bool as Y/N);
 * int and bool parameters with a write bit take writes (charp ones are
 * read-only here: their strings belong to the load). */
struct pfs_node;
int module_params_sysfs_add(struct module *mod, struct pfs_node *moddir);

/* ---- built-in modules (kernel/module/builtin.c) ---- */

/* A file compiled into the kernel declares its module with
 *   KELP_MODULE(test_klp_livepatch, my_init, my_exit, true);
 * which defines a static `__this_module` (THIS_MODULE in that file) and
 * lists it at boot, UNFORMED until module_builtin_load(). */
#define KELP_MODULE(name_, init_, exit_, livepatch_)                                               \
	static struct module __this_module = { .name = #name_, .state = MODULE_STATE_UNFORMED,    \
					       .klp = livepatch_, .builtin = true,                 \
					       .init = init_, .exit = exit_ };                     \
	static int __kelp_module_register_##name_(void)                                            \
	{                                                                                          \
		return module_builtin_register(&__this_module);                                    \
	}                                                                                          \
	late_initcall(__kelp_module_register_##name_)

int module_builtin_register(struct module *mod);
/* Runs a built-in module's init (livepatch's coming hook first), as the
 * loader does for a blob: 0, or -ENOENT (no such built-in), -EEXIST
 * (loaded), or the hook's or init's error (the module stays unloaded).
 * Unloading is module_unload(), as for a blob. */
int module_builtin_load(const char *name);

/* ---- for code built into a module ---- */

/* A blob's __this_module is its struct module, placed by the loader; a
 * built-in's is the static one KELP_MODULE defines. */
#ifdef KBUILD_MODNAME
extern struct module __this_module;
#endif
#define THIS_MODULE (&__this_module)
