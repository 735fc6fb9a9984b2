/* Initcalls: subsystems register their setup through a linker section, so
 * adding one never means editing kmain. Levels run in order after the core
 * (CPU, memory, console) is up. */
#pragma once
#include <kelp/compiler.h>

typedef int (*initcall_t)(void);

#define __define_initcall(fn, lvl)                                                        \
	static const initcall_t __initcall_##fn __used __section(".initcalls." #lvl) = fn

#define core_initcall(fn) __define_initcall(fn, 1)
#define subsys_initcall(fn) __define_initcall(fn, 2)
#define fs_initcall(fn) __define_initcall(fn, 3)
#define device_initcall(fn) __define_initcall(fn, 4)
#define late_initcall(fn) __define_initcall(fn, 5)

void do_initcalls(void);
