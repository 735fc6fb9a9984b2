/* The lock validator of the test kernel (see <kelp/lockdep.h>): lock
 * classes, the locks each context holds, the order graph between classes,
 * and the reports. Everything runs with interrupts off and a per-CPU guard
 * against its own re-entry (its reports print, and printing takes locks).
 * notrace throughout: spin_lock calls it from the tracer's own paths. Nor
 * does it call traced helpers (memmove, memset: open-coded loops below) on
 * the acquire and release paths: spin_unlock calls it with the lock still
 * held, and the function tracer's handler takes its buffer's lock, so a
 * traced callee there deadlocks the CPU on trace_buffer_clear and every
 * other tracer path (tests/fuzz-system/repro/trace-clear-deadlock.json). */
#define pr_fmt(fmt) "lockdep: " fmt
#include <kelp/lockdep.h>
#include <kelp/sched.h>
#include <kelp/irq.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/ksyms.h>
#include <kelp/stacktrace.h>
#include <kelp/string.h>
#include <kelp/cmdline.h>
#include <kelp/init.h>
#include <arch/cpu.h>

#define MAX_CLASSES 256
#define MAP_SIZE 8192 /* lock address -> class; a power of two */
#define MAX_EDGES 1024
#define EDGE_STACK 10

#define USED_IN_IRQ 1 /* taken in an interrupt handler */
#define USED_IRQS_ON 2 /* taken in task context with interrupts on */

struct lock_class {
	const void *key; /* the init site, or the static lock itself */
	const char *name;
	const void *lock; /* one lock of the class, to name it */
	unsigned char usage, reported;
	unsigned int nr_usage_stack;
	unsigned long usage_stack[EDGE_STACK]; /* where the first usage was seen */
};

struct lock_edge {
	unsigned short from, to;
	unsigned int nr;
	unsigned long stack[EDGE_STACK];
};

static struct lock_class classes[MAX_CLASSES];
static unsigned int nr_classes;
static struct {
	const void *lock;
	unsigned short cls;
} lock_map[MAP_SIZE];
static u64 after[MAX_CLASSES][MAX_CLASSES / 64]; /* after[a] has b: a was held when b was taken */
static struct lock_edge edges[MAX_EDGES];
static unsigned int nr_edges;
static struct lockdep_task irq_held[MAX_CPUS];
static bool busy[MAX_CPUS];
static bool out_of_room;
static volatile unsigned int reports, acked;
bool lockdep_on = true;

static int lockdep_setup(void)
{
	if (cmdline_has("bench") || cmdline_has("nolockdep")) {
		lockdep_on = false;
		pr_info("lock validator off\n");
	}
	return 0;
}
core_initcall(lockdep_setup);

/* ---- helpers ---- */

/* The tables (classes, lock map, order graph) are shared by every CPU:
 * one raw lock, a bare flag because the spinlocks call in here. A CPU
 * printing a report holds it while its printk takes locks another CPU may
 * hold and release through here, so a CPU that finds a report in progress
 * gives up on validating this one operation rather than wait. */
static int tables_lock;
static int tables_reporter = -1;

static notrace bool enter_local(unsigned long *flags)
{
	*flags = arch_irq_save();
	int cpu = this_cpu()->cpu_id;
	if (busy[cpu] || panic_in_progress || !sched_running()) {
		arch_irq_restore(*flags);
		return false;
	}
	busy[cpu] = true;
	return true;
}

static notrace void leave_local(unsigned long flags)
{
	busy[this_cpu()->cpu_id] = false;
	arch_irq_restore(flags);
}

static notrace bool enter(unsigned long *flags)
{
	if (!enter_local(flags))
		return false;
	/* Acquire: the tables as the last holder left them (pairs with the
	 * release in leave()). */
	while (__atomic_exchange_n(&tables_lock, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&tables_lock, __ATOMIC_RELAXED)) {
			if (__atomic_load_n(&tables_reporter, __ATOMIC_RELAXED) >= 0) {
				leave_local(*flags);
				return false;
			}
			arch_cpu_relax();
		}
	}
	return true;
}

static notrace void leave(unsigned long flags)
{
	__atomic_store_n(&tables_reporter, -1, __ATOMIC_RELAXED);
	__atomic_store_n(&tables_lock, 0, __ATOMIC_RELEASE);
	leave_local(flags);
}

static notrace struct lockdep_task *held_of_context(void)
{
	if (READ_ONCE(this_cpu()->in_irq))
		return &irq_held[this_cpu()->cpu_id];
	return &current->lockdep;
}

static notrace unsigned int map_slot(const void *lock)
{
	unsigned long h = (unsigned long)lock;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15UL;
	return (unsigned int)(h >> 40) & (MAP_SIZE - 1);
}

static notrace int class_of_key(const void *key, const char *name, const void *lock)
{
	for (unsigned int i = 0; i < nr_classes; i++)
		if (classes[i].key == key)
			return (int)i;
	if (nr_classes == MAX_CLASSES) {
		if (!out_of_room)
			pr_warn("out of lock classes: order checks of new classes off\n");
		out_of_room = true;
		return -1;
	}
	classes[nr_classes] = (struct lock_class){ .key = key, .name = name, .lock = lock };
	return (int)nr_classes++;
}

static notrace void map_set(const void *lock, int cls)
{
	unsigned int s = map_slot(lock);
	for (unsigned int n = 0; n < MAP_SIZE; n++, s = (s + 1) & (MAP_SIZE - 1))
		if (!lock_map[s].lock || lock_map[s].lock == lock) {
			lock_map[s].lock = lock;
			lock_map[s].cls = (unsigned short)cls;
			return;
		}
}

/* The class of lock: the one its init site gave it, else (a statically
 * initialised lock) its own. -1 when the tables are full. */
static notrace int class_of(const void *lock, const char *name)
{
	unsigned int s = map_slot(lock);
	for (unsigned int n = 0; n < MAP_SIZE && lock_map[s].lock;
	     n++, s = (s + 1) & (MAP_SIZE - 1))
		if (lock_map[s].lock == lock)
			return lock_map[s].cls;
	int cls = class_of_key(lock, name, lock);
	if (cls >= 0)
		map_set(lock, cls);
	return cls;
}

static notrace void class_name(int cls, char *buf, size_t size)
{
	const struct lock_class *c = &classes[cls];
	struct ksym sym;
	unsigned long off;
	if (c->name)
		snprintf(buf, size, "%s", c->name);
	else if (ksym_lookup_addr((unsigned long)c->lock, &sym, &off))
		snprintf(buf, size, off ? "%s+%#lx" : "%s", sym.name, off);
	else
		snprintf(buf, size, "lock@%p", c->lock);
}

struct save_ctx {
	unsigned long *store;
	unsigned int n, max;
};

static notrace void save_bounds(unsigned long fp, unsigned long *lo, unsigned long *hi)
{
	if (!kstack_bounds_hook || !kstack_bounds_hook(fp, lo, hi)) {
		*lo = fp;
		*hi = fp + KSTACK_SIZE;
	}
}

static notrace bool save_entry(void *arg, const struct stack_entry *e)
{
	struct save_ctx *c = arg;
	if (e->kind == STACK_ENTRY_TRAP)
		return true;
	c->store[c->n++] = e->addr;
	return c->n < c->max;
}

static notrace unsigned int save_stack(unsigned long *store, unsigned int max)
{
	struct save_ctx c = { store, 0, max };
	stack_trace_walk(arch_frame_pointer(), 0, save_bounds, save_entry, &c);
	return c.n;
}

static notrace void print_held(const struct lockdep_task *h)
{
	char name[64], at[96];
	printk(KERN_ERR "%d lock(s) held by %s/%d%s:\n", h->depth, current->comm, current->pid,
	       READ_ONCE(this_cpu()->in_irq) ? " (in interrupt)" : "");
	for (int i = 0; i < h->depth; i++) {
		class_name(h->held[i].cls, name, sizeof(name));
		ksym_snprint_ret(at, sizeof(at), h->held[i].ip);
		printk(KERN_ERR " #%d: %s, taken at %s\n", i, name, at);
	}
}

static notrace void report_begin(const char *what)
{
	__atomic_store_n(&tables_reporter, this_cpu()->cpu_id, __ATOMIC_RELAXED);
	reports++;
	printk(KERN_ERR "=====================================================\n");
	printk(KERN_ERR "lockdep: %s\n", what);
	printk(KERN_ERR "%s/%d, preempt_count %d, irqs %s\n", current->comm, current->pid,
	       preempt_count(), arch_irqs_enabled() ? "on" : "off");
}

static notrace void report_end(void)
{
	print_held(held_of_context());
	dump_stack();
	printk(KERN_ERR "=====================================================\n");
}

/* ---- the order graph ---- */

static notrace bool has_edge(int a, int b)
{
	return (after[a][b / 64] >> (b % 64)) & 1;
}

/* A path from -> ... -> to; prev[] gives it back. */
static notrace bool path_exists(int from, int to, short *prev)
{
	static short queue[MAX_CLASSES];
	static bool seen[MAX_CLASSES];
	for (unsigned int i = 0; i < MAX_CLASSES; i++)
		seen[i] = false;
	int head = 0, tail = 0;
	queue[tail++] = (short)from;
	seen[from] = true;
	prev[from] = -1;
	while (head < tail) {
		int a = queue[head++];
		if (a == to)
			return true;
		for (unsigned int b = 0; b < nr_classes; b++)
			if (!seen[b] && has_edge(a, (int)b)) {
				seen[b] = true;
				prev[b] = (short)a;
				queue[tail++] = (short)b;
			}
	}
	return false;
}

static notrace struct lock_edge *find_edge(int a, int b)
{
	for (unsigned int i = 0; i < nr_edges; i++)
		if (edges[i].from == a && edges[i].to == b)
			return &edges[i];
	return NULL;
}

static notrace void report_inversion(int held, int want, const short *prev)
{
	char a[64], b[64];
	class_name(held, a, sizeof(a));
	class_name(want, b, sizeof(b));
	report_begin("possible circular locking dependency");
	printk(KERN_ERR "taking %s while holding %s, but %s -> %s is already known:\n", b, a, b, a);
	/* the known chain, walked back from `held` to `want` */
	for (int to = held; prev[to] >= 0; to = prev[to]) {
		int from = prev[to];
		struct lock_edge *e = find_edge(from, to);
		class_name(from, a, sizeof(a));
		class_name(to, b, sizeof(b));
		printk(KERN_ERR "-> %s taken while holding %s, first at:\n", b, a);
		for (unsigned int i = 0; e && i < e->nr; i++) {
			char sym[96];
			ksym_snprint_ret(sym, sizeof(sym), e->stack[i]);
			printk(KERN_ERR "  %s\n", sym);
		}
	}
	printk(KERN_ERR "and now, the other order:\n");
	report_end();
}

/* held was taken before want in this context. */
static notrace bool add_edge(int held, int want)
{
	if (held == want || has_edge(held, want))
		return true;
	short prev[MAX_CLASSES];
	if (path_exists(want, held, prev)) {
		report_inversion(held, want, prev);
		return false;
	}
	after[held][want / 64] |= 1ULL << (want % 64);
	if (nr_edges < MAX_EDGES) {
		struct lock_edge *e = &edges[nr_edges++];
		e->from = (unsigned short)held;
		e->to = (unsigned short)want;
		e->nr = save_stack(e->stack, EDGE_STACK);
	}
	return true;
}

/* ---- interrupt safety: a spinlock an interrupt handler takes must never
 * be held with interrupts on, or the handler spins on its own CPU's
 * holder for ever ---- */

static notrace void check_irq_usage(int cls, bool irqs_on)
{
	struct lock_class *c = &classes[cls];
	unsigned char now = 0;
	if (READ_ONCE(this_cpu()->in_irq))
		now = USED_IN_IRQ;
	else if (irqs_on)
		now = USED_IRQS_ON;
	if (!now || (c->usage & now))
		return;
	if (!c->usage) {
		c->nr_usage_stack = save_stack(c->usage_stack, EDGE_STACK);
	} else if (!c->reported) {
		char n[64], sym[96];
		c->reported = 1;
		class_name(cls, n, sizeof(n));
		report_begin("interrupt-unsafe lock");
		printk(KERN_ERR "%s is taken in interrupt context and with interrupts on;\n", n);
		printk(KERN_ERR "the other use, first at:\n");
		for (unsigned int i = 0; i < c->nr_usage_stack; i++) {
			ksym_snprint_ret(sym, sizeof(sym), c->usage_stack[i]);
			printk(KERN_ERR "  %s\n", sym);
		}
		printk(KERN_ERR "and now:\n");
		report_end();
	}
	c->usage |= now;
}

/* ---- the hooks ---- */

notrace void __lockdep_init_lock(const void *lock, const void *key, const char *name)
{
	unsigned long flags;
	if (!enter(&flags))
		return;
	int cls = class_of_key(key, name, lock);
	if (cls >= 0)
		map_set(lock, cls);
	leave(flags);
}

static notrace void push(struct lockdep_task *h, const void *lock, int cls, unsigned long ip)
{
	if (h->depth < LOCKDEP_MAX_HELD)
		h->held[h->depth] = (struct lockdep_held){ lock, ip, (unsigned short)cls };
	h->depth++; /* counted even past the array, so releases stay balanced */
}

static notrace bool held_by(const struct lockdep_task *h, const void *lock)
{
	for (int i = 0; i < h->depth && i < LOCKDEP_MAX_HELD; i++)
		if (h->held[i].lock == lock)
			return true;
	return false;
}

notrace bool __lockdep_acquire(const void *lock, const char *name, bool trylock)
{
	unsigned long flags;
	unsigned long ip = (unsigned long)__builtin_return_address(0);
	if (!enter(&flags))
		return false;
	struct lockdep_task *h = held_of_context();
	bool recursion = false;
	/* An interrupt handler spinning on a lock the task it interrupted
	 * holds is the same deadlock. */
	if (!trylock && (held_by(h, lock) || held_by(&current->lockdep, lock))) {
		char n[64];
		int cls = class_of(lock, name);
		if (cls >= 0)
			class_name(cls, n, sizeof(n));
		else
			snprintf(n, sizeof(n), "lock@%p", lock);
		report_begin("recursive locking: this context already holds the lock");
		printk(KERN_ERR "taking %s again (skipped instead of spinning forever)\n", n);
		report_end();
		recursion = true;
	} else {
		int cls = class_of(lock, name);
		if (cls >= 0 && !name) /* a spinlock (mutexes are checked by might_sleep) */
			check_irq_usage(cls, arch_flags_irqs_enabled(flags));
		if (cls >= 0) {
			bool ok = true;
			for (int i = 0; ok && !trylock && i < h->depth && i < LOCKDEP_MAX_HELD; i++)
				ok = add_edge(h->held[i].cls, cls);
			push(h, lock, cls, ip);
		} else {
			push(h, lock, 0, ip);
		}
	}
	leave(flags);
	return recursion;
}

static notrace void pop(struct lockdep_task *h, const void *lock)
{
	int top = h->depth < LOCKDEP_MAX_HELD ? h->depth : LOCKDEP_MAX_HELD;
	for (int i = top - 1; i >= 0; i--)
		if (h->held[i].lock == lock) {
			for (int j = i; j < top - 1; j++)
				h->held[j] = h->held[j + 1];
			h->depth--;
			return;
		}
	if (h->depth > LOCKDEP_MAX_HELD)
		h->depth--; /* it was one of the uncounted ones */
}

notrace void __lockdep_release(const void *lock)
{
	unsigned long flags;
	if (!enter_local(&flags)) /* the context's own list: no table */
		return;
	pop(held_of_context(), lock);
	leave_local(flags);
}

notrace void __lockdep_switch_out(const void *lock)
{
	unsigned long flags;
	if (!enter_local(&flags))
		return;
	pop(&current->lockdep, lock);
	leave_local(flags);
}

notrace void __lockdep_switch_in(const void *lock)
{
	unsigned long flags;
	if (!enter(&flags))
		return;
	push(&current->lockdep, lock, class_of(lock, NULL) < 0 ? 0 : class_of(lock, NULL),
	     (unsigned long)__builtin_return_address(0));
	leave(flags);
}

notrace void __might_sleep(const char *file, int line)
{
	if (preempt_count() == 0 && arch_irqs_enabled())
		return;
	unsigned long flags;
	if (!enter(&flags))
		return;
	/* The idle task runs with preemption off and never sleeps on purpose. */
	if (!(current->flags & PF_IDLE)) {
		report_begin("sleeping function called from invalid context");
		printk(KERN_ERR "at %s:%d: preempt_count %d, irqs %s before this check\n", file,
		       line, preempt_count(), arch_flags_irqs_enabled(flags) ? "on" : "off");
		report_end();
	}
	leave(flags);
}

notrace unsigned int lockdep_unacked(void)
{
	return reports - acked;
}

notrace void lockdep_ack(void)
{
	acked = reports;
}
