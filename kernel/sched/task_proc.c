/* The task views: /proc/<pid>/{status,stack,patch_state} and the shell's
 * ps, kill and kthread commands. The files carry the pid, not the task, and
 * look it up on every read, so a read racing with the task's exit finds
 * nothing instead of freed memory. */
#define pr_fmt(fmt) "task: " fmt
#include <kelp/sched.h>
#include <kelp/stacktrace.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/shell.h>
#include <kelp/ksyms.h>
#include <kelp/init.h>
#include <kelp/errno.h>
#include <kelp/string.h>
#include <kelp/time.h>
#include <kelp/printk.h>
#include <kelp/user.h>

#define STACK_DEPTH_MAX 64

static u64 task_cpu_ns(struct task *t)
{
	u64 ns = READ_ONCE(t->sum_exec_ns);
	if (t == current && t->exec_start)
		ns += ktime_get_ns() - t->exec_start;
	return ns;
}

static struct task *proc_task(void *data)
{
	return find_get_task_by_pid((int)(long)data);
}

noinline int proc_pid_status_show(struct seq_file *m, void *data)
{
	struct task *t = proc_task(data);
	if (!t)
		return -ESRCH;
	struct task *parent = READ_ONCE(t->parent);
	seq_printf(m, "Name:\t%s\n", t->comm);
	seq_printf(m, "State:\t%s\n", task_state_name(t));
	seq_printf(m, "Pid:\t%d\n", t->pid);
	seq_printf(m, "PPid:\t%d\n", parent ? parent->pid : 0);
	seq_printf(m, "Prio:\t%d\n", t->prio);
	seq_printf(m, "Kthread:\t%d\n", (t->flags & PF_KTHREAD) ? 1 : 0);
	seq_printf(m, "User:\t%d\n", READ_ONCE(t->mm) ? 1 : 0);
	seq_printf(m, "CpuTimeMs:\t%llu\n", (unsigned long long)(task_cpu_ns(t) / NSEC_PER_MSEC));
	seq_printf(m, "patch_state:\t%d\n", t->patch_state);
	seq_printf(m, "PatchPending:\t%d\n", test_tsk_thread_flag(t, TIF_PATCH_PENDING));
	seq_printf(m, "voluntary_ctxt_switches:\t%llu\n", (unsigned long long)t->nvcsw);
	seq_printf(m, "nonvoluntary_ctxt_switches:\t%llu\n", (unsigned long long)t->nivcsw);
	put_task_struct(t);
	return 0;
}

/* Linux's format, one "[<0>] sym+off/size" per frame (addresses hidden),
 * plus a last line when the walk could not vouch for the trace. */
noinline int proc_pid_stack_show(struct seq_file *m, void *data)
{
	unsigned long entries[STACK_DEPTH_MAX];
	char sym[128];
	bool reliable;
	struct task *t = proc_task(data);
	if (!t)
		return -ESRCH;
	int n = stack_trace_save_tsk(t, entries, STACK_DEPTH_MAX, &reliable);
	for (int i = 0; i < n; i++) {
		ksym_snprint_ret(sym, sizeof(sym), entries[i]);
		seq_printf(m, "[<0>] %s\n", sym);
	}
	if (!reliable)
		seq_puts(m, "(unreliable)\n");
	put_task_struct(t);
	return 0;
}

noinline int proc_pid_patch_state_show(struct seq_file *m, void *data)
{
	struct task *t = proc_task(data);
	if (!t)
		return -ESRCH;
	seq_printf(m, "%d\n", t->patch_state);
	put_task_struct(t);
	return 0;
}

int task_proc_add(struct task *t)
{
	char name[16];
	struct pfs_node *proc = pfs_mkdir_p("/proc");
	void *data = (void *)(long)t->pid;

	if (!proc)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%d", t->pid);
	struct pfs_node *dir = pfs_mkdir(proc, name);
	if (!dir)
		return -ENOMEM;
	if (!pfs_create_file(dir, "status", 0444, proc_pid_status_show, NULL, data) ||
	    !pfs_create_file(dir, "stack", 0444, proc_pid_stack_show, NULL, data) ||
	    !pfs_create_file(dir, "patch_state", 0444, proc_pid_patch_state_show, NULL, data)) {
		pfs_remove(dir);
		return -ENOMEM;
	}
	t->proc_dir = dir;
	return 0;
}

void task_proc_remove(struct task *t)
{
	if (t->proc_dir) {
		pfs_remove(t->proc_dir);
		t->proc_dir = NULL;
	}
}

/* Tasks made before /proc existed (the idle tasks: pid 0 is CPU 0's; the
 * other CPUs' share its pid and get no directory). */
static int task_proc_init(void)
{
	struct task *t;
	for (;;) {
		struct task *missing = NULL;
		unsigned long flags = spin_lock_irqsave(&tasklist_lock);
		for_each_task(t)
			if (!t->proc_dir && t->state != TASK_DEAD &&
			    !((t->flags & PF_IDLE) && t->cpu != 0)) {
				missing = t;
				break;
			}
		spin_unlock_irqrestore(&tasklist_lock, flags);
		if (!missing || task_proc_add(missing))
			return 0;
	}
}
fs_initcall(task_proc_init);

/* ---- shell commands ---- */

static int cmd_ps(int argc, char **argv)
{
	struct task *t;
	(void)argc;
	(void)argv;
	shell_printf("%5s %-5s %4s %8s %s\n", "PID", "STATE", "PRIO", "TIME", "NAME");
	/* Print from a snapshot: shell output may sleep, the list lock
	 * must not be held across it. */
	struct ps_row {
		int pid, prio;
		char state;
		u64 ms;
		char comm[TASK_COMM_LEN];
	} rows[64];
	int n = 0, total = 0;
	unsigned long flags = spin_lock_irqsave(&tasklist_lock);
	for_each_task(t) {
		total++;
		if (n < (int)ARRAY_SIZE(rows)) {
			struct ps_row *r = &rows[n++];
			r->pid = t->pid;
			r->prio = t->prio;
			r->state = task_state_char(t);
			r->ms = task_cpu_ns(t) / NSEC_PER_MSEC;
			strlcpy(r->comm, t->comm, sizeof(r->comm));
		}
	}
	spin_unlock_irqrestore(&tasklist_lock, flags);
	for (int i = 0; i < n; i++)
		shell_printf("%5d %-5c %4d %8llu %s\n", rows[i].pid, rows[i].state, rows[i].prio,
			     (unsigned long long)rows[i].ms, rows[i].comm);
	if (total > n)
		shell_printf("... and %d more\n", total - n);
	return 0;
}
SHELL_COMMAND("ps", "list tasks: pid, state, priority, cpu time (ms), name", cmd_ps);

static int cmd_kill(int argc, char **argv)
{
	int pid, ret = 0;
	if (argc < 2) {
		shell_error("usage: kill PID...\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (kstrtoint(argv[i], 10, &pid) || pid < 0) {
			shell_error("kill: %s: invalid pid\n", argv[i]);
			ret = 1;
			continue;
		}
		struct task *t = find_get_task_by_pid(pid);
		if (!t) {
			shell_error("kill: %d: No such process\n", pid);
			ret = 1;
			continue;
		}
		/* A user task dies on its way back to user mode. */
		if (!(t->flags & PF_KTHREAD) && !user_task_kill(t)) {
			wait_for_completion_timeout(&t->exited, msecs_to_jiffies(500));
			put_task_struct(t);
			continue;
		}
		if ((t->flags & PF_IDLE) || t == current || !(t->flags & PF_KTHREAD) || pid == 1) {
			shell_error("kill: %d: Operation not permitted\n", pid);
			put_task_struct(t);
			ret = 1;
			continue;
		}
		if (kthread_kill(t)) {
			/* as in Linux: kernel threads ignore signals */
			shell_error("kill: %d: %s is a kernel thread, it ignores signals\n", pid,
				    t->comm);
			put_task_struct(t);
			ret = 1;
			continue;
		}
		/* Give it a moment to go, so a ps right after no longer lists it. */
		wait_for_completion_timeout(&t->exited, msecs_to_jiffies(500));
		put_task_struct(t);
	}
	return ret;
}
SHELL_COMMAND("kill", "kill user tasks or stop the demo kernel threads: kill PID...", cmd_kill);

/* Demo threads for trying the scheduler from the console. */
static noinline int kthread_demo_sleep_loop(void)
{
	while (!kthread_should_stop())
		msleep_interruptible(100);
	return 0;
}

static int kthread_demo_sleep(void *data)
{
	(void)data;
	return kthread_demo_sleep_loop();
}

static noinline int kthread_demo_busy(void *data)
{
	volatile u64 spins = 0;
	(void)data;
	while (!kthread_should_stop())
		for (int i = 0; i < 100000; i++)
			spins++;
	return 0;
}

static int cmd_kthread(int argc, char **argv)
{
	int (*fn)(void *) = NULL;
	if (argc >= 2 && !strcmp(argv[1], "sleep"))
		fn = kthread_demo_sleep;
	else if (argc >= 2 && !strcmp(argv[1], "busy"))
		fn = kthread_demo_busy;
	if (!fn) {
		shell_error("usage: kthread sleep|busy [NAME]\n");
		return 1;
	}
	struct task *t = kthread_create(fn, NULL, "%s", argc >= 3 ? argv[2] : argv[1]);
	if (!t) {
		shell_error("kthread: out of memory\n");
		return 1;
	}
	/* The demo threads end on a kill: that is what they are for. */
	kthread_allow_signals(t);
	/* Below the shell's priority, so a busy one leaves the console usable. */
	if (fn == kthread_demo_busy)
		sched_set_prio(t, SCHED_PRIO_DEFAULT + 1);
	int pid = t->pid;
	kthread_wake(t);
	put_task_struct(t);
	shell_printf("started %s pid %d\n", argv[1], pid);
	return 0;
}
SHELL_COMMAND("kthread", "start a demo kernel thread: kthread sleep|busy [NAME]", cmd_kthread);
