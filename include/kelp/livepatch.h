/* Kelp's live patching API, with Linux's names and meaning (livepatch/).
 *
 * A patch is a set of objects (NULL name = the kernel, else a module), each
 * with an array of functions to replace, terminated by a zeroed entry. A
 * patch module's init calls klp_enable_patch(); the patch then moves every
 * task to the new code under the per-task consistency model, and stays until
 * it is disabled through /sys/kernel/livepatch/<name>/enabled or replaced by
 * an atomic-replace (cumulative) patch. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/module.h>
#include <kelp/livepatch_sched.h>
#include <kelp/gfp.h>

struct pfs_node;
struct klp_object;

struct klp_func {
	/* set by the patch author */
	const char *old_name;	/* the function to replace */
	void *new_func;		/* its replacement */
	unsigned long old_sympos; /* 0: unique name; N: the Nth symbol so named */

	/* internal */
	void *old_func;
	unsigned long old_size, new_size;
	struct pfs_node *kobj;	/* <obj>/<old_name>,<sympos> */
	struct list_head node;	/* in obj->func_list */
	struct list_head stack_node; /* in klp_ops->func_stack */
	bool nop;		/* atomic replace: back to the original */
	bool patched;		/* on its function's func_stack */
	bool transition;	/* in a transition: the handler checks the task */
};

struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};

struct klp_object {
	/* set by the patch author */
	const char *name;	/* NULL: the kernel (vmlinux) */
	struct klp_func *funcs;
	struct klp_callbacks callbacks;

	/* internal */
	struct pfs_node *kobj;
	struct list_head func_list;
	struct list_head node;	/* in patch->obj_list */
	struct module *mod;	/* the target module while loaded */
	bool dynamic;		/* allocated for nops by atomic replace */
	bool patched;
};

struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};

struct klp_patch {
	/* set by the patch author */
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states; /* ends with id 0 */
	bool replace;

	/* internal */
	struct list_head list;	/* in klp_patches: the patch stack */
	struct pfs_node *kobj;
	struct list_head obj_list;
	bool enabled;
	bool forced;
	u64 start_ns;		/* when the current transition started */
	u64 transition_us;	/* the last completed transition's duration
				 * (Kelp's sysfs transition_us), 0 before */
};

#define klp_for_each_object_static(patch, obj) \
	for (obj = (patch)->objs; obj && (obj->funcs || obj->name); obj++)
#define klp_for_each_object(patch, obj) list_for_each_entry(obj, &(patch)->obj_list, node)
#define klp_for_each_object_safe(patch, obj, tmp) \
	list_for_each_entry_safe(obj, tmp, &(patch)->obj_list, node)
#define klp_for_each_func_static(obj, func) \
	for (func = (obj)->funcs; func && (func->old_name || func->new_func || func->old_sympos); func++)
#define klp_for_each_func(obj, func) list_for_each_entry(func, &(obj)->func_list, node)
#define klp_for_each_func_safe(obj, func, tmp) \
	list_for_each_entry_safe(func, tmp, &(obj)->func_list, node)

int klp_enable_patch(struct klp_patch *patch);

/* Late binding of patches to modules: the module layer calls these around
 * a module's init (coming) and after its exit (going). */
int klp_module_coming(struct module *mod);
void klp_module_going(struct module *mod);

/* Shadow variables: data attached to an existing object (obj, id). */
typedef int (*klp_shadow_ctor_t)(void *obj, void *shadow_data, void *ctor_data);
typedef void (*klp_shadow_dtor_t)(void *obj, void *shadow_data);
void *klp_shadow_get(void *obj, unsigned long id);
void *klp_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
		       klp_shadow_ctor_t ctor, void *ctor_data);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp_flags,
			      klp_shadow_ctor_t ctor, void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor);
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor);

/* System states */
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id);
struct klp_state *klp_get_prev_state(unsigned long id);

/* For tests and tools */
bool klp_transition_in_progress(void);
/* Duration of the last completed transition, start to completion, in us. */
extern u64 klp_last_transition_us;
/* Installed patches, bottom of the stack first; fn returns false to stop. */
int klp_nr_patches(void);
struct klp_patch *klp_find_patch(const char *name);
/* Wait (sleeping) until no transition runs; false on timeout. */
bool klp_wait_transition(unsigned int timeout_ms);
/* Number of klp_ops (patched function addresses) alive. */
int klp_nr_ops(void);
