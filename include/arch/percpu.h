/* How generic code finds this CPU's struct percpu (include/kelp/percpu.h).
 * The bodies are the arch's, in <asm/percpu.h>. */
#pragma once
#include <kelp/compiler.h>

struct percpu;
/* This CPU's area (its `self` member). */
static inline struct percpu *arch_this_cpu(void);
/* arch_this_cpu_read(member): one 8-byte member of this CPU's area, read in
 * a single access, safe against being moved to another CPU half-way. */

#include <asm/percpu.h>
