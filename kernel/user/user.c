/* User tasks: address spaces (a PML4 per task sharing the kernel half),
 * spawning an embedded program as a ring-3 task, exit and the reaping of
 * spawned children by wait(), kills, the report-and-kill of faulting user
 * code, the cr3 switch hook of the scheduler, and the checked user copies.
 * The shell's `spawn` command lives here too. */
#define pr_fmt(fmt) "user: " fmt
#include <kelp/user.h>
#include <kelp/sched.h>
#include <kelp/syscall.h>
#include <kelp/mm.h>
#include <kelp/errno.h>
#include <kelp/init.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/shell.h>
#include <kelp/string.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>

extern void finish_task_switch(struct task *prev);
extern void (*trap_user_fault_hook)(struct trap_frame *tf);
extern void (*exit_to_user_mode_hook)(struct trap_frame *tf);

/* A spawned child not yet waited for; holds a reference on the task so its
 * exit status outlives it (the zombie), dropped by wait() or by the
 * parent's own exit (orphans are reaped with it). */
struct user_child {
	struct list_head node;
	struct task *task;
	int pid;
};

/* Serialises a task's mm pointer going away against user_task_kill. */
static spinlock_t user_mm_lock = SPINLOCK_INIT;

/* ---- address spaces ---- */

struct mm_struct *mm_create(void)
{
	struct mm_struct *mm = kzalloc(sizeof(*mm));
	if (!mm)
		return NULL;
	mm->pgd = arch_pgd_alloc();
	if (!mm->pgd) {
		kfree(mm);
		return NULL;
	}
	spin_lock_init(&mm->lock);
	INIT_LIST_HEAD(&mm->children);
	return mm;
}

static void mm_drop_children(struct mm_struct *mm)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&mm->lock);
		struct user_child *c = list_empty(&mm->children) ? NULL :
			list_first_entry(&mm->children, struct user_child, node);
		if (c)
			list_del_init(&c->node);
		spin_unlock_irqrestore(&mm->lock, flags);
		if (!c)
			return;
		put_task_struct(c->task);
		kfree(c);
	}
}

void mm_destroy(struct mm_struct *mm)
{
	if (!mm)
		return;
	mm_drop_children(mm);
	arch_pgd_free(mm->pgd);
	kfree(mm);
}

int mm_map_zero(struct mm_struct *mm, unsigned long va, size_t pages, int flags)
{
	for (size_t i = 0; i < pages; i++) {
		phys_addr_t pa = pmm_alloc_page();
		if (!pa)
			return -ENOMEM;
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		int r = arch_user_map(mm->pgd, va + i * PAGE_SIZE, pa, flags | VM_USER);
		if (r) {
			pmm_free_page(pa);
			return r;
		}
		mm->nr_pages++;
	}
	return 0;
}

int mm_write(struct mm_struct *mm, unsigned long va, const void *src, size_t len)
{
	const u8 *s = src;
	while (len) {
		phys_addr_t pa = arch_user_lookup(mm->pgd, va, NULL);
		if (!pa)
			return -EFAULT;
		size_t n = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		memcpy(phys_to_virt(pa), s, n);
		s += n;
		va += n;
		len -= n;
	}
	return 0;
}

/* The scheduler's hook (sched.c has a weak default): kernel threads run
 * on the kernel's own tables, so a dead task's PML4 is never live. */
void sched_switch_mm(struct task *prev, struct task *next)
{
	(void)prev;
	struct mm_struct *mm = next->mm;
	arch_switch_pgd(mm ? mm->pgd : arch_kernel_pgd());
}

/* ---- programs ---- */

const struct user_program *user_program_find(const char *name)
{
	for (const struct user_program *p = user_programs; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* ---- spawn ---- */

void user_task_start_c(void *prev)
{
	finish_task_switch(prev);
	preempt_enable_no_resched();
	/* Interrupts are still off from the switch: the frame goes to user
	 * mode through the same exit work as any other return. */
	exit_to_user_mode_work(arch_user_frame(current));
}

/* name and arg as argv[0], argv[1] at the top of the user stack. */
static int user_setup_stack(struct mm_struct *mm, const char *name, const char *arg,
			    unsigned long *sp_out, int *argc)
{
	unsigned long sp = USER_STACK_TOP;
	u64 argv[3] = { 0, 0, 0 };
	int r = mm_map_zero(mm, USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE, USER_STACK_PAGES,
			    VM_READ | VM_WRITE);
	if (r)
		return r;
	*argc = 1;
	if (arg) {
		size_t n = strlen(arg) + 1;
		sp -= n;
		if (mm_write(mm, sp, arg, n))
			return -EFAULT;
		argv[1] = sp;
		*argc = 2;
	}
	size_t n = strlen(name) + 1;
	sp -= n;
	if (mm_write(mm, sp, name, n))
		return -EFAULT;
	argv[0] = sp;
	sp = ALIGN_DOWN(sp, 16) - 32;
	if (mm_write(mm, sp, argv, sizeof(argv)))
		return -EFAULT;
	*sp_out = sp;
	return 0;
}

#define USER_ARG_MAX 128

struct task *user_spawn(const char *program, const char *arg, int *err)
{
	const struct user_program *p = user_program_find(program);
	unsigned long entry, usp;
	int argc, r;

	if (!p) {
		*err = -ENOENT;
		return NULL;
	}
	if (arg && strlen(arg) >= USER_ARG_MAX) {
		*err = -E2BIG;
		return NULL;
	}
	struct mm_struct *mm = mm_create();
	if (!mm) {
		*err = -ENOMEM;
		return NULL;
	}
	r = exec_load(mm, p->data, (size_t)(p->end - p->data), &entry);
	if (!r)
		r = user_setup_stack(mm, p->name, arg, &usp, &argc);
	struct task *t = r ? NULL : task_alloc(p->name);
	if (!t) {
		mm_destroy(mm);
		*err = r ? r : -ENOMEM;
		return NULL;
	}
	t->mm = mm;

	/* Its first return to user mode: entry(argc, usp) on the user stack. */
	arch_user_task_init(t, entry, usp, (unsigned long)argc, usp);
	/* As inside a switch: schedule()'s count (the rq lock adds none),
	 * dropped by user_task_start_c. */
	t->preempt_count = 1;
	t->user_rsp = usp;

	get_task_struct(t); /* the caller's */
	wake_up_state(t, TASK_NEW);
	return t;
}

/* ---- exit, kill, wait ---- */

void user_exit(int code)
{
	struct task *t = current;
	struct mm_struct *mm = t->mm;

	BUG_ON(!mm);
	unsigned long flags = spin_lock_irqsave(&user_mm_lock);
	t->mm = NULL;
	arch_switch_pgd(arch_kernel_pgd());
	spin_unlock_irqrestore(&user_mm_lock, flags);
	mm_destroy(mm);
	do_exit(code);
}

int user_task_kill(struct task *t)
{
	return user_task_kill_status(t, KELP_EXIT_KILLED);
}

int user_task_kill_status(struct task *t, int code)
{
	int ret = -EINVAL;
	unsigned long flags = spin_lock_irqsave(&user_mm_lock);
	if (t->mm) {
		if (!t->mm->killed)
			WRITE_ONCE(t->mm->killed, code);
		set_tsk_thread_flag(t, TIF_SIGPENDING);
		ret = 0;
	}
	spin_unlock_irqrestore(&user_mm_lock, flags);
	if (!ret)
		wake_up_state(t, TASK_INTERRUPTIBLE);
	return ret;
}

static bool user_child_exited(struct mm_struct *mm, int pid)
{
	struct user_child *c;
	bool found = false;
	unsigned long flags = spin_lock_irqsave(&mm->lock);
	list_for_each_entry(c, &mm->children, node)
		if ((pid == -1 || c->pid == pid) && completion_done(&c->task->exited)) {
			found = true;
			break;
		}
	spin_unlock_irqrestore(&mm->lock, flags);
	return found;
}

int user_wait(int pid, int *status)
{
	struct mm_struct *mm = current->mm;
	if (!mm)
		return -ECHILD;
	for (;;) {
		struct user_child *c, *found = NULL;
		bool any = false;
		unsigned long flags = spin_lock_irqsave(&mm->lock);
		list_for_each_entry(c, &mm->children, node) {
			if (pid != -1 && c->pid != pid)
				continue;
			any = true;
			if (completion_done(&c->task->exited)) {
				found = c;
				list_del_init(&c->node);
				break;
			}
		}
		spin_unlock_irqrestore(&mm->lock, flags);
		if (found) {
			int ret = found->pid;
			*status = found->task->exit_code;
			put_task_struct(found->task);
			kfree(found);
			return ret;
		}
		if (!any)
			return -ECHILD;
		int r = wait_event_interruptible(current->child_exit, user_child_exited(mm, pid));
		if (r)
			return r;
	}
}

/* sys_spawn's bookkeeping: current keeps t (and its reference) until wait. */
int user_adopt_child(struct task *t)
{
	struct mm_struct *mm = current->mm;
	struct user_child *c = kzalloc(sizeof(*c));
	if (!c || !mm) {
		kfree(c);
		return -ENOMEM;
	}
	c->task = t;
	c->pid = t->pid;
	unsigned long flags = spin_lock_irqsave(&mm->lock);
	list_add_tail(&c->node, &mm->children);
	spin_unlock_irqrestore(&mm->lock, flags);
	return 0;
}

/* ---- faults and pending work ---- */

/* Linux's one-line report, then the task dies; the kernel goes on. */
static void user_fault(struct trap_frame *tf)
{
	struct task *t = current;
	if (!t->mm)
		panic_trap(tf, "%s from user mode in kernel thread %s", trap_name(arch_trap_vector(tf)), t->comm);
	if (arch_trap_is_page_fault(tf))
		printk(KERN_ERR "%s[%d]: segfault at %lx ip %016lx sp %016lx error %lx\n", t->comm,
		       t->pid, arch_fault_address(), arch_trap_ip(tf), arch_trap_sp(tf),
		       arch_trap_error(tf));
	else
		printk(KERN_ERR "%s[%d]: %s ip %016lx sp %016lx error %lx\n", t->comm, t->pid,
		       trap_name(arch_trap_vector(tf)), arch_trap_ip(tf), arch_trap_sp(tf),
		       arch_trap_error(tf));
	arch_irq_enable();
	user_exit(KELP_EXIT_SEGV);
}

/* TIF_SIGPENDING on the way out: a kill ends the task; anything else was a
 * nudge (e.g. livepatch waking sleepers) and is consumed. */
static void user_exit_work(struct trap_frame *tf)
{
	struct task *t = current;
	(void)tf;
	int killed = t->mm ? READ_ONCE(t->mm->killed) : 0;
	if (killed) {
		arch_irq_enable();
		user_exit(killed);
	}
	clear_tsk_thread_flag(t, TIF_SIGPENDING);
	clear_tsk_thread_flag(t, TIF_NOTIFY_RESUME);
}

static int user_init(void)
{
	trap_user_fault_hook = user_fault;
	exit_to_user_mode_hook = user_exit_work;
	int n = 0;
	for (const struct user_program *p = user_programs; p->name; p++)
		n++;
	pr_info("%d embedded programs\n", n);
	return 0;
}
core_initcall(user_init);

/* ---- checked copies ---- */

struct ucopy {
	void *dst;
	const void *src;
	size_t len;
	long result;
};

static void ucopy_fn(void *arg)
{
	struct ucopy *c = arg;
	memcpy(c->dst, c->src, c->len);
}

static void ustrcpy_fn(void *arg)
{
	struct ucopy *c = arg;
	const char *s = c->src;
	char *d = c->dst;
	for (size_t i = 0; i < c->len; i++) {
		d[i] = s[i];
		if (!s[i]) {
			c->result = (long)i;
			return;
		}
	}
	c->result = -ENAMETOOLONG;
}

int copy_from_user(void *dst, const void __user *src, size_t len)
{
	if (!len)
		return 0;
	if (!access_ok(src, len))
		return -EFAULT;
	struct ucopy c = { dst, src, len, 0 };
	return arch_catch_fault(ucopy_fn, &c, NULL, NULL) ? -EFAULT : 0;
}

int copy_to_user(void __user *dst, const void *src, size_t len)
{
	if (!len)
		return 0;
	if (!access_ok(dst, len))
		return -EFAULT;
	struct ucopy c = { dst, src, len, 0 };
	return arch_catch_fault(ucopy_fn, &c, NULL, NULL) ? -EFAULT : 0;
}

long strncpy_from_user(char *dst, const char __user *src, size_t size)
{
	if (!size)
		return -ENAMETOOLONG;
	unsigned long a = (unsigned long)src;
	if (a < USER_MIN || a >= USER_LIMIT)
		return -EFAULT;
	/* Never read past the end of user space. */
	struct ucopy c = { dst, src, MIN(size, USER_LIMIT - a), 0 };
	if (arch_catch_fault(ustrcpy_fn, &c, NULL, NULL))
		return -EFAULT;
	if (c.result < 0 && c.len < size)
		return -EFAULT;
	return c.result;
}

/* ---- the shell ---- */

static int cmd_spawn(int argc, char **argv)
{
	bool wait = argc >= 2 && !strcmp(argv[1], "-w");
	int first = wait ? 2 : 1, err = 0;
	if (argc <= first || argc > first + 2) {
		shell_error("usage: spawn [-w] PROGRAM [ARG]\nprograms:");
		for (const struct user_program *p = user_programs; p->name; p++)
			shell_error(" %s", p->name);
		shell_error("\n");
		return 1;
	}
	struct task *t = user_spawn(argv[first], argc > first + 1 ? argv[first + 1] : NULL, &err);
	if (!t) {
		shell_error("spawn: %s: %s\n", argv[first], strerror(err));
		return 1;
	}
	shell_printf("spawned %s pid %d\n", argv[first], t->pid);
	if (wait) {
		/* In the foreground: Ctrl-C at the console ends the wait, and
		 * the program, as SIGINT would. */
		if (shell_interactive() &&
		    wait_event_interruptible(t->exited.wait, completion_done(&t->exited)))
			user_task_kill_status(t, KELP_EXIT_INTERRUPTED);
		shell_printf("exit status %d\n", task_wait_exit(t));
	}
	put_task_struct(t);
	return 0;
}
void shell_complete_programs(struct shell_completion *c)
{
	shell_completion_add(c, "-w", NULL);
	for (const struct user_program *p = user_programs; p->name; p++)
		shell_completion_add(c, p->name, NULL);
}

SHELL_COMMAND("spawn", "run a user program: spawn [-w] PROGRAM [ARG] (-w: wait, print its exit status)",
	      cmd_spawn);
