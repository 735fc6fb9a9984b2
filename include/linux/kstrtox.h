/* <linux/kstrtox.h>: Linux's string-to-integer conversions with its
 * contract: the whole string (one trailing newline allowed) must be a number
 * of the destination type, else -EINVAL, or -ERANGE when it does not fit.
 * Built on Kelp's kstrtoll/kstrtoull (lib/), which check the 64-bit range;
 * the narrower types are range-checked here. */
#pragma once
#include <kelp/errno.h>
#include <kelp/string.h>

static inline int kstrtol(const char *s, unsigned int base, long *res)
{
	long long v;
	int err = kstrtoll(s, base, &v);
	if (!err)
		*res = v;
	return err;
}

static inline int kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	unsigned long long v;
	int err = kstrtoull(s, base, &v);
	if (!err)
		*res = v;
	return err;
}

static inline int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v;
	int err = kstrtoull(s, base, &v);
	if (err)
		return err;
	if (v > 0xffffffffULL)
		return -ERANGE;
	*res = v;
	return 0;
}

static inline int kstrtou8(const char *s, unsigned int base, u8 *res)
{
	unsigned int v;
	int err = kstrtouint(s, base, &v);
	if (err)
		return err;
	if (v > 0xff)
		return -ERANGE;
	*res = v;
	return 0;
}
