/* Shared helpers for the host unit tests: TAP-style result lines, hex
 * decoding and a reader for the whitespace-separated vector files. Host
 * code: it may use libc, the heap and stdio. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <kelp/types.h>
#include <kelp/string.h>

static int tap_count, tap_failed;

static inline __attribute__((format(printf, 2, 3))) bool tap_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%s %d - ", ok ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok;
}

static inline int tap_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", tap_count, tap_count - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into a malloc'd buffer ("-" is empty); NULL on bad input. */
static inline u8 *unhex(const char *hex, size_t *len)
{
	size_t n = strcmp(hex, "-") ? strlen(hex) : 0;
	u8 *out = malloc(n / 2 + 1);

	if (!out || n % 2) {
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (u8)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

/* Like unhex() for a fixed-size field; false unless exactly n bytes. */
static inline bool unhex_exact(const char *hex, u8 *out, size_t n)
{
	size_t len;
	u8 *buf = unhex(hex, &len);
	bool ok = buf && len == n;

	if (ok)
		memcpy(out, buf, n);
	free(buf);
	return ok;
}

/* Splits a line of the vector files in place into at most max fields;
 * returns how many, 0 for blank and comment lines. */
static inline int split_fields(char *line, char **field, int max)
{
	int n = 0;

	if (line[0] == '#')
		return 0;
	for (char *p = line; *p && n < max;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = 0;
		if (!*p)
			break;
		field[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (*p)
			*p++ = 0;
	}
	return n;
}

/* Read dir/name whole into a malloc'd buffer; a missing fixture ends the
 * test program (the fixtures come from tests/host/mkfixtures.sh). */
static inline u8 *read_fixture(const char *dir, const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	u8 *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = n;
	return buf;
}
