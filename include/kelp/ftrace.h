/* The dynamic function tracer (kernel/trace/ftrace.c, kernel/trace/function.c,
 * kernel/trace/tracefs.c, arch/x86_64/ftrace_tramp.asm). Every traced function
 * starts with a 5-byte fentry site, a NOP after boot. Registering an
 * ftrace_ops turns the sites its filter selects into calls to a trampoline
 * that saves the registers and calls ops->func(ip, parent_ip, ops, regs):
 *
 * - one ops on a site: the site calls a trampoline bound to that ops, which
 *   calls its handler directly;
 * - several ops: a shared trampoline runs ftrace_ops_list_func, which calls
 *   every registered ops whose filter holds the site;
 * - one ops with a direct trampoline of its own (ops->direct, Linux's direct
 *   calls): the site calls that instead, and func runs only on a shared site.
 *
 * The handler may set the resume address (ftrace_regs_set_ip): the
 * trampoline then returns into that function with the original argument
 * registers and stack, so it returns straight to the traced function's
 * caller (livepatch's redirect). Handlers run with a per-CPU, per-context
 * recursion guard: traced functions they call are not traced again.
 *
 * The API follows Linux: ftrace_set_filter*() on an ops, then
 * register_ftrace_function(). An empty filter means every site; a site
 * on the ops' notrace list is never traced. */
#pragma once
#include <kelp/compiler.h>
#include <arch/trap.h>
#include <arch/ftrace.h>

/* struct ftrace_regs, the register frame handed to handlers, and its
 * accessors (ftrace_regs_get_ip, ..._set_ip, ..._get_sp, ..._get_argument,
 * ftrace_get_regs) come from the arch: <arch/ftrace.h>. */

struct ftrace_ops;
typedef void (*ftrace_func_t)(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			      struct ftrace_regs *fregs);

#define FTRACE_OPS_FL_ENABLED (1UL << 0)   /* set while registered */
#define FTRACE_OPS_FL_SAVE_REGS (1UL << 1) /* handler needs every register */
#define FTRACE_OPS_FL_IPMODIFY (1UL << 2)  /* handler may change regs->ip */
#define FTRACE_OPS_FL_PERMANENT (1UL << 3) /* must stay on (recorded; livepatch) */

struct ftrace_ops {
	ftrace_func_t func; /* must stay first: the trampolines call [ops] */
	unsigned long flags;
	void *private;
	/* owned by kernel/trace/ftrace.c */
	struct ftrace_ops *next;
	unsigned long *filter; /* sorted site addresses, kmalloc'd; NULL = all */
	size_t nr_filter;
	unsigned long *notrace_list; /* sorted sites never called, filter or not; NULL = none */
	size_t nr_notrace;
	int tramp; /* trampoline slot, -1 when the ops has none */
	/* Set by the owner before registering, or 0: the address of a
	 * trampoline of its own, which a site with this ops alone calls
	 * instead of the generic one (a jmp installed by ftrace_site_set_jmp
	 * still wins). It must lie in trampoline text (-EINVAL otherwise:
	 * ftrace_text_is_trampoline, so the unwinder distrusts it and an
	 * interrupt never preempts it, which makes it an RCU reader), do what
	 * func would do to the call, and keep whatever the traced function
	 * needs from its entry state. */
	unsigned long direct;
};

int register_ftrace_function(struct ftrace_ops *ops);
/* Puts the sites back (NOP or the remaining ops) and frees the filter. */
int unregister_ftrace_function(struct ftrace_ops *ops);
/* kernel.ftrace_enabled (/proc/sys/kernel/ftrace_enabled, Linux's
 * semantics): off makes every site a NOP and refuses to register a
 * PERMANENT ops (-EBUSY); turning it off is refused (-EBUSY) while a
 * PERMANENT ops is registered, as livepatch's are. */
int ftrace_set_enabled(bool on);
bool ftrace_is_enabled(void);
/* Add (remove=0) or drop (remove=1) one site, ip being a function's
 * address; reset=1 empties the filter first. -ENOENT when ip is no site,
 * -EBUSY when this would put a second IPMODIFY ops on a site (nothing
 * changes). Takes effect at once on a registered ops. */
int ftrace_set_filter_ip(struct ftrace_ops *ops, unsigned long ip, int remove, int reset);
/* Add every site whose function name matches the glob (len bytes; a leading
 * '!' removes instead). -EINVAL when nothing matches (nothing changes). */
int ftrace_set_filter(struct ftrace_ops *ops, const char *buf, int len, int reset);
/* The same for the notrace list (Linux's ftrace_set_notrace): its sites are
 * left out whatever the filter says; an empty list leaves out nothing. */
int ftrace_set_notrace(struct ftrace_ops *ops, const char *buf, int len, int reset);
/* Drop the filter and notrace list of an ops that is not registered. */
void ftrace_free_filter(struct ftrace_ops *ops);
/* The site at ip (a function's address or its site), or 0. */
unsigned long ftrace_location(unsigned long ip);

/* Livepatch fast path: on a site held by exactly one ops, which has
 * IPMODIFY, replace the trampoline call by `jmp target` (int3 protocol).
 * -EBUSY if the site has another ops or none, -ERANGE if target is beyond
 * rel32 reach. Another ops joining the site turns the jmp back into a call
 * until it leaves again; clear_jmp restores the call for good. */
int ftrace_site_set_jmp(unsigned long site, unsigned long target);
int ftrace_site_clear_jmp(unsigned long site);

/* Module sites (kernel/module/main.c): sites are the module's relocated
 * __mcount_loc entries. Each must hold `call __fentry__` (-EINVAL
 * otherwise, nothing changes); they are recorded and NOP'd (or given to
 * an ops that traces every site), and mod->sites/nr_sites set. Release
 * (Linux's ftrace_release_mod), when the module goes or its load fails,
 * takes them out of every ops' filter and the function tracer's (a filter
 * left with none of its sites matches nothing, it does not become "every
 * site"), NOPs them and forgets them; it cannot fail. */
struct module;
int ftrace_add_module_sites(struct module *mod, const unsigned long *sites, size_t n);
void ftrace_release_module_sites(struct module *mod);

/* Whether addr lies in a trampoline (stacks passing through one are not
 * reliable) or in the int3 patch handler. */
bool ftrace_text_is_trampoline(unsigned long addr);

/* --- Introspection for tracefs and tests --- */
struct ftrace_site_info {
	unsigned long ip;
	/* A copy ("" if unknown): a module site's name lives in the module,
	 * which may go while the caller is still printing it. */
	char name[128];
	int nr_ops;
	bool regs;     /* an ops with SAVE_REGS is attached */
	bool ipmodify; /* an IPMODIFY ops holds it */
	unsigned long jmp; /* jmp target installed, or 0 */
	bool direct; /* the site calls its one ops' direct trampoline */
	u8 insn[5];    /* the bytes at the site now */
};
size_t ftrace_nr_sites(void);
/* Fill info for the i-th site (address order); false past the end. */
bool ftrace_site_at(size_t i, struct ftrace_site_info *info);

/* The function tracer (kernel/trace/function.c). An entry names the task
 * that was running when it was recorded (its pid and a copy of its comm):
 * the task may be gone, or renamed, by the time the buffer is read. */
#define TRACE_COMM_LEN 16
struct trace_entry {
	u64 ts;
	unsigned long ip, parent_ip;
	u32 pid;
	u16 cpu;
	u8 flags; /* TRACE_FLAG_* */
	u8 pad;
	char comm[TRACE_COMM_LEN]; /* NUL-terminated */
};
#define TRACE_FLAG_IRQS_OFF 1
#define TRACE_FLAG_HARDIRQ 2

int tracer_function_start(void);
void tracer_function_stop(void);
bool tracer_function_active(void);
struct ftrace_ops *tracer_function_ops(void);
void tracing_set_on(bool on);
bool tracing_is_on(void);
int trace_buffer_resize_kb(unsigned long kb);
unsigned long trace_buffer_size_kb(void);
void trace_buffer_clear(void);
/* Entries currently held / ever written / overwritten, summed over CPUs. */
void trace_buffer_stats(u64 *held, u64 *written, u64 *lost);
/* Iterate the held entries in time order across CPUs. consume=true takes
 * them out (trace_pipe). fn returns false to stop. */
size_t trace_buffer_iterate(bool consume, bool (*fn)(const struct trace_entry *e, void *arg),
			    void *arg);
/* Who is running: before the scheduler starts, the boot context. */
u32 trace_current_pid(void);
const char *trace_current_comm(void);
