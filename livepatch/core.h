/* Livepatch internals shared by core, patch, transition and state. */
#pragma once
#include <kelp/livepatch.h>
#include <kelp/mutex.h>
#include <kelp/printk.h>

extern struct mutex klp_mutex;
extern struct list_head klp_patches;

#define klp_for_each_patch_safe(patch, tmp) list_for_each_entry_safe(patch, tmp, &klp_patches, list)
#define klp_for_each_patch(patch) list_for_each_entry(patch, &klp_patches, list)

/* A patch's name is its module's. */
static inline const char *klp_patch_name(const struct klp_patch *patch)
{
	return patch->mod->name;
}

static inline bool klp_is_object_loaded(struct klp_object *obj)
{
	return !obj->name || obj->mod;
}

void klp_free_patch_now(struct klp_patch *patch);
void klp_free_replaced_patches(struct klp_patch *new_patch);
void klp_unpatch_replaced_patches(struct klp_patch *new_patch);
void klp_discard_nops(struct klp_patch *new_patch);

static inline int klp_pre_patch_callback(struct klp_object *obj)
{
	int ret = 0;
	if (obj->callbacks.pre_patch)
		ret = (*obj->callbacks.pre_patch)(obj);
	obj->callbacks.post_unpatch_enabled = !ret;
	return ret;
}

static inline void klp_post_patch_callback(struct klp_object *obj)
{
	if (obj->callbacks.post_patch)
		(*obj->callbacks.post_patch)(obj);
}

static inline void klp_pre_unpatch_callback(struct klp_object *obj)
{
	if (obj->callbacks.pre_unpatch)
		(*obj->callbacks.pre_unpatch)(obj);
}

static inline void klp_post_unpatch_callback(struct klp_object *obj)
{
	if (obj->callbacks.post_unpatch_enabled && obj->callbacks.post_unpatch)
		(*obj->callbacks.post_unpatch)(obj);
	obj->callbacks.post_unpatch_enabled = false;
}

/* patch.c */
struct klp_ops *klp_find_ops(void *old_func);
struct klp_func *klp_ops_top(struct klp_ops *ops);
struct klp_func *klp_ops_next(struct klp_ops *ops, struct klp_func *func);
int klp_patch_object(struct klp_object *obj);
void klp_unpatch_object(struct klp_object *obj);
void klp_unpatch_objects(struct klp_patch *patch);
void klp_unpatch_objects_dynamic(struct klp_patch *patch);
/* The steady-state fast path: jmp straight to the top func where allowed. */
void klp_fast_path_clear(struct klp_patch *patch);
void klp_fast_path_update(void);

/* transition.c */
extern struct klp_patch *klp_transition_patch;
void klp_init_transition(struct klp_patch *patch, int state);
void klp_cancel_transition(void);
void klp_start_transition(void);
void klp_try_complete_transition(void);
void klp_complete_transition(void);
void klp_reverse_transition(void);
void klp_force_transition(void);
void klp_update_patch_state(struct task *task);
void klp_synchronize_transition(void);
/* The transition's stack-check ranges: collected at its start; again when
 * an object is patched during it (klp_patch_object). */
void klp_transition_ranges_update(void);
void klp_transition_object_patched(void);

/* state.c */
bool klp_is_patch_compatible(struct klp_patch *patch);

static inline bool list_is_singular(const struct list_head *head)
{
	return !list_empty(head) && head->next == head->prev;
}
