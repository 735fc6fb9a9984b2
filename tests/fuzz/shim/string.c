/* The two string helpers kernel files call that the host's libc lacks:
 * lib/string.c and lib/vsprintf.c cannot be linked next to libc, so these
 * keep their contracts on top of it. Shared by the fuzz targets (with
 * shim.c) and the host tests (tests/host), which link only this file. */
#include <kelp/string.h>

/* Not in Debian 12's glibc. Same contract: returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = 0;
	}
	return n;
}

/* The number of characters written, never more than size - 1. */
int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || !size)
		return 0;
	return (size_t)n >= size ? (int)size - 1 : n;
}
