/* Tasks and the scheduler (kernel/sched/core.c, kernel/sched/kthread.c).
 *
 * A task is a kernel stack plus saved context; kernel threads run a function,
 * user tasks (another issue) add an address space and a user stack. The
 * runqueue keeps one FIFO per priority and a bitmap of non-empty ones, so
 * picking the next task is a find-first-set whatever the number of runnable
 * tasks. The running task is not on the runqueue. Lower prio value = more
 * urgent, as in Linux. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/percpu.h>
#include <kelp/preempt.h>
#include <kelp/spinlock.h>
#include <kelp/wait.h>
#include <kelp/livepatch_sched.h>

struct trap_frame;
struct pfs_node;
struct fault_catch;
struct mm_struct; /* user address space, defined by the user-mode layer */

/* task->state */
#define TASK_RUNNING 0
#define TASK_INTERRUPTIBLE 1
#define TASK_UNINTERRUPTIBLE 2
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define TASK_DEAD 64
#define TASK_NEW 128 /* created, not yet woken */

/* task->thread_flags bits: work to do before the task returns to user mode
 * or at the next preemption point. */
#define TIF_NEED_RESCHED 0
#define TIF_SIGPENDING 1     /* a kill or a nudge: interruptible sleeps end */
#define TIF_NOTIFY_RESUME 2  /* run exit_to_user_mode_work's hooks */
#define TIF_PATCH_PENDING 3  /* livepatch wants this task switched */
#define TIF_WORK_MASK ((1UL << TIF_NEED_RESCHED) | (1UL << TIF_SIGPENDING) | \
		       (1UL << TIF_NOTIFY_RESUME) | (1UL << TIF_PATCH_PENDING))

/* task->flags */
#define PF_IDLE 0x1
#define PF_KTHREAD 0x2
#define PF_EXITING 0x4
#define PF_SIGNALS 0x8 /* a kernel thread that takes kills (Linux's allow_signal) */

#define SCHED_PRIO_MAX 40     /* priorities 0 (most urgent) .. 39 */
#define SCHED_PRIO_DEFAULT 20
#define SCHED_SLICE_TICKS 10  /* a time slice, in ticks (10 ms at HZ 1000) */
#define TASK_COMM_LEN 16
#define KSTACK_SIZE (16 * 1024)

struct task {
	unsigned long ksp; /* saved rsp while switched out: must stay first (switch.asm) */
	volatile long state;
	unsigned long thread_flags; /* TIF_*: atomic bit operations */
	unsigned int flags;         /* PF_* */
	int pid;
	char comm[TASK_COMM_LEN];
	int prio;        /* effective: normal_prio, or higher while boosted (PI) */
	int normal_prio; /* what sched_set_prio asked for */
	int cpu;
	int on_cpu;   /* running on cpu right now (or switching away) */
	int on_rq;    /* queued on the runqueue */
	int preempt_count; /* saved per-CPU preempt count while switched out */
	int refcount;
	struct list_head run_list;  /* runqueue FIFO */
	struct list_head tasks;     /* the global task list */

	/* Kernel stack [stack, stack + stack_size); the first frame record
	 * of a kernel thread is at first_frame (the unwinder's end marker). */
	void *stack;
	size_t stack_size;
	unsigned long stack_top;
	unsigned long first_frame;

	/* Accounting */
	u64 sum_exec_ns; /* cpu time used */
	u64 exec_start;  /* ktime when it last got the CPU */
	int slice;       /* ticks left in the current time slice */
	u64 nvcsw, nivcsw; /* voluntary / involuntary switches */

	/* Livepatch (the next issue): KLP_UNDEFINED/UNPATCHED/PATCHED, and
	 * TIF_PATCH_PENDING in thread_flags. Inherited from the parent. */
	int patch_state;

	/* Kernel threads */
	int (*threadfn)(void *data);
	void *data;
	bool should_stop;
	struct completion exited;

	/* Family and exit, for wait()/kill and user tasks */
	struct task *parent;
	struct list_head children; /* struct task.sibling */
	struct list_head sibling;
	struct wait_queue_head child_exit; /* woken when a child exits */
	int exit_code;

	/* User mode (another issue fills these in) */
	struct mm_struct *mm;     /* NULL for kernel threads */
	unsigned long user_rsp;   /* user stack pointer while in the kernel */

	/* Priority inheritance (kernel/sched/mutex.c, under its pi_lock) */
	struct mutex *pi_blocked_on; /* the mutex this task sleeps on */
	struct list_head pi_mutexes; /* held mutexes that have waiters */

	struct pfs_node *proc_dir; /* /proc/<pid> */
	struct fault_catch *fault_catch; /* percpu's, saved while switched out */
#ifdef CONFIG_KTEST
	struct lockdep_task lockdep; /* locks held, for the validator (last: blobs don't see it) */
#endif
};

static __always_inline struct task *get_current(void)
{
	return arch_this_cpu_read(current_task);
}
#define current get_current()

/* thread_flags helpers */
static inline void set_tsk_thread_flag(struct task *t, int bit)
{
	__atomic_fetch_or(&t->thread_flags, 1UL << bit, __ATOMIC_SEQ_CST);
}
static inline void clear_tsk_thread_flag(struct task *t, int bit)
{
	__atomic_fetch_and(&t->thread_flags, ~(1UL << bit), __ATOMIC_SEQ_CST);
}
static inline bool test_tsk_thread_flag(struct task *t, int bit)
{
	return (READ_ONCE(t->thread_flags) >> bit) & 1;
}
static inline bool need_resched(void) { return test_tsk_thread_flag(current, TIF_NEED_RESCHED); }
static inline bool signal_pending(struct task *t) { return test_tsk_thread_flag(t, TIF_SIGPENDING); }
static inline void set_current_state(long state)
{
	WRITE_ONCE(current->state, state);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
#define __set_current_state(s) WRITE_ONCE(current->state, (s))

/* Preemption (preempt_disable/enable, preempt_count) is <kelp/preempt.h>,
 * which reads TIF_NEED_RESCHED by offset. */
BUILD_BUG_ON(offsetof(struct task, thread_flags) != TASK_THREAD_FLAGS_OFFSET);
BUILD_BUG_ON(TIF_NEED_RESCHED != PREEMPT_TIF_NEED_RESCHED);

/* The scheduler */
void sched_init(void);          /* make the boot context the idle task of CPU 0 */
/* On an application processor: its running context becomes its idle task. */
void sched_init_ap(void *stack, unsigned long stack_top);
bool sched_running(void);       /* sched_init() has run */
void schedule(void);
void yield(void);
/* Voluntary preemption point for long loops: schedules when needed. */
void cond_resched(void);
/* Wake t if its state is in mask; true when it was woken. Safe in irqs. */
bool wake_up_state(struct task *t, unsigned int mask);
bool wake_up_process(struct task *t);
/* Reschedule now if a wake-up asked for it and this context can. */
void sched_preempt_check(void);
/* Interrupt/exception exit (arch trap code): preempt a kernel context or
 * run the exit-to-user work. */
void irqentry_exit(struct trap_frame *tf);
/* Work due before returning to user mode (TIF flags): reschedule, livepatch
 * state switch, signals. Called with interrupts off; returns with them off. */
void exit_to_user_mode_work(struct trap_frame *tf);
__noreturn void cpu_idle_loop(void);
/* Called from the idle loop every time round: livepatch switches the idle
 * task here (it is never inside a patched function at this point). */
void sched_idle_hook(void);
/* Set t's normal priority; its effective one stays boosted while a more
 * urgent task waits on a mutex t holds. */
void sched_set_prio(struct task *t, int prio);
/* The effective priority alone (the PI code of kernel/sched/mutex.c). */
void sched_pi_set_prio(struct task *t, int prio);
/* Runnable tasks on this CPU's runqueue (not counting the running one). */
int sched_nr_running(void);
u64 sched_nr_switches(void);
/* CPU cpu's context switches so far (grace periods count them). */
u64 sched_cpu_nr_switches(int cpu);
const char *task_state_name(const struct task *t);
char task_state_char(const struct task *t);

/* Tasks */
extern spinlock_t tasklist_lock;
extern struct list_head task_list;
/* Iterate every task, idle tasks included; hold tasklist_lock (irqsave). */
#define for_each_task(t) list_for_each_entry(t, &task_list, tasks)
static inline void get_task_struct(struct task *t) { __atomic_fetch_add(&t->refcount, 1, __ATOMIC_SEQ_CST); }
void put_task_struct(struct task *t);
/* A counted reference to the task with that pid, or NULL. */
struct task *find_get_task_by_pid(int pid);
int nr_tasks(void);
/* Run fn(t, arg) with t guaranteed not to run meanwhile (it is switched out
 * and stays so: its runqueue's lock is held, interrupts off). -EBUSY if t
 * is running on any CPU (including t == current), else fn's result. */
int task_call_func(struct task *t, int (*fn)(struct task *t, void *arg), void *arg);
/* Whether t is running on some CPU right now. */
static inline bool task_curr(const struct task *t) { return READ_ONCE(t->on_cpu) != 0; }

/* Kernel threads (kernel/sched/kthread.c). kthread_create returns a stopped-new
 * task holding a reference for the caller, who drops it with kthread_stop()
 * or put_task_struct(). */
struct task *kthread_create(int (*fn)(void *data), void *data, const char *fmt, ...) __printf(3, 4);
void kthread_wake(struct task *t); /* start a created thread */
#define kthread_run(fn, data, ...)                                                                 \
	({                                                                                         \
		struct task *__k = kthread_create(fn, data, __VA_ARGS__);                          \
		if (__k)                                                                           \
			kthread_wake(__k);                                                         \
		__k;                                                                               \
	})
/* Ask t to stop, wake it, wait for it to exit; returns its exit code and
 * drops the caller's reference. */
int kthread_stop(struct task *t);
bool kthread_should_stop(void);
/* Wait for t to return from its function by itself; its exit code. Drops
 * the caller's reference. (kthread_stop on a thread that has not run yet
 * stops it before its function starts, as in Linux.) */
int kthread_join(struct task *t);
/* The shell's kill of a kernel thread: ask t to stop and end its
 * interruptible sleeps, without waiting. As in Linux, kernel threads ignore
 * signals: -EPERM, and t is left alone, unless it opted in. */
int kthread_kill(struct task *t);
/* Opt in to kthread_kill (Linux's allow_signal), for t = current or a
 * thread not started yet: only threads whose loop ends on a kill. */
void kthread_allow_signals(struct task *t);
/* Wait until t has exited (t referenced by the caller); its exit code. */
int task_wait_exit(struct task *t);
__noreturn void do_exit(int code);
/* Allocate a task with a kernel stack, a pid, a /proc entry, on the task
 * list, inheriting patch state from current (not yet runnable). The
 * user-mode layer builds user tasks on this. */
struct task *task_alloc(const char *name);

/* For self-tests and the shell */
int task_proc_add(struct task *t);
void task_proc_remove(struct task *t);
