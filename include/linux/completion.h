/* <linux/completion.h>: Kelp's completions (DECLARE_COMPLETION, complete,
 * wait_for_completion[_timeout], ...), declared in <kelp/wait.h>. */
#pragma once
#include <kelp/wait.h>
