/* <linux/module.h>: Linux's module vocabulary on top of Kelp's module layer
 * (include/kelp/module.h), and what Linux's module.h brings in
 * transitively (kernel.h, printk, list, stat, mutex, workqueue, jiffies),
 * since Linux's samples rely on it. Patch and module sources are built by
 * `make patch`/`make module` with -nostdinc, Kelp's include paths only and
 * -DKBUILD_MODNAME='"name"'. */
#pragma once
#include <kelp/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/export.h>
#include <linux/list.h>
#include <linux/stat.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>
#include <linux/sched.h>

#ifndef KBUILD_MODNAME
#error "module sources are built by `make patch` or `make module` (KBUILD_MODNAME)"
#endif

#define __KELP_CAT2(a, b) a##b
#define __KELP_CAT(a, b) __KELP_CAT2(a, b)
#define __KELP_UNIQUE(prefix) __KELP_CAT(prefix, __COUNTER__)

/* .modinfo: "tag=value\0" strings the loader reads (docs/BLOB-FORMAT.md). */
#define MODULE_INFO(tag, info)                                                                     \
	static const char __KELP_UNIQUE(__modinfo_)[] __used __section(".modinfo")                 \
		__aligned(1) = #tag "=" info
#define MODULE_LICENSE(x) MODULE_INFO(license, x)
#define MODULE_AUTHOR(x) MODULE_INFO(author, x)
#define MODULE_DESCRIPTION(x) MODULE_INFO(description, x)
#define MODULE_VERSION(x) MODULE_INFO(version, x)
#define MODULE_ALIAS(x) MODULE_INFO(alias, x)
#define MODULE_SOFTDEP(x) MODULE_INFO(softdep, x)
#define MODULE_PARM_DESC(p, d) MODULE_INFO(parm, #p ":" d)

/* Every module names itself (Linux's modpost adds this). */
MODULE_INFO(name, KBUILD_MODNAME);

/* The loader calls the global symbols init_module / cleanup_module. */
typedef int (*initcall_t)(void);
typedef void (*exitcall_t)(void);
#define module_init(fn)                                                                            \
	static inline initcall_t __maybe_unused __inittest(void) { return fn; }                    \
	int init_module(void) __attribute__((alias(#fn)))
#define module_exit(fn)                                                                            \
	static inline exitcall_t __maybe_unused __exittest(void) { return fn; }                    \
	void cleanup_module(void) __attribute__((alias(#fn)))

/* module_param_named(name, var, int|bool|charp, perm): the parameter
 * "name" sets the variable var at load (and in
 * /sys/module/NAME/parameters/name); module_param(var, ...) is the same
 * with name == var. */
#define __kelp_param_type_int MODULE_PARAM_INT
#define __kelp_param_type_bool MODULE_PARAM_BOOL
#define __kelp_param_type_charp MODULE_PARAM_CHARP
#define __kelp_param_ctype_int int
#define __kelp_param_ctype_bool bool
#define __kelp_param_ctype_charp char *
/* module_param passes its type on, expanded: <stdbool.h>'s bool is _Bool */
#define __kelp_param_type__Bool MODULE_PARAM_BOOL
#define __kelp_param_ctype__Bool bool
#define module_param_named(name, var, type, perm)                                                  \
	_Static_assert(__builtin_types_compatible_p(__typeof__(var),                               \
						    __kelp_param_ctype_##type),                    \
		       "module_param " #name ": variable is not of type " #type);                  \
	static const char __param_str_##name[] = #name;                                            \
	static struct kernel_param __param_##name __used __section("__param") __aligned(8) = {     \
		__param_str_##name, &var, __kelp_param_type_##type, perm                           \
	}
#define module_param(var, type, perm) module_param_named(var, var, type, perm)
