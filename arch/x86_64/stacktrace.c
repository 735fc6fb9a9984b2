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
#include <kelp/spinlock.h>
#include <arch/trap.h>

extern char trap_common_ret[];
extern char syscall_common_ret[];
extern const u64 trap_stubs[256];

struct unwind_range {
	unsigned long start, end;
};

#define UNWIND_EXTRA_MAX 16
static struct unwind_range unwind_extra[UNWIND_EXTRA_MAX];
static spinlock_t unwind_lock = SPINLOCK_INIT;

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
	for (unsigned int i = 0; i < UNWIND_EXTRA_MAX; i++) {
		unsigned long start = READ_ONCE(unwind_extra[i].start);
		if (start && addr >= start && addr < READ_ONCE(unwind_extra[i].end))
			return true;
	}
	return false;
}

int unwind_register_unreliable(unsigned long start, unsigned long end)
{
	int ret = -ENOSPC;
	unsigned long flags = spin_lock_irqsave(&unwind_lock);
	for (unsigned int i = 0; i < UNWIND_EXTRA_MAX; i++)
		if (!unwind_extra[i].start) {
			unwind_extra[i].end = end;
			WRITE_ONCE(unwind_extra[i].start, start);
			ret = 0;
			break;
		}
	spin_unlock_irqrestore(&unwind_lock, flags);
	return ret;
}

void unwind_unregister_unreliable(unsigned long start)
{
	unsigned long flags = spin_lock_irqsave(&unwind_lock);
	for (unsigned int i = 0; i < UNWIND_EXTRA_MAX; i++)
		if (unwind_extra[i].start == start)
			WRITE_ONCE(unwind_extra[i].start, 0);
	spin_unlock_irqrestore(&unwind_lock, flags);
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

/* Walk t's frame records from fp (a record [saved rbp][return address]),
 * all of which must lie on t's stack, each strictly above the previous. */
static void walk_frames(struct task *t, unsigned long fp, struct walk *w)
{
	unsigned long lo = (unsigned long)t->stack, hi = t->stack_top;
	unsigned long prev = 0;

	for (;;) {
		if (fp < lo || fp + 16 > hi || (fp & 7) || fp <= prev) {
			walk_bad(w);
			return;
		}
		unsigned long next = ((unsigned long *)fp)[0];
		unsigned long ret = ((unsigned long *)fp)[1];

		if (ret == (unsigned long)trap_common_ret || ret == (unsigned long)syscall_common_ret) {
			/* trap_dispatch's (or syscall_dispatch's) frame: next
			 * is the record the entry asm pushed, [interrupted rbp]
			 * [interrupted rip], and the struct trap_frame sits
			 * right above it. */
			unsigned long rec = next;
			const struct trap_frame *tf = (const void *)(rec + 16);
			if (rec <= fp || (rec & 7) || rec + 16 + sizeof(*tf) > hi) {
				walk_bad(w);
				return;
			}
			/* The entry from user mode at the top of the kernel
			 * stack: a user task's known first frame. */
			if (trap_from_user(tf) && ((unsigned long *)rec)[0] == 0 &&
			    rec + 16 + sizeof(*tf) == hi)
				return;
			/* An interrupt or exception in kernel mode: the
			 * interrupted function may be anywhere in its body,
			 * maybe before its frame is set up. */
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
		if (!ksym_is_text(ret) || unwind_text_is_unreliable(ret)) {
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
