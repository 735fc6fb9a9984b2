/* The soft-lockup watchdog (every kernel). The tick looks at what it
 * interrupted: a CPU running the idle task, or code that could be
 * preempted right now (preempt_count 0), is making progress as far as
 * the scheduler is concerned. Code that keeps preemption off for
 * watchdog_thresh seconds (a spinlock deadlock, a loop under
 * preempt_disable) never lets the scheduler run anything else on this
 * CPU: the tick turns it into a panic, whose backtrace crosses the
 * interrupt entry into the stuck code. Interrupts kept off stop the tick
 * too; catching that needs an NMI (not done). watchdog_thresh=0 on the
 * command line turns it off. */
#define pr_fmt(fmt) "watchdog: " fmt
#include <kelp/sched.h>
#include <kelp/time.h>
#include <kelp/init.h>
#include <kelp/cmdline.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/string.h>

#define WATCHDOG_THRESH_DEFAULT 10 /* seconds, as Linux's soft lockup */

static unsigned int watchdog_thresh = WATCHDOG_THRESH_DEFAULT;
static u64 watchdog_touched[MAX_CPUS]; /* jiffies this CPU was last seen preemptible */

notrace void watchdog_touch(void)
{
	WRITE_ONCE(watchdog_touched[this_cpu()->cpu_id], READ_ONCE(jiffies));
}

/* In interrupt context: preempt_count is the interrupted code's. */
static notrace void watchdog_tick(void)
{
	struct task *t = current;
	int cpu = this_cpu()->cpu_id;
	u64 now = READ_ONCE(jiffies);
	if (!t || (t->flags & PF_IDLE) || !preempt_count() || panic_in_progress) {
		watchdog_touched[cpu] = now;
		return;
	}
	u64 stuck = now - watchdog_touched[cpu];
	if (stuck > (u64)watchdog_thresh * HZ)
		panic("soft lockup - CPU#%d stuck for %llus with preemption off! [%s:%d]", cpu,
		      (unsigned long long)(stuck / HZ), t->comm, t->pid);
}

static int watchdog_init(void)
{
	char buf[16];
	int v;
	if (cmdline_get("watchdog_thresh", buf, sizeof(buf))) {
		if (kstrtoint(buf, 10, &v) || v < 0 || v > 3600)
			pr_err("watchdog_thresh=%s: not 0..3600 seconds, keeping %u\n", buf,
			       watchdog_thresh);
		else
			watchdog_thresh = (unsigned int)v;
	}
	if (!watchdog_thresh) {
		pr_info("soft lockup detection off\n");
		return 0;
	}
	for (int i = 0; i < MAX_CPUS; i++)
		watchdog_touched[i] = READ_ONCE(jiffies);
	int err = timer_tick_register_percpu(watchdog_tick);
	if (err)
		pr_err("cannot register on the tick (%d)\n", err);
	else
		pr_info("soft lockup after %us with preemption off\n", watchdog_thresh);
	return err;
}
late_initcall(watchdog_init);
