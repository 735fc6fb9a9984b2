/* Host tests of the number parsers (lib/kstrtox.c): every boundary of every
 * result type, just inside and just outside, in each base; what is not a
 * number; and that a failed parse leaves the result alone. */
#include "testutil.h"
#include <kelp/errno.h>
#include <kelp/kstrtox.h>

#define CHECK(call, want_err, out, want)                                                       \
	do {                                                                                   \
		int err_ = (call);                                                             \
		tap_ok(err_ == (want_err) && (err_ || (out) == (want)), "%s -> %d (%lld)", #call, \
		       err_, (long long)(out));                                                \
	} while (0)

static void test_unsigned(void)
{
	unsigned long long ull = 7;
	unsigned long ul = 7;
	unsigned int ui = 7;
	u16 u16v = 7;
	u8 u8v = 7;

	CHECK(kstrtoull("18446744073709551615", 10, &ull), 0, ull, 18446744073709551615ULL);
	CHECK(kstrtoull("18446744073709551616", 10, &ull), -ERANGE, ull, 0);
	CHECK(kstrtoull("99999999999999999999999", 10, &ull), -ERANGE, ull, 0);
	CHECK(kstrtoull("0xffffffffffffffff", 0, &ull), 0, ull, ~0ULL);
	CHECK(kstrtoull("0x10000000000000000", 0, &ull), -ERANGE, ull, 0);
	CHECK(kstrtoull("01777777777777777777777", 0, &ull), 0, ull, ~0ULL);
	CHECK(kstrtoull("02000000000000000000000", 0, &ull), -ERANGE, ull, 0);
	tap_ok(ull == ~0ULL, "a failed parse leaves the result alone");
	CHECK(kstrtoull("-0", 10, &ull), -EINVAL, ull, 0);
	CHECK(kstrtoull("+5\n", 10, &ull), 0, ull, 5);
	CHECK(kstrtoull("5\n\n", 10, &ull), -EINVAL, ull, 0);
	CHECK(kstrtoull(" 5", 10, &ull), -EINVAL, ull, 0);
	CHECK(kstrtoull("", 0, &ull), -EINVAL, ull, 0);
	CHECK(kstrtoull("9", 8, &ull), -EINVAL, ull, 0);
	CHECK(kstrtoull("z", 36, &ull), 0, ull, 35);
	CHECK(kstrtoull("1", 37, &ull), -EINVAL, ull, 0);

	CHECK(kstrtoul("18446744073709551615", 10, &ul), 0, ul, 18446744073709551615UL);
	CHECK(kstrtoul("18446744073709551616", 10, &ul), -ERANGE, ul, 0);
	CHECK(kstrtoul("-1", 10, &ul), -EINVAL, ul, 0);

	CHECK(kstrtouint("4294967295", 10, &ui), 0, ui, 4294967295u);
	CHECK(kstrtouint("4294967296", 10, &ui), -ERANGE, ui, 0);
	CHECK(kstrtouint("0x100000000", 0, &ui), -ERANGE, ui, 0);
	CHECK(kstrtouint("2147483647", 10, &ui), 0, ui, 2147483647u);
	CHECK(kstrtouint("-2147483648", 10, &ui), -EINVAL, ui, 0);
	CHECK(kstrtou32("4294967295", 0, &ui), 0, ui, 4294967295u);

	CHECK(kstrtou16("65535", 10, &u16v), 0, u16v, 65535);
	CHECK(kstrtou16("65536", 10, &u16v), -ERANGE, u16v, 0);
	CHECK(kstrtou8("255", 10, &u8v), 0, u8v, 255);
	CHECK(kstrtou8("256", 10, &u8v), -ERANGE, u8v, 0);
	CHECK(kstrtou8("0x", 16, &u8v), -EINVAL, u8v, 0);
}

static void test_signed(void)
{
	long long ll = 7;
	long l = 7;
	int i = 7;
	s64 s = 7;

	CHECK(kstrtoll("9223372036854775807", 10, &ll), 0, ll, 9223372036854775807LL);
	CHECK(kstrtoll("9223372036854775808", 10, &ll), -ERANGE, ll, 0);
	CHECK(kstrtoll("-9223372036854775808", 10, &ll), 0, ll, (-9223372036854775807LL - 1));
	CHECK(kstrtoll("-9223372036854775809", 10, &ll), -ERANGE, ll, 0);
	CHECK(kstrtoll("-18446744073709551616", 10, &ll), -ERANGE, ll, 0);
	CHECK(kstrtoll("--1", 10, &ll), -EINVAL, ll, 0);
	CHECK(kstrtoll("-", 10, &ll), -EINVAL, ll, 0);
	CHECK(kstrtoll("-0x8000000000000000", 0, &ll), 0, ll, (-9223372036854775807LL - 1));
	CHECK(kstrtos64("-1", 10, &s), 0, s, -1);

	CHECK(kstrtol("-9223372036854775808", 10, &l), 0, l, (-9223372036854775807L - 1));
	CHECK(kstrtol("9223372036854775808", 10, &l), -ERANGE, l, 0);

	CHECK(kstrtoint("2147483647", 10, &i), 0, i, 2147483647);
	CHECK(kstrtoint("2147483648", 10, &i), -ERANGE, i, 0);
	CHECK(kstrtoint("-2147483648", 10, &i), 0, i, (-2147483647 - 1));
	CHECK(kstrtoint("-2147483649", 10, &i), -ERANGE, i, 0);
	CHECK(kstrtoint("4294967298", 10, &i), -ERANGE, i, 0); /* not 2 after a wrap */
	CHECK(kstrtoint("0x7fffffff", 0, &i), 0, i, 2147483647);
	CHECK(kstrtoint("0x80000000", 0, &i), -ERANGE, i, 0);
	CHECK(kstrtoint("12a", 10, &i), -EINVAL, i, 0);
	CHECK(kstrtoint(NULL, 10, &i), -EINVAL, i, 0);
}

static void test_bool(void)
{
	bool b = false;

	CHECK(kstrtobool("on", &b), 0, b, 1);
	CHECK(kstrtobool("off", &b), 0, b, 0);
	CHECK(kstrtobool("Y", &b), 0, b, 1);
	CHECK(kstrtobool("o", &b), -EINVAL, b, 0);
	CHECK(kstrtobool("2", &b), -EINVAL, b, 0);
}

int main(void)
{
	test_unsigned();
	test_signed();
	test_bool();
	return tap_done();
}
