/* ftrace core: the site records (one per __mcount_loc entry), the boot-time
 * conversion of every `call __fentry__` into a NOP, ftrace_ops registration
 * and filters, and the choice of what each site executes:
 *
 *   no ops                        -> 0f 1f 44 00 00 (NOP5)
 *   one ops with ops->direct      -> call ops->direct (its own trampoline)
 *   one ops, with a trampoline    -> call ftrace_tramp_<slot of that ops>
 *   one IPMODIFY ops + jmp target -> jmp target (livepatch fast path)
 *   otherwise                     -> call the list trampoline
 *
 * Every change goes through text_poke_batch (int3 protocol). Updates are
 * serialised by the ftrace_lock mutex; the tracing fast path takes no lock: the
 * trampolines and handlers are RCU readers (preemption off; an interrupt
 * never preempts trampoline text). So whatever a site stopped reaching (an
 * ops' trampoline slot and filter, a replaced record array) is freed only
 * after a grace period, taken outside ftrace_lock. */
#define pr_fmt(fmt) "ftrace: " fmt
#include <kelp/ftrace.h>
#include <kelp/text_poke.h>
#include <kelp/percpu.h>
#include <kelp/ksyms.h>
#include <kelp/mm.h>
#include <kelp/mutex.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/init.h>
#include <kelp/module.h>
#include <kelp/rcupdate.h>
#include <kelp/panic.h>
#include <arch/ftrace.h>

#define MCOUNT_INSN_SIZE ARCH_FTRACE_INSN_SIZE
#define FTRACE_NR_TRAMPS 8 /* keep in step with ftrace_offsets.inc */
#define FTRACE_LIST_SLOT (2 * FTRACE_NR_TRAMPS)

BUILD_BUG_ON(offsetof(struct percpu, preempt_count) != 24);
BUILD_BUG_ON(offsetof(struct percpu, in_irq) != 64);
BUILD_BUG_ON(offsetof(struct percpu, ftrace_recursion) != 72);
BUILD_BUG_ON(sizeof(struct ftrace_regs) != 176);
BUILD_BUG_ON(offsetof(struct ftrace_ops, func) != 0);

#define REC_REGS 1
#define REC_IPMODIFY 2
#define REC_DISABLED 4 /* a module site on its way out: NOP, no ops */

struct ftrace_rec {
	unsigned long ip;
	const char *name;
	struct ftrace_ops *one; /* the ops when nr_ops == 1 */
	unsigned long jmp;      /* requested jmp target, 0 = none */
	u16 nr_ops;
	u8 flags;
	u8 cur[MCOUNT_INSN_SIZE]; /* what the site holds */
};

extern const unsigned long __start_mcount_loc[], __stop_mcount_loc[];
extern char __fentry__[], ftrace_tramp_text_start[], ftrace_tramp_text_end[];
extern const unsigned long ftrace_tramp_table[2 * FTRACE_NR_TRAMPS + 1];


static struct ftrace_rec *recs;
static size_t nr_recs;
static struct ftrace_ops *ftrace_ops_list;
/* Serialises site and filter updates. A sleeping lock, as Linux's
 * ftrace_lock is: its sections allocate and rewrite every site in a batch,
 * far too long to hold off preemption. The fast path never takes it. */
static DEFINE_MUTEX(ftrace_lock);
/* kernel.ftrace_enabled (Linux's sysctl): off, every site is a NOP while
 * the ops stay registered; ops that must stay on (PERMANENT: livepatch)
 * cannot register, and their presence keeps it from being turned off. */
static bool ftrace_enabled = true;

static const u8 site_nop[MCOUNT_INSN_SIZE] = ARCH_FTRACE_NOP;

static notrace void ftrace_ops_list_func(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *op, struct ftrace_regs *fregs);
static void ftrace_release_sites_locked(const unsigned long *sites, size_t n);
static struct ftrace_ops ftrace_list_ops = { .func = ftrace_ops_list_func, .tramp = FTRACE_LIST_SLOT };

/* Read by the trampolines: the ops each one serves. */
struct ftrace_ops *ftrace_tramp_ops[2 * FTRACE_NR_TRAMPS + 1] = {
	[FTRACE_LIST_SLOT] = &ftrace_list_ops,
};

/* ---- lookups (also used by the tracing fast path: notrace) ---- */

static notrace long rec_index(unsigned long ip)
{
	size_t lo = 0, hi = nr_recs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (recs[mid].ip == ip)
			return (long)mid;
		if (recs[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static notrace bool sorted_has(const unsigned long *a, size_t n, unsigned long ip)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] == ip)
			return true;
		if (a[mid] < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The notrace list wins over the filter, as in Linux. */
static notrace bool ops_excludes(const struct ftrace_ops *ops, unsigned long ip)
{
	return ops->nr_notrace && sorted_has(ops->notrace_list, ops->nr_notrace, ip);
}

static notrace bool ops_has(const struct ftrace_ops *ops, unsigned long ip)
{
	if (ops_excludes(ops, ip))
		return false;
	return !ops->nr_filter || sorted_has(ops->filter, ops->nr_filter, ip);
}

/* Several ops on one site: call each whose filter has it. */
static notrace void ftrace_ops_list_func(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	(void)op;
	for (struct ftrace_ops *o = READ_ONCE(ftrace_ops_list); o; o = READ_ONCE(o->next))
		if (ops_has(o, ip))
			o->func(ip, parent_ip, o, fregs);
}

/* An RCU reader: a module load or unload may replace the record array
 * (recs_replace) while a preemptible caller searches it. */
unsigned long ftrace_location(unsigned long ip)
{
	rcu_read_lock();
	long i = rec_index(ip);
	unsigned long loc = i < 0 ? 0 : recs[i].ip;
	rcu_read_unlock();
	return loc;
}

notrace bool ftrace_text_is_trampoline(unsigned long addr)
{
	return (addr >= (unsigned long)ftrace_tramp_text_start &&
		addr < (unsigned long)ftrace_tramp_text_end) ||
	       text_poke_is_handler_text(addr);
}

size_t ftrace_nr_sites(void)
{
	return nr_recs;
}

bool ftrace_site_at(size_t i, struct ftrace_site_info *info)
{
	unsigned long flags = arch_irq_save(); /* a consistent snapshot */
	if (i >= nr_recs) {
		arch_irq_restore(flags);
		return false;
	}
	struct ftrace_rec *r = &recs[i];
	info->ip = r->ip;
	strlcpy(info->name, r->name ? r->name : "", sizeof(info->name));
	info->nr_ops = r->nr_ops;
	info->regs = r->flags & REC_REGS;
	info->ipmodify = r->flags & REC_IPMODIFY;
	info->jmp = arch_ftrace_is_jmp(r->cur) ? r->jmp : 0;
	info->direct = false;
	if (r->nr_ops == 1 && r->one->direct && !info->jmp) {
		u8 call[MCOUNT_INSN_SIZE];
		arch_ftrace_make_call(call, r->ip, r->one->direct);
		info->direct = !memcmp(call, r->cur, MCOUNT_INSN_SIZE);
	}
	memcpy(info->insn, (void *)r->ip, MCOUNT_INSN_SIZE);
	arch_irq_restore(flags);
	return true;
}

/* ---- applying the registered ops to the sites ---- */

struct rec_state {
	struct ftrace_ops *one;
	u16 nr;
	u8 flags;
};

static void rec_want(const struct ftrace_rec *r, u8 *insn)
{
	if (!r->nr_ops || (r->flags & REC_DISABLED)) {
		memcpy(insn, site_nop, MCOUNT_INSN_SIZE);
	} else if (r->nr_ops == 1 && r->jmp && (r->flags & REC_IPMODIFY)) {
		arch_ftrace_make_jmp(insn, r->ip, r->jmp);
	} else if (r->nr_ops == 1 && r->one->direct) {
		arch_ftrace_make_call(insn, r->ip, r->one->direct);
	} else {
		int slot = r->nr_ops == 1 && r->one->tramp >= 0 ? r->one->tramp : FTRACE_LIST_SLOT;
		arch_ftrace_make_call(insn, r->ip, ftrace_tramp_table[slot]);
	}
}

static void state_add(struct rec_state *s, struct ftrace_ops *o, int *conflict)
{
	if ((o->flags & FTRACE_OPS_FL_IPMODIFY) && (s->flags & REC_IPMODIFY))
		*conflict = 1;
	s->nr++;
	s->one = o;
	if (o->flags & FTRACE_OPS_FL_SAVE_REGS)
		s->flags |= REC_REGS;
	if (o->flags & FTRACE_OPS_FL_IPMODIFY)
		s->flags |= REC_IPMODIFY;
}

/* Recompute every site from the registered ops and rewrite those that
 * change, in one batch. -EBUSY (nothing touched) if a site would get two
 * IPMODIFY ops. Called with ftrace_lock held. */
/* ftrace_apply()'s working arrays, one slot per record, allocated with
 * the record array (recs_replace, ftrace_init): ftrace_apply() runs on
 * paths that cannot fail, such as unregistering an ops whose memory is
 * freed next or clearing a livepatch jmp before a transition, and an
 * allocation failure there left a site calling freed ops or jumping
 * straight to the old replacement. */
static struct rec_state *apply_st;
static struct text_poke_loc *apply_locs;

/* Memory readers may still hold, set aside under ftrace_lock and freed by
 * ftrace_free_retired() after a grace period, once the lock is dropped. */
#define FTRACE_RETIRED_MAX 8
static void *retired[FTRACE_RETIRED_MAX];
static int nr_retired;

static void retire(void *p)
{
	if (!p)
		return;
	if (WARN_ON(nr_retired == FTRACE_RETIRED_MAX))
		return; /* leak rather than free under a reader */
	retired[nr_retired++] = p;
}

/* ftrace_lock not held: may sleep. */
static void ftrace_free_retired(void)
{
	void *batch[FTRACE_RETIRED_MAX];
	mutex_lock(&ftrace_lock);
	int n = nr_retired;
	memcpy(batch, retired, n * sizeof(batch[0]));
	nr_retired = 0;
	mutex_unlock(&ftrace_lock);
	if (!n)
		return;
	synchronize_rcu();
	for (int i = 0; i < n; i++)
		kfree(batch[i]);
}

static int apply_scratch_alloc(size_t n, struct rec_state **st, struct text_poke_loc **locs)
{
	*st = kmalloc(n * sizeof(**st) + 1);
	*locs = kmalloc(n * sizeof(**locs) + 1);
	if (*st && *locs)
		return 0;
	kfree(*st);
	kfree(*locs);
	return -ENOMEM;
}

static int ftrace_apply(void)
{
	struct rec_state *st = apply_st;
	memset(st, 0, nr_recs * sizeof(*st));
	int conflict = 0;
	for (struct ftrace_ops *o = ftrace_ops_list; o && !conflict; o = o->next) {
		if (!o->nr_filter) {
			for (size_t i = 0; i < nr_recs; i++)
				if (!ops_excludes(o, recs[i].ip))
					state_add(&st[i], o, &conflict);
			continue;
		}
		for (size_t k = 0; k < o->nr_filter; k++) {
			long i = rec_index(o->filter[k]);
			if (i >= 0 && !ops_excludes(o, recs[i].ip))
				state_add(&st[i], o, &conflict);
		}
	}
	if (conflict)
		return -EBUSY;
	if (!ftrace_enabled)
		memset(st, 0, nr_recs * sizeof(*st));

	size_t n = 0;
	struct text_poke_loc *locs = apply_locs;
	for (size_t i = 0; i < nr_recs; i++) {
		struct ftrace_rec *r = &recs[i];
		if (r->flags & REC_DISABLED)
			st[i] = (struct rec_state){ 0 };
		r->nr_ops = st[i].nr;
		r->one = st[i].nr == 1 ? st[i].one : NULL;
		r->flags = st[i].flags | (r->flags & REC_DISABLED);
		if (!r->nr_ops)
			r->jmp = 0; /* the ops that asked for it is gone */
		u8 want[MCOUNT_INSN_SIZE];
		rec_want(r, want);
		if (memcmp(want, r->cur, MCOUNT_INSN_SIZE)) {
			locs[n].addr = r->ip;
			memcpy(locs[n].old, r->cur, MCOUNT_INSN_SIZE);
			memcpy(locs[n].new, want, MCOUNT_INSN_SIZE);
			n++;
		}
	}
	int err = text_poke_batch(locs, n);
	if (!err) {
		for (size_t k = 0; k < n; k++) {
			long i = rec_index(locs[k].addr);
			memcpy(recs[i].cur, locs[k].new, MCOUNT_INSN_SIZE);
		}
	} else {
		pr_err("updating %zu sites failed (%d)\n", n, err);
	}
	return err;
}

/* ftrace_apply() for a few sites only (the filter of the ops being
 * registered or unregistered, a site gaining or losing its jmp): the other
 * sites' states cannot change, so enabling one livepatched function pokes
 * one site without a pass over every record. Same rules: -EBUSY (nothing
 * touched) if a site would get two IPMODIFY ops. ftrace_lock held. */
static int ftrace_apply_sites(const unsigned long *ips, size_t n)
{
	struct rec_state *st = apply_st;
	struct text_poke_loc *locs = apply_locs;
	size_t m = 0, nl = 0;
	int conflict = 0;

	if (n > nr_recs)
		return ftrace_apply();
	for (size_t k = 0; k < n; k++) {
		long i = rec_index(ips[k]);
		if (i < 0)
			continue;
		struct rec_state s = { 0 };
		if (ftrace_enabled && !(recs[i].flags & REC_DISABLED))
			for (struct ftrace_ops *o = ftrace_ops_list; o; o = o->next)
				if (ops_has(o, ips[k]))
					state_add(&s, o, &conflict);
		st[m++] = s;
	}
	if (conflict)
		return -EBUSY;
	m = 0;
	for (size_t k = 0; k < n; k++) {
		long i = rec_index(ips[k]);
		if (i < 0)
			continue;
		struct ftrace_rec *r = &recs[i];
		r->nr_ops = st[m].nr;
		r->one = st[m].nr == 1 ? st[m].one : NULL;
		r->flags = st[m].flags | (r->flags & REC_DISABLED);
		m++;
		if (!r->nr_ops)
			r->jmp = 0;
		u8 want[MCOUNT_INSN_SIZE];
		rec_want(r, want);
		if (memcmp(want, r->cur, MCOUNT_INSN_SIZE)) {
			locs[nl].addr = r->ip;
			memcpy(locs[nl].old, r->cur, MCOUNT_INSN_SIZE);
			memcpy(locs[nl].new, want, MCOUNT_INSN_SIZE);
			nl++;
		}
	}
	int err = text_poke_batch(locs, nl);
	if (!err) {
		for (size_t k = 0; k < nl; k++)
			memcpy(recs[rec_index(locs[k].addr)].cur, locs[k].new, MCOUNT_INSN_SIZE);
	} else {
		pr_err("updating %zu sites failed (%d)\n", nl, err);
	}
	return err;
}

/* What changes when ops joins or leaves the list: its filter's sites, or
 * every site for an ops without a filter. */
static int ftrace_apply_ops(const struct ftrace_ops *ops)
{
	return ops->nr_filter ? ftrace_apply_sites(ops->filter, ops->nr_filter) : ftrace_apply();
}

static int tramp_alloc(struct ftrace_ops *ops)
{
	int base = (ops->flags & FTRACE_OPS_FL_SAVE_REGS) ? FTRACE_NR_TRAMPS : 0;
	for (int i = base; i < base + FTRACE_NR_TRAMPS; i++)
		if (!ftrace_tramp_ops[i]) {
			WRITE_ONCE(ftrace_tramp_ops[i], ops);
			return i;
		}
	return -1; /* no slot left: this ops goes through the list trampoline */
}

static void tramp_free(struct ftrace_ops *ops)
{
	if (ops->tramp >= 0 && ops->tramp < FTRACE_LIST_SLOT)
		WRITE_ONCE(ftrace_tramp_ops[ops->tramp], NULL);
	ops->tramp = -1;
}

static void list_remove(struct ftrace_ops *ops)
{
	for (struct ftrace_ops **p = &ftrace_ops_list; *p; p = &(*p)->next)
		if (*p == ops) {
			WRITE_ONCE(*p, ops->next);
			break;
		}
	ops->next = NULL;
}

int register_ftrace_function(struct ftrace_ops *ops)
{
	if (!ops || !ops->func || !recs || (ops->direct && !ftrace_text_is_trampoline(ops->direct)))
		return -EINVAL;
	mutex_lock(&ftrace_lock);
	if ((ops->flags & FTRACE_OPS_FL_ENABLED) ||
	    (!ftrace_enabled && (ops->flags & FTRACE_OPS_FL_PERMANENT))) {
		mutex_unlock(&ftrace_lock);
		return -EBUSY;
	}
	/* A direct ops alone on a site calls its own trampoline; shared, it
	 * goes through the list: a slot would never be used. */
	ops->tramp = ops->direct ? -1 : tramp_alloc(ops);
	ops->next = ftrace_ops_list;
	ops->flags |= FTRACE_OPS_FL_ENABLED;
	WRITE_ONCE(ftrace_ops_list, ops);
	int err = ftrace_apply_ops(ops);
	if (err) {
		list_remove(ops);
		ops->flags &= ~FTRACE_OPS_FL_ENABLED;
		if (err != -EBUSY && err != -ENOMEM)
			ftrace_apply(); /* put back whatever part of the batch happened */
		tramp_free(ops);
	}
	mutex_unlock(&ftrace_lock);
	return err;
}

bool ftrace_is_enabled(void)
{
	return READ_ONCE(ftrace_enabled);
}

int ftrace_set_enabled(bool on)
{
	int err = 0;
	mutex_lock(&ftrace_lock);
	if (!on)
		for (struct ftrace_ops *o = ftrace_ops_list; o; o = o->next)
			if (o->flags & FTRACE_OPS_FL_PERMANENT)
				err = -EBUSY;
	if (!err && on != ftrace_enabled) {
		ftrace_enabled = on;
		err = ftrace_apply();
		if (err) /* the sites stay as they were: so does the setting */
			ftrace_enabled = !on;
	}
	mutex_unlock(&ftrace_lock);
	return err;
}

int unregister_ftrace_function(struct ftrace_ops *ops)
{
	if (!ops)
		return -EINVAL;
	mutex_lock(&ftrace_lock);
	if (!(ops->flags & FTRACE_OPS_FL_ENABLED)) {
		mutex_unlock(&ftrace_lock);
		return -EINVAL;
	}
	list_remove(ops);
	ops->flags &= ~FTRACE_OPS_FL_ENABLED;
	int err = ftrace_apply_ops(ops);
	mutex_unlock(&ftrace_lock);
	/* No site calls ops any more, but a trampoline entered before the
	 * change may still read its slot and run ops->func with its filter.
	 * After this, the caller may free ops. */
	synchronize_rcu();
	mutex_lock(&ftrace_lock);
	tramp_free(ops);
	kfree(ops->filter);
	ops->filter = NULL;
	ops->nr_filter = 0;
	kfree(ops->notrace_list);
	ops->notrace_list = NULL;
	ops->nr_notrace = 0;
	mutex_unlock(&ftrace_lock);
	ftrace_free_retired();
	return err;
}

void ftrace_free_filter(struct ftrace_ops *ops)
{
	mutex_lock(&ftrace_lock);
	if (!(ops->flags & FTRACE_OPS_FL_ENABLED)) {
		kfree(ops->filter);
		ops->filter = NULL;
		ops->nr_filter = 0;
		kfree(ops->notrace_list);
		ops->notrace_list = NULL;
		ops->nr_notrace = 0;
	}
	mutex_unlock(&ftrace_lock);
}

/* ---- filters: edited as a per-site bitmap, stored as a sorted array ---- */

/* An ops has two lists edited the same way: the filter and the notrace. */
static unsigned long **list_arr(struct ftrace_ops *ops, bool exclude)
{
	return exclude ? &ops->notrace_list : &ops->filter;
}

static size_t *list_len(struct ftrace_ops *ops, bool exclude)
{
	return exclude ? &ops->nr_notrace : &ops->nr_filter;
}

static u8 *list_map(struct ftrace_ops *ops, bool reset, bool exclude)
{
	u8 *map = kzalloc(nr_recs + 1);
	const unsigned long *a = *list_arr(ops, exclude);
	if (map && !reset)
		for (size_t k = 0; k < *list_len(ops, exclude); k++) {
			long i = rec_index(a[k]);
			if (i >= 0)
				map[i] = 1;
		}
	return map;
}

static u8 *filter_map(struct ftrace_ops *ops, bool reset)
{
	return list_map(ops, reset, false);
}

/* Install map as ops' filter (or notrace list); on a registered ops apply
 * it, and keep the old list if that fails. Takes ownership of map.
 * ftrace_lock held. */
static int list_commit(struct ftrace_ops *ops, u8 *map, bool exclude)
{
	unsigned long **arr = list_arr(ops, exclude);
	size_t *len = list_len(ops, exclude);
	size_t n = 0;
	for (size_t i = 0; i < nr_recs; i++)
		n += map[i];
	unsigned long *f = NULL;
	if (n) {
		f = kmalloc(n * sizeof(*f));
		if (!f) {
			kfree(map);
			return -ENOMEM;
		}
		for (size_t i = 0, k = 0; i < nr_recs; i++)
			if (map[i])
				f[k++] = recs[i].ip;
	}
	kfree(map);
	unsigned long *old = *arr;
	size_t old_n = *len;
	*arr = f;
	*len = n;
	int err = 0;
	if (ops->flags & FTRACE_OPS_FL_ENABLED) {
		err = ftrace_apply();
		if (err) {
			*arr = old;
			*len = old_n;
			kfree(f);
			if (err != -EBUSY && err != -ENOMEM)
				ftrace_apply();
			return err;
		}
		retire(old); /* the list function may still be reading it */
		return 0;
	}
	kfree(old);
	return 0;
}

static int filter_commit(struct ftrace_ops *ops, u8 *map)
{
	return list_commit(ops, map, false);
}

/* One site in or out of ops' filter, without a pass over every record:
 * the sorted array is copied with ip added or dropped (and, like the map
 * of filter_map(), without entries that name no site), and a registered
 * ops has that one site re-applied. ftrace_lock held. */
static int filter_edit_one(struct ftrace_ops *ops, unsigned long ip, bool remove)
{
	size_t n = ops->nr_filter, w = 0;
	unsigned long *f = kmalloc((n + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	bool placed = remove;
	for (size_t k = 0; k < n; k++) {
		unsigned long v = ops->filter[k];
		if (!placed && v > ip) {
			f[w++] = ip;
			placed = true;
		}
		if (v != ip && rec_index(v) >= 0)
			f[w++] = v;
	}
	if (!placed)
		f[w++] = ip;
	if (!w) {
		kfree(f);
		f = NULL;
	}
	unsigned long *old = ops->filter;
	size_t old_n = ops->nr_filter;
	ops->filter = f;
	ops->nr_filter = w;
	if (!(ops->flags & FTRACE_OPS_FL_ENABLED)) {
		kfree(old);
		return 0;
	}
	/* A filter that emptied means every site, and dropped stale entries
	 * name no site: only then does more than ip change. */
	int err = w && (old_n == w + remove - !remove) ? ftrace_apply_sites(&ip, 1) : ftrace_apply();
	if (err) {
		ops->filter = old;
		ops->nr_filter = old_n;
		kfree(f);
		if (err != -EBUSY && err != -ENOMEM)
			ftrace_apply();
		return err;
	}
	retire(old); /* the list function may still be reading it */
	return 0;
}

int ftrace_set_filter_ip(struct ftrace_ops *ops, unsigned long ip, int remove, int reset)
{
	if (!ops || !recs)
		return -EINVAL;
	mutex_lock(&ftrace_lock);
	long i = rec_index(ip);
	int err = -ENOENT;
	if (i >= 0 && !reset) {
		err = filter_edit_one(ops, ip, remove);
	} else if (i >= 0) {
		u8 *map = filter_map(ops, reset);
		err = -ENOMEM;
		if (map) {
			map[i] = !remove;
			err = filter_commit(ops, map);
		}
	}
	mutex_unlock(&ftrace_lock);
	ftrace_free_retired();
	return err;
}

/* Apply whitespace-separated globs ("!glob" removes) to the filter or
 * the notrace list. */
static int filter_globs(struct ftrace_ops *ops, const char *buf, size_t len, bool reset,
			bool exclude)
{
	u8 *map = list_map(ops, reset, exclude);
	if (!map)
		return -ENOMEM;
	size_t pos = 0;
	char word[128];
	while (pos < len) {
		while (pos < len && (buf[pos] == ' ' || buf[pos] == '\t' || buf[pos] == '\n'))
			pos++;
		size_t start = pos;
		while (pos < len && buf[pos] && buf[pos] != ' ' && buf[pos] != '\t' &&
		       buf[pos] != '\n')
			pos++;
		if (pos == start)
			break;
		if (pos - start >= sizeof(word)) {
			kfree(map);
			return -EINVAL;
		}
		memcpy(word, buf + start, pos - start);
		word[pos - start] = 0;
		bool remove = word[0] == '!';
		const char *pat = word + remove;
		size_t hits = 0;
		for (size_t i = 0; i < nr_recs; i++)
			if (recs[i].name && glob_match(pat, recs[i].name)) {
				map[i] = !remove;
				hits++;
			}
		if (!hits && !remove) {
			kfree(map);
			return -EINVAL;
		}
	}
	return list_commit(ops, map, exclude);
}

static int set_globs(struct ftrace_ops *ops, const char *buf, int len, int reset, bool exclude)
{
	if (!ops || !recs || len < 0)
		return -EINVAL;
	mutex_lock(&ftrace_lock);
	int err = filter_globs(ops, buf ? buf : "", buf ? (size_t)len : 0, reset, exclude);
	mutex_unlock(&ftrace_lock);
	ftrace_free_retired();
	return err;
}

int ftrace_set_filter(struct ftrace_ops *ops, const char *buf, int len, int reset)
{
	return set_globs(ops, buf, len, reset, false);
}

int ftrace_set_notrace(struct ftrace_ops *ops, const char *buf, int len, int reset)
{
	return set_globs(ops, buf, len, reset, true);
}

/* ---- the jmp fast path ---- */

int ftrace_site_set_jmp(unsigned long site, unsigned long target)
{
	mutex_lock(&ftrace_lock);
	long i = rec_index(site);
	int err = -ENOENT;
	if (i >= 0) {
		struct ftrace_rec *r = &recs[i];
		if (r->nr_ops != 1 || !(r->flags & REC_IPMODIFY))
			err = -EBUSY;
		else if (!arch_ftrace_reaches(site, target))
			err = -ERANGE;
		else {
			unsigned long old = r->jmp;
			r->jmp = target;
			err = ftrace_apply_sites(&site, 1);
			if (err)
				r->jmp = old;
		}
	}
	mutex_unlock(&ftrace_lock);
	return err;
}

int ftrace_site_clear_jmp(unsigned long site)
{
	mutex_lock(&ftrace_lock);
	long i = rec_index(site);
	int err = -ENOENT;
	if (i >= 0) {
		recs[i].jmp = 0;
		err = ftrace_apply_sites(&site, 1);
	}
	mutex_unlock(&ftrace_lock);
	return err;
}

/* ---- module sites ---- */

/* A new record array of n entries (sized as at boot, so a load and an
 * unload leave the heap as they found it). ftrace_lock held. */
static int recs_replace(size_t n, bool (*keep)(const struct ftrace_rec *r, void *arg), void *arg,
			const unsigned long *add, size_t nadd, const u8 *cur)
{
	struct rec_state *st;
	struct text_poke_loc *locs;
	if (apply_scratch_alloc(n, &st, &locs))
		return -ENOMEM;
	struct ftrace_rec *nr = kzalloc(n * sizeof(*nr) + 1);
	if (!nr) {
		kfree(st);
		kfree(locs);
		return -ENOMEM;
	}
	size_t w = 0, a = 0;
	for (size_t i = 0; i <= nr_recs; i++) {
		while (a < nadd && (i == nr_recs || add[a] < recs[i].ip)) {
			struct ksym sym;
			nr[w] = (struct ftrace_rec){ .ip = add[a] };
			if (ksym_lookup_addr(add[a], &sym, NULL))
				nr[w].name = sym.name;
			memcpy(nr[w].cur, cur + a * MCOUNT_INSN_SIZE, MCOUNT_INSN_SIZE);
			w++;
			a++;
		}
		if (i < nr_recs && (!keep || keep(&recs[i], arg)))
			nr[w++] = recs[i];
	}
	/* Readers (ftrace_location, tracefs' ftrace_site_at) are RCU readers
	 * that read recs and nr_recs together with interrupts or preemption
	 * off; the old arrays go after a grace period. */
	unsigned long flags = arch_irq_save();
	retire(recs);
	retire(apply_st);
	retire(apply_locs);
	recs = nr;
	nr_recs = w;
	apply_st = st;
	apply_locs = locs;
	arch_irq_restore(flags);
	return 0;
}

int ftrace_add_module_sites(struct module *mod, const unsigned long *sites, size_t n)
{
	if (!recs)
		return -EINVAL;
	if (!n)
		return 0;
	unsigned long *sorted = kmalloc(n * sizeof(*sorted));
	u8 *cur = kmalloc(n * MCOUNT_INSN_SIZE);
	if (!sorted || !cur) {
		kfree(sorted);
		kfree(cur);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		size_t j = k;
		while (j && sorted[j - 1] > sites[k]) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = sites[k];
	}
	int err = 0;
	mutex_lock(&ftrace_lock);
	for (size_t k = 0; k < n && !err; k++) {
		u8 call[MCOUNT_INSN_SIZE];
		arch_ftrace_make_call(call, sorted[k], (unsigned long)__fentry__);
		if ((k && sorted[k] == sorted[k - 1]) || rec_index(sorted[k]) >= 0) {
			pr_err("%s: duplicate fentry site %#lx\n", mod->name, sorted[k]);
			err = -EINVAL;
		} else if (memcmp((void *)sorted[k], call, MCOUNT_INSN_SIZE)) {
			pr_err("%s: no call __fentry__ at %#lx\n", mod->name, sorted[k]);
			err = -EINVAL;
		} else {
			memcpy(cur + k * MCOUNT_INSN_SIZE, call, MCOUNT_INSN_SIZE);
		}
	}
	if (!err)
		err = recs_replace(nr_recs + n, NULL, NULL, sorted, n, cur);
	/* Each site now holds `call __fentry__`: let the registered ops decide
	 * (NOP, or a trampoline for an ops that traces everything). */
	if (!err && (err = ftrace_apply())) {
		pr_err("%s: cannot convert its fentry sites (%d)\n", mod->name, err);
		ftrace_release_sites_locked(sorted, n);
	}
	mutex_unlock(&ftrace_lock);
	ftrace_free_retired();
	kfree(cur);
	if (err) {
		kfree(sorted);
		return err;
	}
	mod->sites = sorted;
	mod->nr_sites = n;
	return 0;
}

struct site_set {
	const unsigned long *ip;
	size_t n;
};

static bool site_in(const struct site_set *set, unsigned long ip)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->ip[mid] == ip)
			return true;
		if (set->ip[mid] < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool keep_not_in(const struct ftrace_rec *r, void *arg)
{
	return !site_in(arg, r->ip);
}

/* Take the sites out of ops' filter, in place (no allocation: this runs on
 * paths that cannot fail). A filter that named only these sites keeps one
 * entry, 0, which is no site: emptied, it would read as "every site" and the
 * ops would start tracing the whole kernel (Linux's clear_mod_from_hash
 * zeroes the entry for the same reason). The list trampoline searches
 * filters without a lock: with interrupts off no reader on this CPU sees a
 * half-done compaction, and one elsewhere reads only within the array
 * (its size does not change), at worst missing a site for one call. */
static void filter_strip(struct ftrace_ops *ops, const struct site_set *set)
{
	size_t w = 0, n = ops->nr_filter;
	if (ops->nr_notrace) {
		/* an emptied notrace list is just empty: it excludes nothing */
		unsigned long flags = arch_irq_save();
		for (size_t k = 0; k < ops->nr_notrace; k++)
			if (!site_in(set, ops->notrace_list[k]))
				ops->notrace_list[w++] = ops->notrace_list[k];
		ops->nr_notrace = w;
		arch_irq_restore(flags);
		w = 0;
	}
	if (!n)
		return;
	unsigned long flags = arch_irq_save();
	for (size_t k = 0; k < n; k++)
		if (!site_in(set, ops->filter[k]))
			ops->filter[w++] = ops->filter[k];
	if (!w) {
		ops->filter[0] = 0;
		w = 1;
	}
	ops->nr_filter = w;
	arch_irq_restore(flags);
}

/* Drop the records, into a new array sized as at boot when there is
 * memory for it, else compacted in place (the array then stays larger
 * than it needs to be, which is harmless; an RCU reader elsewhere reads
 * only within it, at worst a moved record). */
static void recs_drop(const struct site_set *set)
{
	if (!recs_replace(nr_recs - set->n, keep_not_in, (void *)set, NULL, 0, NULL))
		return;
	size_t w = 0;
	unsigned long flags = arch_irq_save();
	for (size_t i = 0; i < nr_recs; i++)
		if (!site_in(set, recs[i].ip))
			recs[w++] = recs[i];
	nr_recs = w;
	arch_irq_restore(flags);
}

/* Linux's ftrace_release_mod: the sites leave every filter (the registered
 * ops' and the function tracer's, which outlives the tracer), are NOP'd
 * whatever ops held them, and their records go. Cannot fail: the module's
 * memory is freed next, and a record, a filter entry or a site name left
 * behind would point into it (or match the next module loaded there). */
static void ftrace_release_sites_locked(const unsigned long *sites, size_t n)
{
	struct site_set set = { sites, n };
	for (size_t i = 0; i < nr_recs; i++)
		if (site_in(&set, recs[i].ip))
			recs[i].flags |= REC_DISABLED;
	for (struct ftrace_ops *o = ftrace_ops_list; o; o = o->next)
		filter_strip(o, &set);
	struct ftrace_ops *fn = tracer_function_ops();
	if (!(fn->flags & FTRACE_OPS_FL_ENABLED))
		filter_strip(fn, &set);
	/* Only the removed sites change (the checks come before any write),
	 * and their text goes away: a failure leaves nothing to undo. */
	int err = ftrace_apply();
	if (err)
		pr_err("cannot NOP %zu departing module sites (%d)\n", n, err);
	recs_drop(&set);
}

void ftrace_release_module_sites(struct module *mod)
{
	if (!mod->nr_sites)
		return;
	mutex_lock(&ftrace_lock);
	ftrace_release_sites_locked(mod->sites, mod->nr_sites);
	mutex_unlock(&ftrace_lock);
	ftrace_free_retired();
	kfree(mod->sites);
	mod->sites = NULL;
	mod->nr_sites = 0;
}

/* ---- boot: record every site and NOP it ---- */

static int ftrace_init(void)
{
	size_t n = __stop_mcount_loc - __start_mcount_loc;
	size_t bytes = n * sizeof(*recs);
	recs = kzalloc(bytes + 1);
	if (!recs || apply_scratch_alloc(n, &apply_st, &apply_locs)) {
		pr_err("no memory for %zu records\n", n);
		return -ENOMEM;
	}
	pr_info("allocating %zu entries in %zu pages\n", n,
		(size_t)ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
	for (size_t k = 0; k < n; k++) {
		/* Insertion: __mcount_loc is already in link order. */
		unsigned long ip = __start_mcount_loc[k];
		size_t j = nr_recs;
		while (j && recs[j - 1].ip > ip) {
			recs[j] = recs[j - 1];
			j--;
		}
		if (j && recs[j - 1].ip == ip)
			continue; /* shouldn't happen; tolerate duplicates */
		recs[j] = (struct ftrace_rec){ .ip = ip };
		nr_recs++;
	}

	/* No other CPU runs and no interrupt is taken while we convert, so
	 * a direct text_poke per site is safe (Linux's text_poke_early). */
	size_t converted = 0, bad = 0, w = 0;
	unsigned long flags = arch_irq_save();
	for (size_t i = 0; i < nr_recs; i++) {
		struct ftrace_rec r = recs[i];
		u8 call[MCOUNT_INSN_SIZE];
		arch_ftrace_make_call(call, r.ip, (unsigned long)__fentry__);
		if (text_poke((void *)r.ip, site_nop, call, MCOUNT_INSN_SIZE)) {
			bad++; /* not ours to touch: drop the record */
			continue;
		}
		struct ksym sym;
		if (ksym_lookup_addr(r.ip, &sym, NULL))
			r.name = sym.name;
		memcpy(r.cur, site_nop, MCOUNT_INSN_SIZE);
		recs[w++] = r;
		converted++;
	}
	nr_recs = w;
	arch_irq_restore(flags);
	pr_info("converted %zu call sites to 0f 1f 44 00 00 (%zu refused)\n", converted, bad);
	return bad ? -EINVAL : 0;
}
core_initcall(ftrace_init);
