/* User mode (kernel/user/user.c, kernel/user/exec.c, kernel/user/syscall.c): address
 * spaces, user tasks and their life cycle, the embedded programs, and the
 * checked copies between kernel and user memory. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/list.h>
#include <kelp/spinlock.h>

/* Marks pointers into user memory: never dereferenced directly, only
 * through copy_from_user / copy_to_user / strncpy_from_user. */
#define __user

/* User space is [USER_MIN, USER_LIMIT): the lower half minus its last page
 * (so no user range ends at the non-canonical boundary) and the first
 * 64 KiB (NULL pointers and small offsets from them always fault). */
#define USER_MIN 0x10000UL
#define USER_LIMIT 0x00007ffffffff000UL
#define USER_STACK_TOP USER_LIMIT
#define USER_STACK_PAGES 16

struct task;

/* A user task's address space and its process-level state. */
struct mm_struct {
	phys_addr_t pgd;         /* PML4; upper half shared with the kernel */
	unsigned long nr_pages;  /* user frames mapped */
	int killed;              /* the exit status of a pending kill, 0: none
				  * (TIF_SIGPENDING alone may be a nudge) */
	spinlock_t lock;
	struct list_head children; /* struct user_child: spawned, not yet waited for */
};

/* Address spaces */
struct mm_struct *mm_create(void);
void mm_destroy(struct mm_struct *mm);
/* Map `pages` zeroed pages at va with VM_* flags (VM_USER implied). */
int mm_map_zero(struct mm_struct *mm, unsigned long va, size_t pages, int flags);
/* Copy into mapped user pages of mm (not necessarily the loaded one). */
int mm_write(struct mm_struct *mm, unsigned long va, const void *src, size_t len);

/* ELF executables (kernel/user/exec.c): check the image and map its PT_LOAD
 * segments into mm. 0 and the entry point, or -ENOEXEC / -ENOMEM. */
int exec_load(struct mm_struct *mm, const void *image, size_t size, unsigned long *entry);

/* The programs built from user/ and embedded in the kernel image. */
struct user_program {
	const char *name;
	const u8 *data;
	const u8 *end;
};
extern const struct user_program user_programs[]; /* ends with name == NULL */
const struct user_program *user_program_find(const char *name);

/* Start program with one optional argument string as a child of current.
 * Returns the running task with a reference for the caller (put it, or
 * wait with task_wait_exit), or NULL with *err set. */
struct task *user_spawn(const char *program, const char *arg, int *err);
/* End the current user task: its address space goes, then do_exit. */
__noreturn void user_exit(int code);
/* Kill a user task: it exits (KELP_EXIT_KILLED) on its way to user mode;
 * interruptible sleeps end at once. -EINVAL for a kernel thread. */
int user_task_kill(struct task *t);
/* The same with exit status code (KELP_EXIT_INTERRUPTED for Ctrl-C); the
 * first kill decides the status. */
int user_task_kill_status(struct task *t, int code);
/* wait(): reap a spawned child (pid, or -1 for any): its pid and status. */
int user_wait(int pid, int *status);
/* Record t (referenced) as a child of the current user task for wait(). */
int user_adopt_child(struct task *t);

/* Checked user access: -EFAULT for a range outside user space or a fault
 * on the way (the fault is caught, not fatal). */
static inline bool access_ok(const void __user *p, size_t len)
{
	unsigned long a = (unsigned long)p;
	return a >= USER_MIN && len <= USER_LIMIT - a && a < USER_LIMIT;
}
int copy_from_user(void *dst, const void __user *src, size_t len);
int copy_to_user(void __user *dst, const void *src, size_t len);
/* The string's length (< size), -ENAMETOOLONG or -EFAULT. */
long strncpy_from_user(char *dst, const char __user *src, size_t size);
