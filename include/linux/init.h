/* <linux/init.h>: section markers, which a blob ignores (its init text is
 * not discarded after init runs), and module_init/module_exit via
 * <linux/module.h>. */
#pragma once
#include <linux/compiler.h>

#define __init
#define __exit
#define __initdata
#define __initconst
#define __exitdata
