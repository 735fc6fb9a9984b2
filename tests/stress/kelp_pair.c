/* The livepatch stress target and its consistency checker (make stress,
 * tests/py/test_stress.py).
 *
 * kelp_pair_a() and kelp_pair_b() return a version number (0 here); the
 * stress blobs (tests/modules/stress_pair.c, vN) replace both, and their
 * caller kelp_pair(), with versions returning N. Livepatch's consistency
 * model is per task and per function on the stack: a task is switched
 * only while none of the patched functions is on its stack, so a patch
 * that must change a and b together also carries their caller. A task
 * that ever sees a from one version and b from another within one
 * kelp_pair() call is a violation.
 *
 * Observers: kernel threads (stress_kthread) and user tasks (user/
 * pair_loop calling SYS_kelp_pair, so the pair runs under a syscall and
 * tasks switch on their way back to user mode). Both count here.
 *
 * /sys/kernel/kelp/stress_stats
 *   read:  observations, violations, per kind, versions seen, the pair
 *          as the reading task sees it now, checker tasks running
 *   write: "start K U" (K kernel threads, U user tasks), "stop", "reset"
 */
#define pr_fmt(fmt) "stress: " fmt
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/syscall.h>
#include <kelp/sched.h>
#include <kelp/user.h>
#include <kelp/init.h>
#include <kelp/mutex.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

#define STRESS_MAX_TASKS 64

/* Patch targets: noipa, so the compiler cannot fold or reuse their result
 * (they change under its feet). */
noinline __attribute__((noipa)) int kelp_pair_a(void)
{
	return 0;
}

noinline __attribute__((noipa)) int kelp_pair_b(void)
{
	return 0;
}

/* a then b, packed as a << 16 | b. Kept apart from the checking so that a
 * patch replaces exactly the code that must see one version. */
noinline __attribute__((noipa)) long kelp_pair(void)
{
	long a = kelp_pair_a();
	barrier();
	return a << 16 | (kelp_pair_b() & 0xffff);
}

static struct {
	u64 observations, violations;
	u64 kthread_obs, user_obs;
	u64 max_version;
	u64 first_violation; /* the first mixed pair seen, + 1 */
} st;

static DEFINE_MUTEX(stress_lock);
static struct task *stress_tasks[STRESS_MAX_TASKS];
static int stress_nk, stress_nu;
static volatile bool stress_stopping;
static int stress_user_failures; /* user observers that exited non-zero */

static long stress_observe(bool user)
{
	long v = kelp_pair();
	long a = v >> 16, b = v & 0xffff;
	__atomic_fetch_add(&st.observations, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(user ? &st.user_obs : &st.kthread_obs, 1, __ATOMIC_RELAXED);
	if (a != b) {
		u64 zero = 0;
		__atomic_compare_exchange_n(&st.first_violation, &zero, (u64)v + 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st.violations, 1, __ATOMIC_RELAXED);
	}
	u64 m = __atomic_load_n(&st.max_version, __ATOMIC_RELAXED);
	while ((u64)a > m && !__atomic_compare_exchange_n(&st.max_version, &m, (u64)a, false,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return v;
}

/* SYS_kelp_pair(long *out): the pair as this task sees it, checked and
 * counted; also stored to *out when out is given. -ECANCELED once the
 * checker stops, which ends the user observers. */
noinline long sys_kelp_pair(long __user *out)
{
	if (READ_ONCE(stress_stopping))
		return -ECANCELED;
	long v = stress_observe(true);
	if (out && copy_to_user(out, &v, sizeof(v)))
		return -EFAULT;
	return v;
}

static int stress_kthread(void *arg)
{
	(void)arg;
	while (!kthread_should_stop()) {
		for (int i = 0; i < 64; i++)
			stress_observe(false);
		/* Preemption switches us too; yielding lets the user tasks and
		 * the transition worker in more often on one CPU. */
		yield();
	}
	return 0;
}

static void stress_stop_locked(void)
{
	WRITE_ONCE(stress_stopping, true);
	for (int i = 0; i < stress_nk + stress_nu; i++) {
		struct task *t = stress_tasks[i];
		if (i < stress_nk) {
			kthread_stop(t);
		} else {
			if (task_wait_exit(t))
				stress_user_failures++;
			put_task_struct(t);
		}
		stress_tasks[i] = NULL;
	}
	stress_nk = stress_nu = 0;
	WRITE_ONCE(stress_stopping, false);
}

static int stress_start_locked(unsigned int nk, unsigned int nu)
{
	int err = 0;
	if (stress_nk || stress_nu)
		return -EBUSY;
	/* each bound on its own: a sum of two parsed values can wrap */
	if (nk > STRESS_MAX_TASKS || nu > STRESS_MAX_TASKS - nk)
		return -EINVAL;
	for (unsigned int i = 0; i < nk; i++) {
		struct task *t = kthread_run(stress_kthread, NULL, "stress/%d", i);
		if (!t) {
			err = -ENOMEM;
			goto fail;
		}
		stress_tasks[stress_nk++] = t;
	}
	for (unsigned int i = 0; i < nu; i++) {
		/* pair_loop runs until the syscall says the checker stopped */
		struct task *t = user_spawn("pair_loop", NULL, &err);
		if (!t)
			goto fail;
		stress_tasks[stress_nk + stress_nu++] = t;
	}
	return 0;
fail:
	stress_stop_locked();
	return err;
}

static int stress_show(struct seq_file *m, void *data)
{
	(void)data;
	long v = kelp_pair();
	seq_printf(m, "observations %llu\n", (unsigned long long)READ_ONCE(st.observations));
	seq_printf(m, "violations %llu\n", (unsigned long long)READ_ONCE(st.violations));
	seq_printf(m, "kthread_observations %llu\n", (unsigned long long)READ_ONCE(st.kthread_obs));
	seq_printf(m, "user_observations %llu\n", (unsigned long long)READ_ONCE(st.user_obs));
	seq_printf(m, "max_version %llu\n", (unsigned long long)READ_ONCE(st.max_version));
	seq_printf(m, "first_violation %#llx\n",
		   (unsigned long long)(st.first_violation ? st.first_violation - 1 : 0));
	seq_printf(m, "user_failures %d\n", READ_ONCE(stress_user_failures));
	seq_printf(m, "tasks %d %d\n", READ_ONCE(stress_nk), READ_ONCE(stress_nu));
	seq_printf(m, "pair %ld %ld\n", v >> 16, v & 0xffff);
	return 0;
}

static ssize_t stress_store(void *data, const char *buf, size_t len)
{
	char cmd[32];
	unsigned int nk = 0, nu = 0;
	int err = 0;
	(void)data;
	if (len >= sizeof(cmd))
		return -EINVAL; /* not cut short into another command */
	size_t n = len;
	memcpy(cmd, buf, n);
	cmd[n] = 0;
	if (n && cmd[n - 1] == '\n')
		cmd[n - 1] = 0;
	mutex_lock(&stress_lock);
	if (!strcmp(cmd, "stop")) {
		stress_stop_locked();
	} else if (!strcmp(cmd, "reset")) {
		if (stress_nk || stress_nu)
			err = -EBUSY;
		else
			memset(&st, 0, sizeof(st)), stress_user_failures = 0;
	} else if (!strncmp(cmd, "start ", 6)) {
		char *sp = strchr(cmd + 6, ' ');
		if (!sp) {
			err = -EINVAL;
		} else {
			*sp = 0;
			err = kstrtouint(cmd + 6, 10, &nk);
			if (!err)
				err = kstrtouint(sp + 1, 10, &nu);
			if (!err)
				err = stress_start_locked(nk, nu);
		}
	} else {
		err = -EINVAL;
	}
	mutex_unlock(&stress_lock);
	if (!err && (nk || nu))
		pr_info("%u kernel threads and %u user tasks checking kelp_pair\n", nk, nu);
	return err ? err : (ssize_t)len;
}

static int stress_init(void)
{
	struct pfs_node *dir = pfs_mkdir_p("/sys/kernel/kelp");
	if (!dir || !pfs_create_file(dir, "stress_stats", 0644, stress_show, stress_store, NULL)) {
		pr_err("cannot create /sys/kernel/kelp/stress_stats\n");
		return -ENOMEM;
	}
	return 0;
}
late_initcall(stress_init);
