/* Task stack traces by frame-pointer walk, with a verdict on reliability
 * for livepatch: the trace must be the whole truth about which functions
 * the task is inside, so anything the walk cannot vouch for (interrupt
 * frames, asm without frame records, frames off the task's stack, a chain
 * that does not end at the task's first frame) makes it unreliable. */
#include <kelp/stacktrace.h>
#include <kelp/sched.h>
#include <kelp/ftrace.h>
#include <kelp/ksyms.h>
#include <kelp/errno.h>
#include <arch/trap.h>

extern char trap_common_ret[];
extern char syscall_common_ret[];
extern const u64 trap_stubs[256];

struct unwind_range {
	unsigned long start, end;
};

/* Entry asm whose return addresses the walk must not trust: the trap
 * stubs and common path, the fault catcher, the context switch and the
 * thread trampoline. Found by symbol (asm labels are sized up to the next
 * label), so new labels in those files need adding here. */
static const char *const unwind_asm_syms[] = {
	"trap_common", "trap_common_ret", "trap_return", "fault_catch_call",
	"fault_catch_landing", "arch_switch_to", "kthread_trampoline",
	"syscall_entry", "syscall_common_ret", "user_task_trampoline",
};
static struct unwind_range unwind_builtin[ARRAY_SIZE(unwind_asm_syms) + 1];
static bool unwind_builtin_ready;

static void unwind_init_builtin(void)
{
	struct ksym s;
	for (unsigned int i = 0; i < ARRAY_SIZE(unwind_asm_syms); i++)
		if (!ksym_lookup_name(unwind_asm_syms[i], 0, &s))
			unwind_builtin[i] = (struct unwind_range){ s.addr, s.addr + (s.size ? s.size : 1) };
	/* The 256 stubs, 16 bytes apart in address order. */
	unwind_builtin[ARRAY_SIZE(unwind_asm_syms)] =
		(struct unwind_range){ trap_stubs[0], trap_stubs[255] + 16 };
	__atomic_store_n(&unwind_builtin_ready, true, __ATOMIC_RELEASE);
}

bool unwind_text_is_unreliable(unsigned long addr)
{
	if (!__atomic_load_n(&unwind_builtin_ready, __ATOMIC_ACQUIRE))
		unwind_init_builtin();
	for (unsigned int i = 0; i < ARRAY_SIZE(unwind_builtin); i++)
		if (addr >= unwind_builtin[i].start && addr < unwind_builtin[i].end)
			return true;
	/* The tracer's trampolines and int3 handler rewrite return paths. */
	if (ftrace_text_is_trampoline(addr))
		return true;
	return false;
}

extern char __text_start[], __text_end[];

/* Return addresses in kernel text already found to be text and not
 * unreliable: both verdicts are fixed for the kernel's own text, so a hit
 * skips the symbol search (sleeping tasks share most of their frames:
 * schedule, wait queues, kthread start). Module text can go away, so it is
 * never cached. Slots are single words: a racing writer on another CPU
 * leaves one of the two addresses, each of which was checked. */
#define RET_GOOD_SLOTS 256
static unsigned long ret_good[RET_GOOD_SLOTS];

static unsigned long *ret_slot(unsigned long ret)
{
	return &ret_good[((ret >> 4) ^ (ret >> 12)) % RET_GOOD_SLOTS];
}

static noinline bool ret_trusted_slow(unsigned long ret)
{
	if (!ksym_is_text(ret) || unwind_text_is_unreliable(ret))
		return false;
	if (ret >= (unsigned long)__text_start && ret < (unsigned long)__text_end)
		__atomic_store_n(ret_slot(ret), ret, __ATOMIC_RELAXED);
	return true;
}

/* The cache hit inline: it is the common case of every frame walked. A
 * slot only ever holds 0 or a kernel text address, so a hit on a nonzero
 * address needs no range check. */
static inline bool ret_trusted(unsigned long ret)
{
	if (ret && __atomic_load_n(ret_slot(ret), __ATOMIC_RELAXED) == ret)
		return true;
	return ret_trusted_slow(ret);
}

struct walk {
	unsigned long *store;
	unsigned int size, n;
	bool display;  /* keep going past problems where possible */
	int err;       /* first reason the trace is unreliable */
};

static bool walk_push(struct walk *w, unsigned long addr)
{
	if (w->n >= w->size) {
		if (!w->err)
			w->err = -E2BIG;
		return false;
	}
	w->store[w->n++] = addr;
	return true;
}

static void walk_bad(struct walk *w)
{
	if (!w->err)
		w->err = -EINVAL;
}

/* Kernel addresses: a frame pointer below this came from user mode. */
#define KERNEL_HALF 0xffff800000000000UL

/* Whether a frame record [saved rbp][return address] at fp may be
 * followed: wholly inside the stack [lo, hi), aligned, and strictly above
 * the last one (prev, 0 for the first on this stack). */
static bool frame_ok(unsigned long fp, unsigned long prev, unsigned long lo, unsigned long hi)
{
	return fp >= KERNEL_HALF && !(fp & 7) && fp >= lo && fp + 16 <= hi && fp > prev;
}

/* ret is trap_dispatch's (or, with syscalls, syscall_dispatch's) return
 * address into the entry asm: the record the entry pushed, [interrupted
 * rbp][interrupted rip], is the frame's saved rbp and the struct
 * trap_frame sits right above it. That frame, when it lies in [lo, hi). */
static const struct trap_frame *entry_frame(unsigned long ret, unsigned long rec, unsigned long lo,
					    unsigned long hi, bool syscalls)
{
	if (ret != (unsigned long)trap_common_ret &&
	    !(syscalls && ret == (unsigned long)syscall_common_ret))
		return NULL;
	if (rec < lo || (rec & 7) || rec + 16 + sizeof(struct trap_frame) > hi)
		return NULL;
	return (const void *)(rec + 16);
}

/* An interrupt or exception that came in kernel mode (rec: the record the
 * entry pushed, tf right above it). The interrupted function may be
 * anywhere in its body, before its frame record is made or after it is
 * popped, so the chain from its rbp can skip its own return address; the
 * chain is then the caller's, whose record lies above that address. So the
 * walk vouches for the frame only when the interrupted code is C built with
 * frame pointers (it has an fentry site: never entry asm, a trampoline or
 * the poke handler), and then reports the interrupted rip and every text
 * address between the interrupted rsp and rbp: a superset of the
 * functions running there (Linux's ORC walk, which knows each
 * instruction's frame, accepts such frames too). A stale word among them
 * only makes livepatch's check stricter. */
static bool interrupted_ok(const struct trap_frame *tf, unsigned long rec, unsigned long hi)
{
	unsigned long sp = tf->rsp, bp = ((unsigned long *)rec)[0];
	struct ksym s;

	if (unwind_text_is_unreliable(tf->rip) || !ksym_lookup_addr(tf->rip, &s, NULL) ||
	    ftrace_location(s.addr) != s.addr)
		return false;
	return sp >= rec + 16 + sizeof(*tf) && !(sp & 7) && bp >= sp && bp < hi;
}

static bool walk_interrupted(const struct trap_frame *tf, unsigned long rec, unsigned long hi,
			     struct walk *w)
{
	unsigned long sp = tf->rsp, bp = ((unsigned long *)rec)[0];

	if (!interrupted_ok(tf, rec, hi) || !walk_push(w, tf->rip))
		return false;
	for (; sp < bp; sp += 8) {
		unsigned long v = *(unsigned long *)sp;
		if (v < KERNEL_HALF || !ksym_is_text(v))
			continue;
		if (unwind_text_is_unreliable(v) || !walk_push(w, v))
			return false;
	}
	return true;
}

/* Walk t's frame records from fp, all of which must lie on t's stack,
 * each strictly above the previous. */
static void walk_frames(struct task *t, unsigned long fp, struct walk *w)
{
	unsigned long lo = (unsigned long)t->stack, hi = t->stack_top;
	unsigned long prev = 0;

	for (;;) {
		if (!frame_ok(fp, prev, lo, hi)) {
			walk_bad(w);
			return;
		}
		unsigned long next = ((unsigned long *)fp)[0];
		unsigned long ret = ((unsigned long *)fp)[1];

		if (ret == (unsigned long)trap_common_ret || ret == (unsigned long)syscall_common_ret) {
			/* An entry record must be above the frame that
			 * points at it. */
			unsigned long rec = next;
			const struct trap_frame *tf = rec > fp ? entry_frame(ret, rec, lo, hi, true) : NULL;
			if (!tf) {
				walk_bad(w);
				return;
			}
			/* The entry from user mode at the top of the kernel
			 * stack: a user task's known first frame. */
			if (trap_from_user(tf) && ((unsigned long *)rec)[0] == 0 &&
			    rec + 16 + sizeof(*tf) == hi)
				return;
			/* An interrupt or exception in kernel mode. */
			if (!w->display && !trap_from_user(tf)) {
				if (!walk_interrupted(tf, rec, hi, w)) {
					walk_bad(w);
					return;
				}
				prev = rec;
				fp = ((unsigned long *)rec)[0];
				continue;
			}
			if (trap_from_user(tf) || !interrupted_ok(tf, rec, hi))
				walk_bad(w);
			if (!w->display || trap_from_user(tf))
				return;
			/* For display, show the interrupted rip (+1: readers
			 * symbolise entries as return addresses) and go on. */
			if (!walk_push(w, tf->rip + 1))
				return;
			prev = rec;
			fp = ((unsigned long *)rec)[0];
			continue;
		}
		if (next == 0) {
			if (fp != t->first_frame)
				walk_bad(w);
			return;
		}
		if (!ret_trusted(ret)) {
			walk_bad(w);
			if (!w->display)
				return;
		}
		if (!walk_push(w, ret))
			return;
		prev = fp;
		fp = next;
	}
}

static int walk_switched_out(struct task *t, void *arg)
{
	/* arch_switch_to pushed rbp right below its return address. */
	walk_frames(t, t->ksp + 5 * 8, arg);
	return 0;
}

static noinline void walk_task(struct task *t, struct walk *w)
{
	if (t == current) {
		walk_frames(t, (unsigned long)__builtin_frame_address(0), w);
		return;
	}
	int r = task_call_func(t, walk_switched_out, w);
	if (r)
		w->err = r;
}

int stack_trace_save_tsk_reliable_held(struct task *t, unsigned long *store, unsigned int size)
{
	struct walk w = { store, size, 0, false, 0 };
	if (t == current)
		return stack_trace_save_tsk_reliable(t, store, size);
	walk_switched_out(t, &w);
	return w.err ? w.err : (int)w.n;
}

int stack_trace_save_tsk_reliable(struct task *t, unsigned long *store, unsigned int size)
{
	struct walk w = { store, size, 0, false, 0 };
	walk_task(t, &w);
	if (w.err)
		return w.err;
	/* For current, the first entry is walk_task's own caller here. */
	if (t == current && w.n) {
		for (unsigned int i = 1; i < w.n; i++)
			store[i - 1] = store[i];
		w.n--;
	}
	return (int)w.n;
}

int stack_trace_save_tsk(struct task *t, unsigned long *store, unsigned int size, bool *reliable)
{
	struct walk w = { store, size, 0, true, 0 };
	walk_task(t, &w);
	if (reliable)
		*reliable = !w.err;
	if (t == current && w.n) {
		for (unsigned int i = 1; i < w.n; i++)
			store[i - 1] = store[i];
		w.n--;
	}
	return (int)w.n;
}

/* ---- display walks over any kernel stack (panic, dump_stack) ---- */

static bool walk_emit(stack_entry_fn fn, void *arg, enum stack_entry_kind kind, unsigned long addr,
		      unsigned long vector, unsigned long error)
{
	struct stack_entry e = { kind, addr, vector, error };
	return fn(arg, &e);
}

/* Unlike the task walks this one crosses stacks: an exception entry may
 * have come in on another stack (the double-fault stack, or a task's from
 * the boot stack), so bounds() is asked again for each stack entered. */
void stack_trace_walk(unsigned long fp, unsigned long ip, stack_bounds_fn bounds, stack_entry_fn fn,
		      void *arg)
{
	unsigned long lo, hi, prev = 0;

	if (ip && !walk_emit(fn, arg, STACK_ENTRY_IP, ip, 0, 0))
		return;
	bounds(fp, &lo, &hi);
	for (;;) {
		if (!frame_ok(fp, prev, lo, hi))
			return;
		unsigned long next = ((unsigned long *)fp)[0];
		unsigned long ret = ((unsigned long *)fp)[1];
		if (!ret)
			return;
		const struct trap_frame *tf = entry_frame(ret, next, lo, hi, false);
		if (tf) {
			unsigned long rip = ((unsigned long *)next)[1];
			if (!walk_emit(fn, arg, STACK_ENTRY_TRAP, 0, tf->vector, tf->error) || !rip)
				return;
			/* The interrupted rip faulted or was interrupted: it is
			 * not a return address. */
			if (!walk_emit(fn, arg, STACK_ENTRY_IP, rip, 0, 0))
				return;
			prev = 0;
			fp = ((unsigned long *)next)[0];
			bounds(fp, &lo, &hi);
			continue;
		}
		if (!walk_emit(fn, arg, STACK_ENTRY_RET, ret, 0, 0))
			return;
		prev = fp;
		fp = next;
	}
}

void stack_trace_walk_trap(const struct trap_frame *tf, stack_bounds_fn bounds, stack_entry_fn fn,
			   void *arg)
{
	/* Start at the trapping instruction, then its callers. */
	stack_trace_walk(tf->rbp, tf->rip, bounds, fn, arg);
}
