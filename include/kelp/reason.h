/* Failing with a reason (lib/reason.c). Checks that refuse untrusted input
 * (the loader's ELF, signature and relocation checks, the patch channel)
 * tell the user why in a caller's buffer, and return the errno in the same
 * statement:
 *	return reason_fail(why, whylen, -ENOEXEC, "section %u out of bounds", i);
 * Plain portable C: also built into the host tests and the fuzz targets,
 * with libc's headers first or Kelp's. */
#pragma once
#include <kelp/types.h>

/* Formats the reason into why (truncated to whylen bytes, NUL included;
 * nothing is written when why is NULL or whylen 0) and returns err. */
int reason_fail(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
