/* Dynamic debug (kernel/dynamic_debug.c): every pr_debug() in the kernel is
 * a site, off by default as in Linux, switched on and off at run time
 * through /sys/kernel/debug/dynamic_debug/control with Linux's query syntax
 * ("func NAME +p", "file GLOB -p", "module NAME +p", "format TEXT",
 * "line N[-M]", several per write separated by ';' or newlines). Reading
 * the control lists every site with its flags.
 *
 * A site's module is its file's log prefix (pr_fmt("") without ": ",
 * "livepatch" for livepatch/, "module" for kernel/module/), or the file's
 * base name when it has none. Blobs' pr_debug sites are not listed: they
 * stay off, as a Linux module's are until enabled. */
#pragma once
#include <kelp/compiler.h>

#define DDEBUG_PRINT (1u << 0) /* p: print it */

struct ddebug {
	const char *prefix;   /* pr_fmt("") of the file */
	const char *function; /* __func__ */
	const char *filename; /* __FILE__, relative to the tree */
	const char *format;
	unsigned int lineno;
	unsigned int flags;   /* DDEBUG_* */
} __aligned(8);

/* The variable's own alignment: gcc otherwise aligns a 40-byte object to
 * 32, leaving holes in the table that the walk would read as sites. */
#ifndef KBUILD_MODNAME
#define __DDEBUG_SECTION __used __section("__dyndbg") __aligned(8)
#else
#define __DDEBUG_SECTION
#endif

#define __dynamic_debug_site(name, fmt)                                                            \
	static struct ddebug name __DDEBUG_SECTION = { pr_fmt(""), __func__, __FILE__, fmt,         \
						       __LINE__, 0 }
#define dynamic_debug_enabled(site) unlikely(READ_ONCE((site).flags) & DDEBUG_PRINT)

/* Run a control query as if written to the control file: the number of
 * sites it matched, or -EINVAL (the message says why in the log). */
int ddebug_exec_queries(const char *query);
