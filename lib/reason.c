/* The one "fail with a reason" helper (include/kelp/reason.h), shared by
 * the loader's checks and the patch channel instead of a static copy in
 * each. Pure code: also built into the host tests and the fuzz targets. */
#include <kelp/reason.h>
#include <kelp/string.h>

int reason_fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}
