/* vsnprintf: the kernel's formatter. Supports flags "-0+ #", width and
 * precision (also '*'), length modifiers hh h l ll z t j, conversions
 * d i u x X o c s p %, and Linux's pointer extensions: %pS / %ps / %pB for
 * symbolised code addresses (%pB: a return address, see ksym_snprint_ret),
 * %px for the raw pointer (16 hex digits, as Linux prints it), %pGg for the
 * names of the gfp flags a gfp_t * points to. */
#include <kelp/string.h>
#include <kelp/ksyms.h>
#include <kelp/gfp.h>
#include <kelp/compiler.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters that would have been written */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_str(struct out *o, const char *s, int width, int prec, bool left)
{
	int len = (int)(prec >= 0 ? strnlen(s, prec) : strlen(s));
	if (!left)
		for (int i = len; i < width; i++)
			put(o, ' ');
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (left)
		for (int i = len; i < width; i++)
			put(o, ' ');
}

/* Linux's order: masks with the most bits first, so GFP_KERNEL|__GFP_ZERO
 * reads that way rather than as its single bits. */
static const struct {
	gfp_t mask;
	const char *name;
} gfp_names[] = {
#define GFP_NAME(f) { f, #f }
	GFP_NAME(GFP_TRANSHUGE),	GFP_NAME(GFP_TRANSHUGE_LIGHT), GFP_NAME(GFP_HIGHUSER_MOVABLE),
	GFP_NAME(GFP_HIGHUSER),		GFP_NAME(GFP_USER),	       GFP_NAME(GFP_KERNEL_ACCOUNT),
	GFP_NAME(GFP_KERNEL),		GFP_NAME(GFP_NOFS),	       GFP_NAME(GFP_ATOMIC),
	GFP_NAME(GFP_NOIO),		GFP_NAME(GFP_NOWAIT),	       GFP_NAME(GFP_DMA),
	GFP_NAME(__GFP_HIGHMEM),	GFP_NAME(GFP_DMA32),	       GFP_NAME(__GFP_HIGH),
	GFP_NAME(__GFP_ATOMIC),		GFP_NAME(__GFP_IO),	       GFP_NAME(__GFP_FS),
	GFP_NAME(__GFP_NOWARN),		GFP_NAME(__GFP_RETRY_MAYFAIL), GFP_NAME(__GFP_NOFAIL),
	GFP_NAME(__GFP_NORETRY),	GFP_NAME(__GFP_COMP),	       GFP_NAME(__GFP_ZERO),
	GFP_NAME(__GFP_NOMEMALLOC),	GFP_NAME(__GFP_MEMALLOC),      GFP_NAME(__GFP_HARDWALL),
	GFP_NAME(__GFP_THISNODE),	GFP_NAME(__GFP_RECLAIMABLE),   GFP_NAME(__GFP_MOVABLE),
	GFP_NAME(__GFP_ACCOUNT),	GFP_NAME(__GFP_WRITE),	       GFP_NAME(__GFP_RECLAIM),
	GFP_NAME(__GFP_DIRECT_RECLAIM), GFP_NAME(__GFP_KSWAPD_RECLAIM), GFP_NAME(__GFP_ZEROTAGS),
#undef GFP_NAME
};

#define F_LEFT 1
#define F_ZERO 2
#define F_PLUS 4
#define F_SPACE 8
#define F_ALT 16
#define F_UPPER 32

static void put_num(struct out *o, unsigned long long v, bool neg, unsigned base, int width,
		    int prec, int flags)
{
	char tmp[24];
	const char *digits = (flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0, pad, total;
	char sign = 0;
	const char *prefix = "";

	if (v == 0 && prec != 0)
		tmp[n++] = '0';
	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	if (neg)
		sign = '-';
	else if (flags & F_PLUS)
		sign = '+';
	else if (flags & F_SPACE)
		sign = ' ';
	if ((flags & F_ALT) && base == 16 && n && !(n == 1 && tmp[0] == '0'))
		prefix = (flags & F_UPPER) ? "0X" : "0x";
	/* '#' with octal only guarantees a leading 0 (n may be 0 for "%#.0o") */
	if ((flags & F_ALT) && base == 8 && prec <= n && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";

	int digits_n = n > prec ? n : prec;
	total = digits_n + (sign ? 1 : 0) + (int)strlen(prefix);
	pad = width > total ? width - total : 0;

	if (!(flags & F_LEFT) && !((flags & F_ZERO) && prec < 0))
		while (pad-- > 0)
			put(o, ' ');
	if (sign)
		put(o, sign);
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (!(flags & F_LEFT) && (flags & F_ZERO) && prec < 0)
		while (pad-- > 0)
			put(o, '0');
	for (int i = n; i < digits_n; i++)
		put(o, '0');
	while (n)
		put(o, tmp[--n]);
	if (flags & F_LEFT)
		while (pad-- > 0)
			put(o, ' ');
}

/* Names joined by '|', whatever no name covers as hex, as Linux's %pGg. */
static void put_gfp(struct out *o, gfp_t flags)
{
	for (size_t i = 0; flags && i < ARRAY_SIZE(gfp_names); i++) {
		if ((flags & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		for (const char *c = gfp_names[i].name; *c; c++)
			put(o, *c);
		flags &= ~gfp_names[i].mask;
		if (flags)
			put(o, '|');
	}
	if (flags)
		put_num(o, flags, false, 16, 0, -1, F_ALT);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		int flags = 0, width = -1, prec = -1, lng = 0;
		for (;;) {
			char c = *++fmt;
			if (c == '-')
				flags |= F_LEFT;
			else if (c == '0')
				flags |= F_ZERO;
			else if (c == '+')
				flags |= F_PLUS;
			else if (c == ' ')
				flags |= F_SPACE;
			else if (c == '#')
				flags |= F_ALT;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else {
			for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
				width = width * 10 + (*fmt - '0');
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				if (prec < 0) /* as if omitted (C11 7.21.6.1) */
					prec = -1;
				fmt++;
			} else {
				for (prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
					prec = prec * 10 + (*fmt - '0');
			}
		}
		/* length: 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t */
		for (;; fmt++) {
			if (*fmt == 'l')
				lng = lng == 1 ? 2 : 1;
			else if (*fmt == 'h')
				lng = lng == -1 ? -2 : -1;
			else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j')
				lng = 3;
			else
				break;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v;
			if (lng == 2)
				v = va_arg(ap, long long);
			else if (lng == 1 || lng == 3)
				v = va_arg(ap, long);
			else
				v = va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng == -2)
				v = (signed char)v;
			put_num(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0, 10,
				width, prec, flags);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned long long v;
			if (lng == 2)
				v = va_arg(ap, unsigned long long);
			else if (lng == 1 || lng == 3)
				v = va_arg(ap, unsigned long);
			else
				v = va_arg(ap, unsigned int);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng == -2)
				v = (unsigned char)v;
			if (*fmt == 'X')
				flags |= F_UPPER;
			put_num(&o, v, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16, width, prec,
				flags & ~(F_PLUS | F_SPACE));
			break;
		}
		case 'c':
			if (!(flags & F_LEFT))
				for (int i = 1; i < width; i++)
					put(&o, ' ');
			put(&o, (char)va_arg(ap, int));
			if (flags & F_LEFT)
				for (int i = 1; i < width; i++)
					put(&o, ' ');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			put_str(&o, s ? s : "(null)", width, prec, flags & F_LEFT);
			break;
		}
		case 'p': {
			unsigned long v = (unsigned long)va_arg(ap, void *);
			if (fmt[1] == 'S' || fmt[1] == 's' || fmt[1] == 'B') {
				char sym[160];
				bool with_off = fmt[1] != 's';
				if (fmt[1] == 'B')
					ksym_snprint_ret(sym, sizeof(sym), v);
				else
					ksym_snprint(sym, sizeof(sym), v);
				fmt++;
				if (!with_off) {
					char *plus = strchr(sym, '+');
					if (plus)
						*plus = 0;
				}
				put_str(&o, sym, width, prec, flags & F_LEFT);
				break;
			}
			if (fmt[1] == 'x') {
				fmt++;
				put_num(&o, v, false, 16, 2 * sizeof(void *), -1, F_ZERO);
				break;
			}
			if (fmt[1] == 'G' && fmt[2] == 'g') {
				fmt += 2;
				put_gfp(&o, v ? *(const gfp_t *)v : 0);
				break;
			}
			put_num(&o, v, false, 16, width < 0 ? 0 : width, prec, flags | F_ALT);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		o.buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Like snprintf but returns what was actually stored (Linux's scnprintf). */
int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (!size)
		return 0;
	return n >= (int)size ? (int)size - 1 : n;
}
