/* The kernel's random bytes: a SHA-512 hash generator over a 64-byte pool.
 * The first request seeds the pool with 1024 TSC readings taken around
 * timed work (their low bits vary with interrupts, caches and, under QEMU,
 * the host's scheduling) and, when the CPU has one, its hardware source
 * (RDSEED/RDRAND through arch_get_random_u64); every request mixes in fresh
 * readings of both. Output is the first half of SHA-512(pool || counter);
 * the pool is then replaced by a hash of itself, so a later read of the
 * pool does not reveal earlier output. */
#include <kelp/random.h>
#include <kelp/crypto/sha512.h>
#include <kelp/spinlock.h>
#include <kelp/string.h>
#include <arch/cpu.h>
#include <arch/random.h>

static spinlock_t random_lock = SPINLOCK_INIT;
static u8 pool[SHA512_DIGEST_SIZE];
static u64 counter;
static bool seeded;

static void mix_in(struct sha512_ctx *c, unsigned int tsc_samples)
{
	u64 v;

	for (unsigned int i = 0; i < tsc_samples; i++) {
		u64 t = arch_rdtsc();
		/* a little timed work between readings: the jitter is the entropy */
		for (volatile unsigned int k = 0; k < (t & 63); k++)
			;
		sha512_update(c, &t, sizeof(t));
	}
	for (int i = 0; i < 4; i++)
		if (arch_get_random_u64(&v))
			sha512_update(c, &v, sizeof(v));
}

static void reseed(unsigned int tsc_samples)
{
	struct sha512_ctx c;

	sha512_init(&c);
	sha512_update(&c, pool, sizeof(pool));
	sha512_update(&c, &counter, sizeof(counter));
	mix_in(&c, tsc_samples);
	sha512_final(&c, pool);
}

const char *random_source(void)
{
	return arch_has_random() ? "RDSEED/RDRAND + TSC jitter" : "TSC jitter";
}

void get_random_bytes(void *buf, size_t len)
{
	u8 block[SHA512_DIGEST_SIZE], *out = buf;
	struct sha512_ctx c;
	unsigned long flags;

	flags = spin_lock_irqsave(&random_lock);
	reseed(seeded ? 8 : 1024);
	seeded = true;
	while (len) {
		size_t n = len < 32 ? len : 32;

		counter++;
		sha512_init(&c);
		sha512_update(&c, pool, sizeof(pool));
		sha512_update(&c, &counter, sizeof(counter));
		sha512_final(&c, block);
		/* only half of each block leaves: the rest is never seen */
		memcpy(out, block, n);
		out += n;
		len -= n;
	}
	reseed(0);
	spin_unlock_irqrestore(&random_lock, flags);
	memset(block, 0, sizeof(block));
}
