/* Self-tests for user mode: spawning embedded programs and seeing their
 * exit status, -EFAULT for bad user pointers, a faulting program killed
 * with the kernel unharmed, address spaces freed to the last frame, and
 * reliable stacks of user tasks ending at their user-mode frame. */
#include <kelp/ktest.h>
#include <kelp/user.h>
#include <kelp/syscall.h>
#include <kelp/sched.h>
#include <kelp/stacktrace.h>
#include <kelp/ksyms.h>
#include <kelp/mm.h>
#include <kelp/errno.h>
#include <kelp/string.h>
#include <arch/paging.h>

static int run_wait(const char *prog, const char *arg)
{
	int err = 0;
	struct task *u = user_spawn(prog, arg, &err);
	if (!u)
		return err - 1000;
	int code = task_wait_exit(u);
	put_task_struct(u);
	return code;
}

KTEST(user, hello_runs_and_exits_0)
{
	KEXPECT_EQ(run_wait("hello", NULL), 0);
	KEXPECT_EQ(run_wait("exitcode", NULL), 42);
	KEXPECT_EQ(run_wait("exitcode", "7"), 7);
}

KTEST(user, unknown_program)
{
	int err = 0;
	KEXPECT_NULL(user_spawn("no-such-program", NULL, &err));
	KEXPECT_EQ(err, -ENOENT);
}

KTEST(user, spawn_and_wait_from_user_mode)
{
	/* init spawns both through sys_spawn and reaps them with sys_wait;
	 * it fails (non-zero) if a spawn fails. */
	KEXPECT_EQ(run_wait("init", "exitcode,hello"), 0);
}

KTEST(user, bad_pointer_gets_efault)
{
	char buf[8];
	/* badptr checks -EFAULT for five bad pointers itself. */
	KEXPECT_EQ(run_wait("badptr", NULL), 0);
	/* From the kernel side: a range outside user space, an unmapped user
	 * address (the fault is caught), and a range wrapping the limit. */
	KEXPECT_EQ(copy_from_user(buf, (const void *)0xffff800000000000UL, 8), -EFAULT);
	KEXPECT_EQ(copy_from_user(buf, (const void *)0x10000000UL, 8), -EFAULT);
	KEXPECT_EQ(copy_to_user((void *)(USER_LIMIT - 4), buf, 8), -EFAULT);
	KEXPECT_EQ(copy_from_user(buf, (const void *)0x0, 8), -EFAULT);
	KEXPECT_EQ(strncpy_from_user(buf, (const char *)0x20000000UL, sizeof(buf)), -EFAULT);
}

KTEST(user, fault_kills_only_the_task)
{
	int before = nr_tasks();
	KEXPECT_EQ(run_wait("fault", NULL), KELP_EXIT_SEGV);
	/* The kernel is fine and runs more programs. */
	KEXPECT_EQ(run_wait("hello", NULL), 0);
	KEXPECT_EQ(nr_tasks(), before);
}

KTEST(user, elf_loader_rejects_bad_images)
{
	const struct user_program *p = user_program_find("hello");
	KASSERT_NOT_NULL(p);
	size_t size = (size_t)(p->end - p->data);
	u8 *img = kmalloc(size);
	KASSERT_NOT_NULL(img);
	struct mm_struct *mm = mm_create();
	KASSERT_NOT_NULL(mm);
	unsigned long entry = 0;

	memcpy(img, p->data, size);
	KEXPECT_EQ(exec_load(mm, img, size, &entry), 0);
	KEXPECT_EQ(entry, 0x400000);
	KEXPECT_GT(mm->nr_pages, 0);
	/* Truncated, bad magic, phoff beyond the image, W+X segment. */
	KEXPECT_EQ(exec_load(mm, img, 40, &entry), -ENOEXEC);
	img[1] = 'X';
	KEXPECT_EQ(exec_load(mm, img, size, &entry), -ENOEXEC);
	memcpy(img, p->data, size);
	*(u64 *)(img + 32) = size - 8; /* e_phoff */
	KEXPECT_EQ(exec_load(mm, img, size, &entry), -ENOEXEC);
	memcpy(img, p->data, size);
	u64 phoff = *(u64 *)(img + 32);
	*(u32 *)(img + phoff + 4) |= 3; /* p_flags of the first segment: W and X */
	KEXPECT_EQ(exec_load(mm, img, size, &entry), -ENOEXEC);
	mm_destroy(mm);
	kfree(img);
}

KTEST(user, address_space_permissions)
{
	const struct user_program *p = user_program_find("hello");
	KASSERT_NOT_NULL(p);
	struct mm_struct *mm = mm_create();
	KASSERT_NOT_NULL(mm);
	unsigned long entry;
	KASSERT_EQ(exec_load(mm, p->data, (size_t)(p->end - p->data), &entry), 0);
	int fl = 0;
	KEXPECT_NE(arch_user_lookup(mm->pgd, entry, &fl), 0);
	KEXPECT_EQ(fl, VM_EXEC | VM_USER); /* text: R X */
	KEXPECT_NE(arch_user_lookup(mm->pgd, 0x401000, &fl), 0);
	KEXPECT_EQ(fl, VM_USER); /* rodata: R, NX */
	/* The kernel half is the kernel's, shared. */
	KEXPECT_EQ(arch_user_lookup(mm->pgd, 0xffffffff80100000UL, NULL), 0);
	mm_destroy(mm);
}

KTEST(user, address_space_freed_after_50_spawns)
{
	struct kmalloc_stats a, b;
	/* One run first: anything allocated once (e.g. /proc) is in place. */
	KEXPECT_EQ(run_wait("exitcode", NULL), 42);
	msleep(5);
	/* Earlier suites may still be freeing things in the background:
	 * take the baseline once the heap is steady. */
	kmalloc_get_stats(&a);
	for (int i = 0; i < 50; i++) {
		msleep(20);
		kmalloc_get_stats(&b);
		if (b.objects_in_use == a.objects_in_use && b.bytes_in_use == a.bytes_in_use)
			break;
		a = b;
	}
	size_t free0 = pmm_free_count();
	kmalloc_get_stats(&a);
	for (int i = 0; i < 50; i++)
		if (!KEXPECT_EQ(run_wait("exitcode", NULL), 42))
			break;
	msleep(5); /* the last child's stack goes after its final switch */
	kmalloc_get_stats(&b);
	KEXPECT_EQ(pmm_free_count(), free0);
	KEXPECT_EQ(b.objects_in_use, a.objects_in_use);
	KEXPECT_EQ(b.bytes_in_use, a.bytes_in_use);
}

static bool trace_has(unsigned long *e, int n, const char *name)
{
	struct ksym s;
	for (int i = 0; i < n; i++)
		if (ksym_lookup_addr(e[i] - 1, &s, NULL) && !strcmp(s.name, name))
			return true;
	return false;
}

static int wait_state(struct task *u, long state, int ms)
{
	for (int i = 0; i < ms; i++) {
		if (READ_ONCE(u->state) == state && !task_curr(u))
			return 0;
		msleep(1);
	}
	return -ETIMEDOUT;
}

KTEST(user, reliable_stack_in_syscall)
{
	unsigned long e[64];
	int err = 0;
	struct task *u = user_spawn("sleep", "10000", &err);
	KASSERT_NOT_NULL(u);
	KEXPECT_EQ(wait_state(u, TASK_INTERRUPTIBLE, 1000), 0);
	int n = stack_trace_save_tsk_reliable(u, e, ARRAY_SIZE(e));
	KEXPECT_GT(n, 0);
	KEXPECT_TRUE(trace_has(e, n, "sys_nanosleep"));
	KEXPECT_TRUE(trace_has(e, n, "syscall_dispatch"));
	KEXPECT_TRUE(trace_has(e, n, "__schedule"));
	KEXPECT_EQ(user_task_kill(u), 0);
	KEXPECT_EQ(task_wait_exit(u), KELP_EXIT_KILLED);
	put_task_struct(u);
}

KTEST(user, reliable_stack_preempted_in_user_mode)
{
	unsigned long e[64];
	int err = 0;
	struct task *u = user_spawn("spin", NULL, &err);
	KASSERT_NOT_NULL(u);
	/* Less urgent than this thread: it gets the CPU whenever we sleep
	 * and is preempted from user mode by the tick when we wake. */
	sched_set_prio(u, SCHED_PRIO_DEFAULT + 1);
	int n = -1;
	for (int i = 0; i < 50 && n <= 0; i++) {
		msleep(2);
		if (u->nivcsw)
			n = stack_trace_save_tsk_reliable(u, e, ARRAY_SIZE(e));
	}
	KEXPECT_GT(n, 0);
	KEXPECT_TRUE(trace_has(e, n, "preempt_schedule_irq"));
	KEXPECT_TRUE(trace_has(e, n, "exit_to_user_mode_work"));
	KEXPECT_FALSE(trace_has(e, n, "syscall_dispatch"));
	KEXPECT_EQ(user_task_kill(u), 0);
	KEXPECT_EQ(task_wait_exit(u), KELP_EXIT_KILLED);
	put_task_struct(u);
}

KTEST(user, kthread_cannot_be_user_killed)
{
	KEXPECT_EQ(user_task_kill(current), -EINVAL);
}
