/* System states: what a patch changed beyond code (a value it saved, data
 * it converted), declared as (id, version) so a later cumulative patch can
 * take the change over and an incompatible one is refused. */
#define pr_fmt(fmt) "livepatch: " fmt
#include "core.h"
#include <kelp/panic.h>

#define klp_for_each_state(patch, state) for (state = (patch)->states; state && state->id; state++)

struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id)
{
	struct klp_state *state;
	klp_for_each_state(patch, state)
		if (state->id == id)
			return state;
	return NULL;
}

/* The state as the patches below the one in transition left it: the last
 * match going up the stack. Meaningful only during a transition. */
struct klp_state *klp_get_prev_state(unsigned long id)
{
	struct klp_patch *patch;
	struct klp_state *state, *last = NULL;

	if (WARN_ON(!klp_transition_patch))
		return NULL;
	klp_for_each_patch(patch) {
		if (patch == klp_transition_patch)
			break;
		state = klp_get_state(patch, id);
		if (state)
			last = state;
	}
	return last;
}

/* A cumulative patch must carry every installed state at the same or a
 * newer version (it replaces whoever maintains it); a plain patch may leave
 * a state out, but one it names must not be older. */
static bool klp_is_state_compatible(struct klp_patch *patch, struct klp_state *old_state)
{
	struct klp_state *state = klp_get_state(patch, old_state->id);
	if (!state)
		return !patch->replace;
	return state->version >= old_state->version;
}

bool klp_is_patch_compatible(struct klp_patch *patch)
{
	struct klp_patch *old_patch;
	struct klp_state *old_state;
	klp_for_each_patch(old_patch)
		klp_for_each_state(old_patch, old_state)
			if (!klp_is_state_compatible(patch, old_state))
				return false;
	return true;
}
