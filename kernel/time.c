/* The monotonic clock: TSC ticks scaled to nanoseconds. The arch code
 * calibrates tsc_khz against the PIT; under QEMU -icount the TSC is a
 * 1 GHz virtual clock, which is also the default before calibration. */
#include <time.h>
#include <arch/cpu.h>

u64 tsc_khz = 1000000;
static u64 tsc_base;
static u64 tsc_mult = 1ULL << 32; /* ns per tick, as a 32.32 fixed-point number */
volatile u64 jiffies;

notrace u64 ktime_get_ns(void)
{
	u64 d = arch_rdtsc() - tsc_base;
	/* A 128-bit product (one mul, no libgcc) cannot overflow. */
	return (u64)(((unsigned __int128)d * tsc_mult) >> 32);
}

/* Set the TSC rate (from calibration) and start the clock at zero. */
void time_set_tsc_khz(u64 khz)
{
	tsc_khz = khz;
	tsc_mult = (1000000ULL << 32) / khz;
}

void time_init(void)
{
	tsc_base = arch_rdtsc();
}

void udelay(u64 us)
{
	u64 end = ktime_get_ns() + us * 1000;
	while (ktime_get_ns() < end)
		arch_cpu_relax();
}

void mdelay(u64 ms)
{
	udelay(ms * 1000);
}
