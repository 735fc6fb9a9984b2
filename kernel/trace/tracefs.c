/* /sys/kernel/tracing: the Linux tracefs files for the function tracer.
 *
 *   available_filter_functions  every site, by function name
 *   set_ftrace_filter           globs: "> " replaces, ">>" adds, "!glob" removes,
 *                               a blank write ("echo > set_ftrace_filter") clears
 *                               it (= all functions)
 *   set_ftrace_notrace          globs never traced, whatever the filter says; edited
 *                               the same way ("#### no functions disabled ####")
 *   current_tracer              nop | function (available_tracers lists them);
 *                               starting "function" empties the buffer, "nop" keeps it
 *   tracing_on                  0 | 1: pause/resume recording
 *   trace                       the buffer in Linux's text format; a write clears it
 *   trace_pipe                  the same lines, consumed as read; a stream: the
 *                               shell's cat waits for more until Ctrl-C, as Linux's
 *                               read blocks (a single read, the bridge's, never waits)
 *   buffer_size_kb              per-CPU buffer size; writing resizes (and clears)
 *   enabled_functions           sites with ops: "name (count) R I ->target"
 *
 * A read is capped by the pseudo-fs (SEQ_BUF_MAX): trace stops with a
 * "# ... more entries" line rather than fail; trace_pipe consumes only what
 * it printed. */
#define pr_fmt(fmt) "tracefs: " fmt
#include <kelp/ftrace.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/ksyms.h>
#include <kelp/init.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/percpu.h>
#include <kelp/sched.h>
#include <kelp/wait.h>

#define TRACEFS_DIR "/sys/kernel/tracing"
#define TRACE_ROOM 256 /* stop printing entries this close to SEQ_BUF_MAX */

static const char *sym_name(unsigned long addr, char *buf, size_t size)
{
	struct ksym sym;
	if (ksym_lookup_addr(addr, &sym, NULL))
		return sym.name;
	snprintf(buf, size, "0x%lx", addr);
	return buf;
}

static int available_filter_functions_show(struct seq_file *m, void *data)
{
	struct ftrace_site_info si;
	(void)data;
	for (size_t i = 0; ftrace_site_at(i, &si); i++)
		seq_printf(m, "%s\n", si.name[0] ? si.name : "?");
	return 0;
}

static int enabled_functions_show(struct seq_file *m, void *data)
{
	struct ftrace_site_info si;
	char b[24];
	(void)data;
	for (size_t i = 0; ftrace_site_at(i, &si); i++) {
		if (!si.nr_ops)
			continue;
		seq_printf(m, "%s (%d)%s%s", si.name[0] ? si.name : "?", si.nr_ops, si.regs ? " R" : "",
			   si.ipmodify ? " I" : "");
		if (si.jmp)
			seq_printf(m, " ->%s", sym_name(si.jmp, b, sizeof(b)));
		seq_putc(m, '\n');
	}
	return 0;
}

/* set_ftrace_filter and set_ftrace_notrace: the same file over one of the
 * function tracer's two lists (its pfs data). */
struct tracefs_list {
	bool exclude; /* the notrace list, not the filter */
	const char *empty; /* what an empty list reads as */
};

static struct tracefs_list tracefs_filter = { false, "#### all functions enabled ####\n" };
static struct tracefs_list tracefs_notrace = { true, "#### no functions disabled ####\n" };

static int tracefs_list_show(struct seq_file *m, void *data)
{
	const struct tracefs_list *l = data;
	struct ftrace_ops *ops = tracer_function_ops();
	const unsigned long *ips = l->exclude ? ops->notrace_list : ops->filter;
	size_t n = l->exclude ? ops->nr_notrace : ops->nr_filter;
	if (!n) {
		seq_puts(m, l->empty);
		return 0;
	}
	char b[24];
	for (size_t i = 0; i < n; i++)
		/* 0: the filter's stand-in once unloading a module emptied it
		 * (empty would mean all); the notrace list is compacted instead */
		if (ips[i])
			seq_printf(m, "%s\n", sym_name(ips[i], b, sizeof(b)));
	return 0;
}

/* reset: "> " replaces the list, ">>" (the append store) adds to it. */
static ssize_t tracefs_list_write(const struct tracefs_list *l, const char *buf, size_t len,
				  int reset)
{
	struct ftrace_ops *ops = tracer_function_ops();
	int err = l->exclude ? ftrace_set_notrace(ops, buf, (int)len, reset)
			     : ftrace_set_filter(ops, buf, (int)len, reset);
	return err ? err : (ssize_t)len;
}

static ssize_t tracefs_list_store(void *data, const char *buf, size_t len)
{
	return tracefs_list_write(data, buf, len, 1);
}

static ssize_t tracefs_list_append(void *data, const char *buf, size_t len)
{
	return tracefs_list_write(data, buf, len, 0);
}

/* "  word \n" -> "word" in out; false when it does not fit. */
static bool one_word(const char *buf, char *out, size_t size)
{
	while (*buf == ' ' || *buf == '\t' || *buf == '\n')
		buf++;
	size_t n = 0;
	while (buf[n] && buf[n] != ' ' && buf[n] != '\t' && buf[n] != '\n')
		n++;
	if (n >= size)
		return false;
	memcpy(out, buf, n);
	out[n] = 0;
	return true;
}

static int current_tracer_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_puts(m, tracer_function_active() ? "function\n" : "nop\n");
	return 0;
}

static ssize_t current_tracer_store(void *data, const char *buf, size_t len)
{
	char w[16];
	(void)data;
	if (!one_word(buf, w, sizeof(w)))
		return -EINVAL;
	if (!strcmp(w, "function")) {
		/* A new trace starts empty, as in Linux; stopping keeps it. */
		if (!tracer_function_active())
			trace_buffer_clear();
		int err = tracer_function_start();
		if (err)
			return err;
	} else if (!strcmp(w, "nop")) {
		tracer_function_stop();
	} else {
		return -EINVAL;
	}
	return len;
}

static int available_tracers_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_puts(m, "function nop\n");
	return 0;
}

static int tracing_on_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_printf(m, "%d\n", tracing_is_on() ? 1 : 0);
	return 0;
}

static ssize_t tracing_on_store(void *data, const char *buf, size_t len)
{
	unsigned long long v;
	char w[24];
	(void)data;
	if (!one_word(buf, w, sizeof(w)) || kstrtoull(w, 10, &v))
		return -EINVAL;
	tracing_set_on(v != 0);
	return len;
}

static int buffer_size_kb_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_printf(m, "%lu\n", trace_buffer_size_kb());
	return 0;
}

static ssize_t buffer_size_kb_store(void *data, const char *buf, size_t len)
{
	unsigned long long v;
	char w[24];
	(void)data;
	if (!one_word(buf, w, sizeof(w)) || kstrtoull(w, 10, &v))
		return -EINVAL;
	int err = trace_buffer_resize_kb(v);
	return err ? err : (ssize_t)len;
}

struct trace_print {
	struct seq_file *m;
	size_t printed, skipped;
};

static bool trace_print_one(const struct trace_entry *e, void *arg)
{
	struct trace_print *p = arg;
	char b1[24], b2[24];
	if (p->m->count + TRACE_ROOM > SEQ_BUF_MAX) {
		p->skipped++;
		return false;
	}
	char fl[6] = ".....";
	if (e->flags & TRACE_FLAG_IRQS_OFF)
		fl[0] = 'd';
	if (e->flags & TRACE_FLAG_HARDIRQ)
		fl[2] = 'h';
	seq_printf(p->m, "%16s-%-7u [%03u] %s %5llu.%06llu: %s <-%s\n", e->comm, e->pid, e->cpu, fl,
		   (unsigned long long)(e->ts / 1000000000ULL),
		   (unsigned long long)(e->ts % 1000000000ULL / 1000),
		   sym_name(e->ip, b1, sizeof(b1)), sym_name(e->parent_ip, b2, sizeof(b2)));
	p->printed++;
	return true;
}

static int trace_show(struct seq_file *m, void *data)
{
	u64 held, written, lost;
	(void)data;
	trace_buffer_stats(&held, &written, &lost);
	seq_printf(m, "# tracer: %s\n#\n", tracer_function_active() ? "function" : "nop");
	seq_printf(m, "# entries-in-buffer/entries-written: %llu/%llu   #P:%d\n#\n",
		   (unsigned long long)held, (unsigned long long)written, nr_cpus());
	seq_puts(m, "#                                _-----=> irqs-off/BH-disabled\n"
		    "#                               / _----=> need-resched\n"
		    "#                              | / _---=> hardirq/softirq\n"
		    "#                              || / _--=> preempt-depth\n"
		    "#                              ||| / _-=> migrate-disable\n"
		    "#                              |||| /     delay\n"
		    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		    "#              | |         |   |||||     |         |\n");
	struct trace_print p = { m, 0, 0 };
	trace_buffer_iterate(false, trace_print_one, &p);
	if (p.printed < held)
		seq_printf(m, "# ... %llu more entries (read limit; use trace_pipe)\n",
			   (unsigned long long)(held - p.printed));
	return 0;
}

static ssize_t trace_store(void *data, const char *buf, size_t len)
{
	(void)data;
	(void)buf;
	trace_buffer_clear();
	return len;
}

static int trace_pipe_show(struct seq_file *m, void *data)
{
	(void)data;
	struct trace_print p = { m, 0, 0 };
	trace_buffer_iterate(true, trace_print_one, &p);
	return 0;
}

/* Until an entry is held. The handler cannot wake a reader (it runs
 * inside traced code, under any lock), so the reader looks again every
 * few ticks, as Linux's trace_pipe does when its wake-up is deferred. */
#define TRACE_PIPE_POLL_MS 20
static int trace_pipe_wait(void *data)
{
	(void)data;
	for (;;) {
		u64 held;
		trace_buffer_stats(&held, NULL, NULL);
		if (held)
			return 0;
		if (signal_pending(current))
			return -EINTR;
		msleep_interruptible(TRACE_PIPE_POLL_MS);
	}
}

static int tracefs_init(void)
{
	struct pfs_node *d = pfs_mkdir_p(TRACEFS_DIR);
	if (!d)
		return -ENOMEM;
	struct pfs_node *pipe, *nt,
		*filter = pfs_create_file(d, "set_ftrace_filter", 0644, tracefs_list_show,
					  tracefs_list_store, &tracefs_filter);
	if (!filter ||
	    !(nt = pfs_create_file(d, "set_ftrace_notrace", 0644, tracefs_list_show,
				   tracefs_list_store, &tracefs_notrace)) ||
	    !pfs_create_file(d, "available_filter_functions", 0444, available_filter_functions_show,
			     NULL, NULL) ||
	    !pfs_create_file(d, "current_tracer", 0644, current_tracer_show, current_tracer_store,
			     NULL) ||
	    !pfs_create_file(d, "available_tracers", 0444, available_tracers_show, NULL, NULL) ||
	    !pfs_create_file(d, "tracing_on", 0644, tracing_on_show, tracing_on_store, NULL) ||
	    !pfs_create_file(d, "trace", 0644, trace_show, trace_store, NULL) ||
	    !(pipe = pfs_create_file(d, "trace_pipe", 0444, trace_pipe_show, NULL, NULL)) ||
	    !pfs_create_file(d, "buffer_size_kb", 0644, buffer_size_kb_show, buffer_size_kb_store,
			     NULL) ||
	    !pfs_create_file(d, "enabled_functions", 0444, enabled_functions_show, NULL, NULL))
		return -ENOMEM;
	pfs_set_append(filter, tracefs_list_append);
	pfs_set_append(nt, tracefs_list_append);
	pfs_set_wait(pipe, trace_pipe_wait);
	return 0;
}
fs_initcall(tracefs_init);
