/* The monotonic clock and the tick. ktime_get_ns() scales the TSC by a rate
 * the arch code measures against the PIT (under QEMU -icount the TSC is a
 * 1 GHz virtual clock, which is also the default before calibration). The
 * scaling parameters live in a two-copy latch so readers never wait, even an
 * NMI that interrupts an update. The tick advances jiffies and runs the
 * hooks later subsystems (scheduler, timers) register. */
#include <kelp/time.h>
#include <kelp/errno.h>
#include <kelp/spinlock.h>
#include <arch/cpu.h>

struct clock_params {
	u64 tsc_base; /* TSC value at which ... */
	u64 ns_base;  /* ... the clock read this */
	u64 mult;     /* ns per TSC tick, 32.32 fixed point */
};

u64 tsc_khz = 1000000;
volatile u64 jiffies;
static u32 clock_seq;
static struct clock_params clock_latch[2] = {
	{ 0, 0, 1ULL << 32 },
	{ 0, 0, 1ULL << 32 },
};
static spinlock_t clock_update_lock = SPINLOCK_INIT;

static notrace u64 clock_read(const struct clock_params *p, u64 tsc)
{
	/* Another CPU's TSC may be a hair behind the base: clamp, not wrap. */
	u64 d = (s64)(tsc - p->tsc_base) > 0 ? tsc - p->tsc_base : 0;
	/* A 128-bit product (one mul, no libgcc) cannot overflow. */
	return p->ns_base + (u64)(((unsigned __int128)d * p->mult) >> 32);
}

notrace u64 ktime_get_ns(void)
{
	struct clock_params p;
	u32 seq;
	do {
		seq = __atomic_load_n(&clock_seq, __ATOMIC_ACQUIRE);
		p = clock_latch[seq & 1];
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (seq != __atomic_load_n(&clock_seq, __ATOMIC_RELAXED));
	return clock_read(&p, arch_rdtsc());
}

/* Readers use copy seq & 1: steer them to the other copy while each one is
 * rewritten. */
static void clock_publish(const struct clock_params *p)
{
	__atomic_store_n(&clock_seq, clock_seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	clock_latch[0] = *p;
	__atomic_store_n(&clock_seq, clock_seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	clock_latch[1] = *p;
}

void time_set_tsc_khz(u64 khz)
{
	if (!khz)
		return;
	unsigned long flags = spin_lock_irqsave(&clock_update_lock);
	/* Continue from where the old rate had got to, so the clock neither
	 * jumps nor goes backwards. */
	struct clock_params p;
	p.tsc_base = arch_rdtsc();
	p.ns_base = clock_read(&clock_latch[clock_seq & 1], p.tsc_base);
	p.mult = (1000000ULL << 32) / khz;
	tsc_khz = khz;
	clock_publish(&p);
	spin_unlock_irqrestore(&clock_update_lock, flags);
}

void time_init(void)
{
	struct clock_params p = { arch_rdtsc(), 0, (1000000ULL << 32) / tsc_khz };
	clock_publish(&p);
}

void udelay(u64 us)
{
	u64 end = ktime_get_ns() + us * NSEC_PER_USEC;
	while (ktime_get_ns() < end)
		arch_cpu_relax();
}

void mdelay(u64 ms)
{
	udelay(ms * 1000);
}

#define TICK_HOOKS_MAX 8
static void (*tick_hooks[TICK_HOOKS_MAX])(void);
static void (*tick_hooks_percpu[TICK_HOOKS_MAX])(void);
static spinlock_t tick_hooks_lock = SPINLOCK_INIT;

static int tick_hook_add(void (**hooks)(void), void (*fn)(void))
{
	int ret = -ENOSPC;
	if (!fn)
		return -EINVAL;
	unsigned long flags = spin_lock_irqsave(&tick_hooks_lock);
	for (int i = 0; i < TICK_HOOKS_MAX; i++)
		if (hooks[i] == fn) {
			ret = -EBUSY;
			goto out;
		}
	for (int i = 0; i < TICK_HOOKS_MAX; i++)
		if (!hooks[i]) {
			__atomic_store_n(&hooks[i], fn, __ATOMIC_RELEASE);
			ret = 0;
			break;
		}
out:
	spin_unlock_irqrestore(&tick_hooks_lock, flags);
	return ret;
}

int timer_tick_register(void (*fn)(void))
{
	return tick_hook_add(tick_hooks, fn);
}

int timer_tick_register_percpu(void (*fn)(void))
{
	return tick_hook_add(tick_hooks_percpu, fn);
}

int timer_tick_unregister(void (*fn)(void))
{
	int ret = -ENOENT;
	unsigned long flags = spin_lock_irqsave(&tick_hooks_lock);
	for (int i = 0; i < TICK_HOOKS_MAX; i++) {
		if (tick_hooks[i] == fn) {
			__atomic_store_n(&tick_hooks[i], NULL, __ATOMIC_RELEASE);
			ret = 0;
		}
		if (tick_hooks_percpu[i] == fn) {
			__atomic_store_n(&tick_hooks_percpu[i], NULL, __ATOMIC_RELEASE);
			ret = 0;
		}
	}
	spin_unlock_irqrestore(&tick_hooks_lock, flags);
	return ret;
}

static void tick_run(void (**hooks)(void))
{
	for (int i = 0; i < TICK_HOOKS_MAX; i++) {
		void (*fn)(void) = __atomic_load_n(&hooks[i], __ATOMIC_ACQUIRE);
		if (fn)
			fn();
	}
}

void time_tick_cpu(void)
{
	tick_run(tick_hooks_percpu);
}

#define TICK_NSEC (NSEC_PER_SEC / HZ)
static u64 tick_next_ns; /* when the next jiffy is due, by ktime */

void time_tick(void)
{
	/* jiffies follow the clock, not the interrupt count: an emulator on a
	 * busy host drops timer interrupts, and timeouts in jiffies should
	 * still mean real time. Half a tick of slack lets an interrupt that
	 * is a little early still count as its own tick. Only the tick CPU
	 * writes; the atomic add keeps 64-bit readers from tearing. */
	u64 now = ktime_get_ns();
	if (!tick_next_ns)
		tick_next_ns = now;
	if (now + TICK_NSEC / 2 >= tick_next_ns) {
		u64 n = (now + TICK_NSEC / 2 - tick_next_ns) / TICK_NSEC + 1;
		tick_next_ns += n * TICK_NSEC;
		__atomic_fetch_add(&jiffies, n, __ATOMIC_RELAXED);
	}
	tick_run(tick_hooks);
	tick_run(tick_hooks_percpu);
}
