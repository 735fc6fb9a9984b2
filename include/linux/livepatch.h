/* <linux/livepatch.h>: Kelp's livepatch API (include/kelp/livepatch.h:
 * klp_func/klp_object/klp_patch, callbacks, shadow variables, states,
 * klp_enable_patch) with what Linux's header brings in: modules, ftrace's
 * calls, completions. */
#pragma once
#include <linux/module.h>
#include <linux/completion.h>
#include <kelp/livepatch.h>
