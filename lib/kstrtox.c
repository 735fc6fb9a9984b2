/* Overflow-checked number parsing (include/kelp/kstrtox.h): one
 * implementation for every integer read from outside, so that no caller
 * multiplies or adds an unchecked value. */
#include <kelp/kstrtox.h>
#include <kelp/errno.h>

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

int hex_to_bin(char c)
{
	int v = digit_val(c);
	return v < 16 ? v : -1;
}

/* Digits only (no sign): the common part of kstrtoull and kstrtoll. */
static int parse_ull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v = 0;
	int ndigits = 0;

	if (!s)
		return -EINVAL;
	if (base == 0) {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
		} else if (s[0] == '0') {
			base = 8; /* the 0 itself is parsed as an octal digit */
		} else {
			base = 10;
		}
	} else if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
	}
	if (base < 2 || base > 36)
		return -EINVAL;
	/* A single trailing newline is accepted, as Linux's kstrto* do for sysfs writes. */
	for (; *s && !(s[0] == '\n' && s[1] == 0); s++, ndigits++) {
		int d = digit_val(*s);
		if (d >= (int)base)
			return -EINVAL;
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	/* "", "\n", "0x": no digits at all */
	if (!ndigits)
		return -EINVAL;
	*res = v;
	return 0;
}

int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	if (s && *s == '+')
		s++;
	return parse_ull(s, base, res);
}

int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long v;
	int err;

	if (s && *s == '-') {
		err = parse_ull(s + 1, base, &v);
		if (err)
			return err;
		if (v > (unsigned long long)INT64_MAX + 1)
			return -ERANGE;
		/* negate as unsigned: -(long long)v overflows for INT64_MIN */
		*res = (long long)(0 - v);
		return 0;
	}
	err = kstrtoull(s, base, &v);
	if (err)
		return err;
	if (v > (unsigned long long)INT64_MAX)
		return -ERANGE;
	*res = (long long)v;
	return 0;
}


/* Linux's kstrtobool: the first letter of 1/yes/true/enable or
 * 0/no/false/disable, and on/off. */
int kstrtobool(const char *s, bool *res)
{
	if (!s)
		return -EINVAL;
	switch (s[0]) {
	case '1': case 'y': case 'Y': case 't': case 'T': case 'e': case 'E':
		*res = true;
		return 0;
	case '0': case 'n': case 'N': case 'f': case 'F': case 'd': case 'D':
		*res = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}

int kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	unsigned long long v;
	int err = kstrtoull(s, base, &v);
	if (err)
		return err;
	if (v != (unsigned long)v)
		return -ERANGE;
	*res = (unsigned long)v;
	return 0;
}

int kstrtol(const char *s, unsigned int base, long *res)
{
	long long v;
	int err = kstrtoll(s, base, &v);
	if (err)
		return err;
	if (v != (long)v)
		return -ERANGE;
	*res = (long)v;
	return 0;
}

int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long v;
	int err = kstrtoull(s, base, &v);
	if (err)
		return err;
	if (v > UINT32_MAX)
		return -ERANGE;
	*res = (unsigned int)v;
	return 0;
}

int kstrtoint(const char *s, unsigned int base, int *res)
{
	long long v;
	int err = kstrtoll(s, base, &v);
	if (err)
		return err;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*res = (int)v;
	return 0;
}

int kstrtou16(const char *s, unsigned int base, u16 *res)
{
	unsigned int v;
	int err = kstrtouint(s, base, &v);
	if (err)
		return err;
	if (v > UINT16_MAX)
		return -ERANGE;
	*res = (u16)v;
	return 0;
}

int kstrtou8(const char *s, unsigned int base, u8 *res)
{
	unsigned int v;
	int err = kstrtouint(s, base, &v);
	if (err)
		return err;
	if (v > UINT8_MAX)
		return -ERANGE;
	*res = (u8)v;
	return 0;
}
