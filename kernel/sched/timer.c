/* Timers and timed sleeps: a list of pending timers sorted by expiry, whose
 * head the tick checks; msleep and schedule_timeout sleep on one. */
#include <kelp/sched.h>
#include <kelp/time.h>
#include <kelp/panic.h>

static LIST_HEAD(timer_list);
static spinlock_t timer_lock = SPINLOCK_INIT;

void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *t), void *data)
{
	INIT_LIST_HEAD(&t->entry);
	t->fn = fn;
	t->data = data;
	t->pending = false;
	t->expires = 0;
}

void ktimer_add(struct ktimer *t, u64 expires)
{
	struct ktimer *pos;
	unsigned long flags = spin_lock_irqsave(&timer_lock);
	if (t->pending)
		list_del_init(&t->entry);
	t->expires = expires;
	t->pending = true;
	/* Sorted, FIFO among equal expiries. Timers are few (sleepers). */
	list_for_each_entry(pos, &timer_list, entry)
		if (pos->expires > expires)
			break;
	list_add_tail(&t->entry, &pos->entry);
	spin_unlock_irqrestore(&timer_lock, flags);
}

bool ktimer_del(struct ktimer *t)
{
	bool was = false;
	unsigned long flags = spin_lock_irqsave(&timer_lock);
	if (t->pending) {
		list_del_init(&t->entry);
		t->pending = false;
		was = true;
	}
	spin_unlock_irqrestore(&timer_lock, flags);
	return was;
}

/* Tick hook, interrupts off. Callbacks run without the lock held so they
 * may re-arm or wake. */
static void timer_run_expired(void)
{
	u64 now = READ_ONCE(jiffies);
	for (;;) {
		spin_lock(&timer_lock);
		if (list_empty(&timer_list)) {
			spin_unlock(&timer_lock);
			return;
		}
		struct ktimer *t = list_first_entry(&timer_list, struct ktimer, entry);
		if (t->expires > now) {
			spin_unlock(&timer_lock);
			return;
		}
		list_del_init(&t->entry);
		t->pending = false;
		spin_unlock(&timer_lock);
		t->fn(t);
	}
}

void timer_tick_init(void)
{
	if (timer_tick_register(timer_run_expired))
		panic("timer: cannot register the tick");
}

static void process_timeout(struct ktimer *t)
{
	wake_up_process(t->data);
}

long schedule_timeout(long timeout)
{
	might_sleep();
	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		return timeout;
	}
	if (timeout <= 0) {
		__set_current_state(TASK_RUNNING);
		return 0;
	}
	u64 expire = READ_ONCE(jiffies) + (u64)timeout;
	struct ktimer t;
	ktimer_init(&t, process_timeout, current);
	ktimer_add(&t, expire);
	schedule();
	ktimer_del(&t);
	s64 left = (s64)(expire - READ_ONCE(jiffies));
	return left > 0 ? left : 0;
}

long schedule_timeout_interruptible(long timeout)
{
	set_current_state(TASK_INTERRUPTIBLE);
	return schedule_timeout(timeout);
}

long schedule_timeout_uninterruptible(long timeout)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}

/* jiffies advance at tick boundaries, so a sleep of n jiffies from the
 * middle of a tick lasts between n-1 and n: one more makes it at least ms.
 * That holds only while ticks come on time. On a busy host the emulator
 * delivers a tick late (and time_tick() then catches jiffies up by several
 * at once), so the jiffies a sleeper starts from may already be stale and
 * its timeout run out in a fraction of a tick (msleep(1) was seen to last
 * 0.11 ms). The clock is the authority: sleep again until it says the time
 * has passed. */
static long msleep_left(u64 end)
{
	u64 now = ktime_get_ns();
	if (now >= end)
		return 0;
	/* Rounded up; no extra jiffy: the caller looks at the clock again. */
	return (long)((end - now + NSEC_PER_SEC / HZ - 1) / (NSEC_PER_SEC / HZ));
}

void msleep(unsigned int ms)
{
	u64 end = ktime_get_ns() + (u64)ms * NSEC_PER_MSEC;
	long timeout = (long)msecs_to_jiffies(ms) + 1;
	might_sleep();
	while (timeout) {
		while (timeout)
			timeout = schedule_timeout_uninterruptible(timeout);
		timeout = msleep_left(end);
	}
}

unsigned long msleep_interruptible(unsigned int ms)
{
	u64 end = ktime_get_ns() + (u64)ms * NSEC_PER_MSEC;
	long timeout = (long)msecs_to_jiffies(ms) + 1;
	while (timeout) {
		while (timeout && !signal_pending(current))
			timeout = schedule_timeout_interruptible(timeout);
		if (timeout) /* a signal: what was left of the sleep */
			return (unsigned long)timeout * 1000 / HZ;
		timeout = msleep_left(end);
	}
	return 0;
}
