/* The function tracer: an ftrace_ops whose handler records {time, ip,
 * parent ip, pid, comm, cpu, flags} in a per-CPU ring buffer. A full buffer
 * overwrites its oldest entry and counts it as lost. The handler and all it
 * calls are notrace (the trampoline's recursion guard is the second line of
 * defence). Readers snapshot a CPU's entries under its lock, so formatting
 * (traced code) never runs inside the buffer. */
#define pr_fmt(fmt) "trace: " fmt
#include <kelp/ftrace.h>
#include <kelp/sched.h>
#include <kelp/percpu.h>
#include <kelp/spinlock.h>
#include <kelp/time.h>
#include <kelp/mm.h>
#include <kelp/errno.h>
#include <kelp/string.h>

#define TRACE_DEFAULT_KB 16
#define TRACE_MAX_KB 4096

struct trace_cpu_buf {
	spinlock_t lock;
	struct trace_entry *ents;
	u64 size;  /* entries */
	u64 head;  /* sequence number of the next write */
	u64 tail;  /* oldest entry still held */
	u64 lost;  /* overwritten before being read */
};

static struct trace_cpu_buf trace_bufs[MAX_CPUS];
static unsigned long trace_kb = TRACE_DEFAULT_KB;
static volatile bool trace_on = true;
static bool function_active;

/* The running task, read through GS; before sched_init there is none. */
notrace u32 trace_current_pid(void)
{
	struct task *t = current;
	return t ? (u32)t->pid : 0;
}

notrace const char *trace_current_comm(void)
{
	struct task *t = current;
	return t ? t->comm : "swapper/0";
}

/* A fixed-size copy the compiler does inline: the handler calls nothing
 * that is traced. */
static __always_inline void trace_copy_comm(char *dst, const char *src)
{
	_Static_assert(TRACE_COMM_LEN == TASK_COMM_LEN, "trace entries copy a task's comm whole");
	__builtin_memcpy(dst, src, TRACE_COMM_LEN);
	dst[TRACE_COMM_LEN - 1] = 0;
}

static notrace void function_trace_call(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	(void)op;
	(void)fregs;
	if (!trace_on)
		return;
	unsigned long flags = arch_irq_save();
	struct percpu *pc = this_cpu();
	struct trace_cpu_buf *b = &trace_bufs[pc->cpu_id];
	/* Preemption is already off (the trampoline holds the count around
	 * this handler) and stays off past the unlock: no count round trip,
	 * which cost every traced call of the function tracer 10 instructions
	 * when spinlocks began disabling preemption. */
	spin_lock_preempt_off(&b->lock);
	if (b->ents) {
		if (b->head - b->tail >= b->size) {
			b->tail++;
			b->lost++;
		}
		struct trace_entry *e = &b->ents[b->head % b->size];
		e->ts = ktime_get_ns();
		e->ip = ip;
		e->parent_ip = parent_ip;
		e->pid = trace_current_pid();
		trace_copy_comm(e->comm, trace_current_comm());
		e->cpu = (u16)pc->cpu_id;
		e->flags = (!(flags & (1UL << 9)) ? TRACE_FLAG_IRQS_OFF : 0) |
			   (pc->in_irq ? TRACE_FLAG_HARDIRQ : 0);
		b->head++;
	}
	spin_unlock_preempt_off(&b->lock);
	arch_irq_restore(flags);
}

static struct ftrace_ops function_ops = { .func = function_trace_call, .tramp = -1 };

struct ftrace_ops *tracer_function_ops(void)
{
	return &function_ops;
}

static int buffers_alloc(unsigned long kb)
{
	u64 n = kb * 1024 / sizeof(struct trace_entry);
	if (!n)
		n = 1;
	int cpus = nr_cpus();
	struct trace_entry *fresh[MAX_CPUS] = { 0 };
	for (int c = 0; c < cpus; c++) {
		fresh[c] = kmalloc(n * sizeof(struct trace_entry));
		if (!fresh[c]) {
			for (int d = 0; d < c; d++)
				kfree(fresh[d]);
			return -ENOMEM;
		}
	}
	for (int c = 0; c < cpus; c++) {
		struct trace_cpu_buf *b = &trace_bufs[c];
		unsigned long flags = spin_lock_irqsave(&b->lock);
		struct trace_entry *old = b->ents;
		b->ents = fresh[c];
		b->size = n;
		b->head = b->tail = b->lost = 0;
		spin_unlock_irqrestore(&b->lock, flags);
		kfree(old);
	}
	trace_kb = kb;
	return 0;
}

int trace_buffer_resize_kb(unsigned long kb)
{
	if (!kb || kb > TRACE_MAX_KB)
		return -EINVAL;
	return buffers_alloc(kb);
}

unsigned long trace_buffer_size_kb(void)
{
	return trace_kb;
}

void trace_buffer_clear(void)
{
	for (int c = 0; c < nr_cpus(); c++) {
		struct trace_cpu_buf *b = &trace_bufs[c];
		unsigned long flags = spin_lock_irqsave(&b->lock);
		b->head = b->tail = b->lost = 0; /* entries-written restarts too */
		spin_unlock_irqrestore(&b->lock, flags);
	}
}

void trace_buffer_stats(u64 *held, u64 *written, u64 *lost)
{
	u64 h = 0, w = 0, l = 0;
	for (int c = 0; c < nr_cpus(); c++) {
		struct trace_cpu_buf *b = &trace_bufs[c];
		unsigned long flags = spin_lock_irqsave(&b->lock);
		h += b->head - b->tail;
		w += b->head;
		l += b->lost;
		spin_unlock_irqrestore(&b->lock, flags);
	}
	if (held)
		*held = h;
	if (written)
		*written = w;
	if (lost)
		*lost = l;
}

size_t trace_buffer_iterate(bool consume, bool (*fn)(const struct trace_entry *e, void *arg),
			    void *arg)
{
	int cpus = nr_cpus();
	struct trace_entry *snap[MAX_CPUS] = { 0 };
	u64 cnt[MAX_CPUS] = { 0 }, first[MAX_CPUS] = { 0 }, pos[MAX_CPUS] = { 0 };
	size_t delivered = 0;

	for (int c = 0; c < cpus; c++) {
		struct trace_cpu_buf *b = &trace_bufs[c];
		/* Size the copy outside the lock (kmalloc is traced). */
		u64 want = READ_ONCE(b->size);
		struct trace_entry *s = want ? kmalloc(want * sizeof(*s)) : NULL;
		if (!s)
			continue;
		unsigned long flags = spin_lock_irqsave(&b->lock);
		u64 n = MIN(b->head - b->tail, want);
		u64 start = b->head - n;
		for (u64 i = 0; i < n; i++)
			s[i] = b->ents[(start + i) % b->size];
		spin_unlock_irqrestore(&b->lock, flags);
		snap[c] = s;
		cnt[c] = n;
		first[c] = start;
	}
	/* Merge the CPUs by time. */
	for (;;) {
		int best = -1;
		for (int c = 0; c < cpus; c++)
			if (pos[c] < cnt[c] &&
			    (best < 0 || snap[c][pos[c]].ts < snap[best][pos[best]].ts))
				best = c;
		if (best < 0 || !fn(&snap[best][pos[best]], arg))
			break;
		pos[best]++;
		delivered++;
	}
	for (int c = 0; c < cpus; c++) {
		if (consume && pos[c]) {
			struct trace_cpu_buf *b = &trace_bufs[c];
			unsigned long flags = spin_lock_irqsave(&b->lock);
			if (b->tail < first[c] + pos[c])
				b->tail = first[c] + pos[c];
			spin_unlock_irqrestore(&b->lock, flags);
		}
		kfree(snap[c]);
	}
	return delivered;
}

void tracing_set_on(bool on)
{
	trace_on = on;
}

bool tracing_is_on(void)
{
	return trace_on;
}

int tracer_function_start(void)
{
	if (function_active)
		return 0;
	if (!trace_bufs[0].ents) {
		int err = buffers_alloc(trace_kb);
		if (err)
			return err;
	}
	int err = register_ftrace_function(&function_ops);
	if (!err)
		function_active = true;
	return err;
}

void tracer_function_stop(void)
{
	if (!function_active)
		return;
	/* unregister frees the filter and the notrace list; set_ftrace_filter
	 * and set_ftrace_notrace outlive the tracer in Linux, so keep copies
	 * and put them back. */
	size_t n = function_ops.nr_filter, nn = function_ops.nr_notrace;
	unsigned long *keep = n ? kmalloc(n * sizeof(*keep)) : NULL;
	unsigned long *keep_nt = nn ? kmalloc(nn * sizeof(*keep_nt)) : NULL;
	if (keep)
		memcpy(keep, function_ops.filter, n * sizeof(*keep));
	if (keep_nt)
		memcpy(keep_nt, function_ops.notrace_list, nn * sizeof(*keep_nt));
	unregister_ftrace_function(&function_ops);
	if (keep) {
		function_ops.filter = keep;
		function_ops.nr_filter = n;
	}
	if (keep_nt) {
		function_ops.notrace_list = keep_nt;
		function_ops.nr_notrace = nn;
	}
	function_active = false;
}

bool tracer_function_active(void)
{
	return function_active;
}
