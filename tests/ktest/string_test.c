/* Self-tests for the string, memory, number-parsing and formatting helpers
 * (lib/string.c, lib/vsprintf.c). */
#include <kelp/ktest.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/ksyms.h>
#include <kelp/gfp.h>

/* Format into a local buffer and compare, reporting the format on failure. */
#define EXPECT_FMT(want, fmt, ...)                                                                 \
	do {                                                                                       \
		char __b[128];                                                                     \
		int __n = snprintf(__b, sizeof(__b), fmt, ##__VA_ARGS__);                          \
		if (!KEXPECT_STREQ(__b, want))                                                     \
			ktest_fail(t, __FILE__, __LINE__, "format \"%s\"", fmt);                   \
		KEXPECT_EQ(__n, (int)strlen(want));                                                \
	} while (0)

KTEST(string, format_conversions)
{
	EXPECT_FMT("-42", "%d", -42);
	EXPECT_FMT("17", "%i", 17);
	EXPECT_FMT("4294967295", "%u", 4294967295u);
	EXPECT_FMT("beef", "%x", 0xbeef);
	EXPECT_FMT("BEEF", "%X", 0xbeef);
	EXPECT_FMT("10", "%o", 8);
	EXPECT_FMT("z", "%c", 'z');
	EXPECT_FMT("hi there", "%s", "hi there");
	const char *volatile nullstr = NULL; /* hidden from gcc's checker */
	EXPECT_FMT("(null)", "%s", nullstr);
	EXPECT_FMT("100%", "%d%%", 100);
	EXPECT_FMT("0x1234", "%p", (void *)0x1234);
	EXPECT_FMT("a1b", "a%db", 1);
	EXPECT_FMT("0", "%d", 0);
	EXPECT_FMT("-2147483648", "%d", (int)0x80000000);
}

/* Linux's %px (raw, 16 zero-padded hex digits, no prefix) and %pGg (gfp
 * flag names, composites first, leftovers in hex), as Linux prints them. */
KTEST(string, format_pointer_extensions)
{
	EXPECT_FMT("0000000000001234", "%px", (void *)0x1234);
	EXPECT_FMT("ffffffff80001000|", "%px|", (void *)0xffffffff80001000ul);
	gfp_t g = GFP_KERNEL;
	EXPECT_FMT("GFP_KERNEL", "%pGg", &g);
	g = GFP_ATOMIC;
	EXPECT_FMT("gfp=GFP_ATOMIC)", "gfp=%pGg)", &g);
	g = GFP_NOWAIT;
	EXPECT_FMT("GFP_NOWAIT", "%pGg", &g);
	g = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	EXPECT_FMT("GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO", "%pGg", &g);
	g = GFP_KERNEL_ACCOUNT;
	EXPECT_FMT("GFP_KERNEL_ACCOUNT", "%pGg", &g);
	g = __GFP_IO | 0x80000000u;
	EXPECT_FMT("__GFP_IO|0x80000000", "%pGg", &g);
	g = 0;
	EXPECT_FMT("", "%pGg", &g);
	/* plain %p is unchanged */
	EXPECT_FMT("0x1234", "%p", (void *)0x1234);
}

KTEST(string, format_flags_width_precision)
{
	EXPECT_FMT("   42", "%5d", 42);
	EXPECT_FMT("42   |", "%-5d|", 42);
	EXPECT_FMT("00042", "%05d", 42);
	EXPECT_FMT("-0042", "%05d", -42);
	EXPECT_FMT("+5", "%+d", 5);
	EXPECT_FMT("-5", "%+d", -5);
	EXPECT_FMT(" 5", "% d", 5);
	EXPECT_FMT("007", "%.3d", 7);
	EXPECT_FMT("     007", "%8.3d", 7);
	/* flag combinations gcc's format checker rejects, through a variable */
	const char *zero_prec = "%05.2d", *zero_left = "%-05d";
	EXPECT_FMT("   07", zero_prec, 7); /* precision disables '0' */
	EXPECT_FMT("42   ", zero_left, 42); /* so does '-' */
	EXPECT_FMT("", "%.0d", 0);
	EXPECT_FMT("0xff", "%#x", 255);
	EXPECT_FMT("0XFF", "%#X", 255);
	EXPECT_FMT("0", "%#x", 0);
	EXPECT_FMT("0x0000ff", "%#08x", 255);
	EXPECT_FMT("010", "%#o", 8);
	EXPECT_FMT("0", "%#o", 0);
	EXPECT_FMT("0", "%#.0o", 0);
	EXPECT_FMT("0012", "%#.4o", 10);
	EXPECT_FMT("he", "%.2s", "hello");
	EXPECT_FMT("ab  |", "%-4s|", "ab");
	EXPECT_FMT("  ab", "%4s", "ab");
	EXPECT_FMT("    1", "%*d", 5, 1);
	EXPECT_FMT("1    |", "%-*d|", 5, 1);
	EXPECT_FMT("1    |", "%*d|", -5, 1);
	EXPECT_FMT("abc", "%.*s", 3, "abcdef");
	EXPECT_FMT("abcdef", "%.*s", -1, "abcdef");
	EXPECT_FMT("  x", "%3c", 'x');
	EXPECT_FMT("x  |", "%-3c|", 'x');
}

KTEST(string, format_length_modifiers)
{
	EXPECT_FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
	EXPECT_FMT("9223372036854775807", "%lld", (long long)INT64_MAX);
	EXPECT_FMT("18446744073709551615", "%lu", ~0UL);
	EXPECT_FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
	EXPECT_FMT("123", "%zu", (size_t)123);
	EXPECT_FMT("-3", "%zd", (ssize_t)-3);
	EXPECT_FMT("-1", "%hd", (short)-1);
	EXPECT_FMT("65535", "%hu", 65535);
	EXPECT_FMT("2345", "%hx", 0x12345);
	EXPECT_FMT("1", "%hhu", 257);
	EXPECT_FMT("-1", "%hhd", 255);
	EXPECT_FMT("ffffffffffffffff", "%lx", -1L);
}

KTEST(string, format_truncation)
{
	char buf[8];
	memset(buf, '#', sizeof(buf));
	KEXPECT_EQ(snprintf(buf, 5, "%s", "hello world"), 11);
	KEXPECT_STREQ(buf, "hell");
	KEXPECT_EQ(buf[5], '#'); /* nothing past size is touched */
	KEXPECT_EQ(snprintf(buf, 1, "abc"), 3);
	KEXPECT_EQ(buf[0], 0);
	KEXPECT_EQ(snprintf(NULL, 0, "%d", 12345), 5);
	KEXPECT_EQ(snprintf(buf, sizeof(buf), "%08x", 0xabc), 8);
	KEXPECT_STREQ(buf, "00000ab");
	KEXPECT_EQ(scnprintf(buf, sizeof(buf), "%s", "truncated"), 7);
	KEXPECT_EQ(scnprintf(buf, sizeof(buf), "%s", "ok"), 2);
	KEXPECT_EQ(scnprintf(buf, 0, "%s", "ok"), 0);
}

KTEST(string, format_symbols)
{
	char buf[128], want[128];
	struct ksym s;
	KASSERT_EQ(ksym_lookup_name("snprintf", 0, &s), 0);
	KEXPECT_UEQ(s.addr, (unsigned long)snprintf);
	snprintf(want, sizeof(want), "snprintf+0x0/0x%lx", s.size);
	snprintf(buf, sizeof(buf), "%pS", (void *)snprintf);
	KEXPECT_STREQ(buf, want);
	snprintf(buf, sizeof(buf), "%ps", (void *)snprintf);
	KEXPECT_STREQ(buf, "snprintf");
	snprintf(buf, sizeof(buf), "[%pS]", (void *)0x20);
	KEXPECT_STREQ(buf, "[0x20]");
}

KTEST(string, kstrto_numbers)
{
	long long ll;
	unsigned long long ull;
	int i;

	KEXPECT_EQ(kstrtoull("12345", 10, &ull), 0);
	KEXPECT_UEQ(ull, 12345);
	KEXPECT_EQ(kstrtoull("+7", 10, &ull), 0);
	KEXPECT_UEQ(ull, 7);
	KEXPECT_EQ(kstrtoull("0x1f", 0, &ull), 0);
	KEXPECT_UEQ(ull, 31);
	KEXPECT_EQ(kstrtoull("0X1F", 16, &ull), 0);
	KEXPECT_UEQ(ull, 31);
	KEXPECT_EQ(kstrtoull("1f", 16, &ull), 0);
	KEXPECT_UEQ(ull, 31);
	KEXPECT_EQ(kstrtoull("017", 0, &ull), 0);
	KEXPECT_UEQ(ull, 15);
	KEXPECT_EQ(kstrtoull("0", 0, &ull), 0);
	KEXPECT_UEQ(ull, 0);
	KEXPECT_EQ(kstrtoull("0\n", 0, &ull), 0);
	KEXPECT_UEQ(ull, 0);
	KEXPECT_EQ(kstrtoull("42\n", 10, &ull), 0);
	KEXPECT_UEQ(ull, 42);
	KEXPECT_EQ(kstrtoull("18446744073709551615", 10, &ull), 0);
	KEXPECT_UEQ(ull, ~0ULL);
	KEXPECT_EQ(kstrtoull("18446744073709551616", 10, &ull), -ERANGE);
	KEXPECT_EQ(kstrtoull("", 10, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull("\n", 10, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull("0x", 16, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull("12a", 10, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull("12 ", 10, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull("-1", 10, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull("8", 8, &ull), -EINVAL);
	KEXPECT_EQ(kstrtoull(NULL, 10, &ull), -EINVAL);

	KEXPECT_EQ(kstrtoll("-42", 10, &ll), 0);
	KEXPECT_EQ(ll, -42);
	KEXPECT_EQ(kstrtoll("-9223372036854775808", 10, &ll), 0);
	KEXPECT_EQ(ll, INT64_MIN);
	KEXPECT_EQ(kstrtoll("9223372036854775807", 10, &ll), 0);
	KEXPECT_EQ(ll, INT64_MAX);
	KEXPECT_EQ(kstrtoll("9223372036854775808", 10, &ll), -ERANGE);
	KEXPECT_EQ(kstrtoll("-9223372036854775809", 10, &ll), -ERANGE);
	KEXPECT_EQ(kstrtoll("-0x10", 0, &ll), 0);
	KEXPECT_EQ(ll, -16);
	KEXPECT_EQ(kstrtoll("-", 10, &ll), -EINVAL);
	KEXPECT_EQ(kstrtoll("-+5", 10, &ll), -EINVAL);

	KEXPECT_EQ(kstrtoint("2147483647", 10, &i), 0);
	KEXPECT_EQ(i, 2147483647);
	KEXPECT_EQ(kstrtoint("-2147483648", 10, &i), 0);
	KEXPECT_EQ(i, INT32_MIN);
	KEXPECT_EQ(kstrtoint("2147483648", 10, &i), -ERANGE);
	KEXPECT_EQ(kstrtoint("-2147483649", 10, &i), -ERANGE);
	i = 99;
	KEXPECT_EQ(kstrtoint("x", 10, &i), -EINVAL);
	KEXPECT_EQ(i, 99); /* untouched on error */
}

KTEST(string, kstrtobool_words)
{
	static const char *const yes[] = { "1", "y", "Y", "yes", "on", "ON", "true", "enable" };
	static const char *const no[] = { "0", "n", "N", "no", "off", "Off", "false", "disable" };
	static const char *const bad[] = { "", "o", "2", "maybe", "x" };
	bool b;
	for (unsigned i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		KEXPECT_EQ(kstrtobool(yes[i], &b), 0);
		KEXPECT_TRUE(b);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(no); i++) {
		b = true;
		KEXPECT_EQ(kstrtobool(no[i], &b), 0);
		KEXPECT_FALSE(b);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		KEXPECT_EQ(kstrtobool(bad[i], &b), -EINVAL);
	KEXPECT_EQ(kstrtobool(NULL, &b), -EINVAL);
}

KTEST(string, memory_helpers)
{
	char buf[16];
	for (int i = 0; i < 16; i++)
		buf[i] = 'a' + i;
	/* overlapping forwards and backwards */
	memmove(buf + 2, buf, 8);
	KEXPECT_EQ(memcmp(buf, "ababcdefghkl", 12), 0);
	for (int i = 0; i < 16; i++)
		buf[i] = 'a' + i;
	memmove(buf, buf + 3, 8);
	KEXPECT_EQ(memcmp(buf, "defghijkijkl", 12), 0);
	KEXPECT_PTR_EQ(memmove(buf, buf, 4), buf);

	char dst[8];
	KEXPECT_PTR_EQ(memcpy(dst, "1234567", 8), dst);
	KEXPECT_STREQ(dst, "1234567");
	memset(dst, 'z', 3);
	KEXPECT_EQ(memcmp(dst, "zzz4567", 8), 0);
	KEXPECT_LT(memcmp("abc", "abd", 3), 0);
	KEXPECT_GT(memcmp("\xff", "\x01", 1), 0); /* bytes compare unsigned */
	KEXPECT_EQ(memcmp("abc", "abd", 2), 0);
}

KTEST(string, string_helpers)
{
	char buf[8];
	KEXPECT_EQ(strlcpy(buf, "hello world", sizeof(buf)), 11);
	KEXPECT_STREQ(buf, "hello w");
	KEXPECT_EQ(strlcpy(buf, "hi", sizeof(buf)), 2);
	KEXPECT_STREQ(buf, "hi");
	KEXPECT_EQ(strlcat(buf, "there", sizeof(buf)), 7);
	KEXPECT_STREQ(buf, "hithere");
	KEXPECT_EQ(strlcat(buf, "!!", sizeof(buf)), 9);
	KEXPECT_STREQ(buf, "hithere");
	strlcpy(buf, "ab", sizeof(buf));
	KEXPECT_EQ(strlcat(buf, "cdefghij", sizeof(buf)), 10);
	KEXPECT_STREQ(buf, "abcdefg");
	KEXPECT_EQ(strlcpy(buf, "x", 0), 1);

	KEXPECT_EQ(strlen(""), 0);
	KEXPECT_EQ(strnlen("abcdef", 3), 3);
	KEXPECT_EQ(strcmp("abc", "abc"), 0);
	KEXPECT_LT(strcmp("abc", "abd"), 0);
	KEXPECT_GT(strcmp("abc", "ab"), 0);
	KEXPECT_GT(strcmp("\xe9", "e"), 0); /* unsigned chars */
	KEXPECT_EQ(strncmp("abcX", "abcY", 3), 0);
	KEXPECT_NE(strncmp("abcX", "abcY", 4), 0);
	const char *s = "a/b/c";
	KEXPECT_PTR_EQ(strchr(s, '/'), s + 1);
	KEXPECT_PTR_EQ(strrchr(s, '/'), s + 3);
	KEXPECT_PTR_EQ(strchr(s, 0), s + 5);
	KEXPECT_NULL(strchr(s, 'z'));
	KEXPECT_PTR_EQ(strstr(s, "b/c"), s + 2);
	KEXPECT_NULL(strstr(s, "c/"));
	char pad[] = "  \tmid dle \n";
	KEXPECT_STREQ(strim(pad), "mid dle");
}

KTEST(string, glob)
{
	KEXPECT_TRUE(glob_match("*", ""));
	KEXPECT_TRUE(glob_match("*", "anything"));
	KEXPECT_TRUE(glob_match("", ""));
	KEXPECT_FALSE(glob_match("", "a"));
	KEXPECT_TRUE(glob_match("abc", "abc"));
	KEXPECT_FALSE(glob_match("abc", "abcd"));
	KEXPECT_FALSE(glob_match("abcd", "abc"));
	KEXPECT_TRUE(glob_match("a?c", "abc"));
	KEXPECT_FALSE(glob_match("a?c", "ac"));
	KEXPECT_TRUE(glob_match("ksym_*", "ksym_lookup_name"));
	KEXPECT_FALSE(glob_match("ksym_*", "kmain"));
	KEXPECT_TRUE(glob_match("*_lookup_*", "ksym_lookup_name"));
	KEXPECT_TRUE(glob_match("*a*b", "xaybzb"));
	KEXPECT_FALSE(glob_match("*a*b", "xaybzc"));
	KEXPECT_TRUE(glob_match("a**b", "ab"));
	KEXPECT_TRUE(glob_match("*.c", "main.c"));
	KEXPECT_FALSE(glob_match("*.c", "main.h"));
	KEXPECT_TRUE(glob_match("?*", "x"));
	KEXPECT_FALSE(glob_match("?*", ""));
}
