/* The number parsers (lib/kstrtox.c), with Linux's names and rules: the
 * whole string must be a number in base (0: "0x" hex, "0" octal, else
 * decimal), with an optional '+' (and '-' for the signed ones) and one
 * trailing newline; -EINVAL if it is not, -ERANGE if it does not fit the
 * result type, which is then left untouched. Overflow is checked before it
 * happens, never after. Every number read from the console, COM2 or a blob
 * goes through these. Plain C: the host tests and klpctl build it too. */
#pragma once
#include <kelp/types.h>

int kstrtoull(const char *s, unsigned int base, unsigned long long *res);
int kstrtoll(const char *s, unsigned int base, long long *res);
int kstrtoul(const char *s, unsigned int base, unsigned long *res);
int kstrtol(const char *s, unsigned int base, long *res);
int kstrtouint(const char *s, unsigned int base, unsigned int *res);
int kstrtoint(const char *s, unsigned int base, int *res);
int kstrtou16(const char *s, unsigned int base, u16 *res);
int kstrtou8(const char *s, unsigned int base, u8 *res);
static inline int kstrtou64(const char *s, unsigned int base, u64 *res)
{
	unsigned long long v;
	int err = kstrtoull(s, base, &v);
	if (!err)
		*res = v;
	return err;
}
static inline int kstrtos64(const char *s, unsigned int base, s64 *res)
{
	long long v;
	int err = kstrtoll(s, base, &v);
	if (!err)
		*res = v;
	return err;
}
static inline int kstrtou32(const char *s, unsigned int base, u32 *res)
{
	return kstrtouint(s, base, res);
}
static inline int kstrtos32(const char *s, unsigned int base, s32 *res)
{
	return kstrtoint(s, base, res);
}
/* 1/y/t/e/on and 0/n/f/d/off (first letter, any case). */
int kstrtobool(const char *s, bool *res);
/* One hex digit's value, or -1 (Linux's hex_to_bin). */
int hex_to_bin(char c);
