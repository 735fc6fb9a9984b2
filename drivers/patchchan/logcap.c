/* Carries a refused request's reasons to the host. The code that refuses a
 * load or an enable explains itself on the console (livepatch's "symbol
 * 'x' not found", "failed to find location for function 'f'", the module
 * layer's "not marked as a livepatch module"), while its errno only says
 * -EINVAL; the channel's answer carries those console lines too, so klpctl
 * shows the same reason the console does. The channel runs one request at
 * a time, so the lines logged meanwhile are this request's (or, rarely, a
 * concurrent warning's: it is shown rather than hidden). */
#include "logcap.h"
#include <kelp/printk.h>
#include <kelp/string.h>

/* Console levels that explain a refusal: err and warn (notice and below are
 * progress, e.g. "enabling patch"). */
#define LOGCAP_MAX_LEVEL 4

u64 patchchan_logcap_begin(void)
{
	return log_next_seq();
}

void patchchan_logcap_reason(u64 seq, char *out, size_t outlen)
{
	char text[256], tail[PATCHCHAN_LOGCAP_TAIL];
	struct log_record rec;
	size_t pos = 0;

	if (!outlen)
		return;
	strlcpy(tail, out, sizeof(tail));
	while (pos + 1 < outlen && log_read(&seq, &rec, text, sizeof(text))) {
		size_t n = rec.len;
		if (rec.level > LOGCAP_MAX_LEVEL || !n)
			continue;
		while (n && text[n - 1] == '\n')
			n--;
		/* the reason itself may already be a logged line */
		if (n == strlen(tail) && !memcmp(text, tail, n))
			continue;
		if (pos + n + 1 + strlen(tail) + 1 > outlen)
			break;
		memcpy(out + pos, text, n);
		pos += n;
		out[pos++] = '\n';
	}
	strlcpy(out + pos, tail, outlen - pos);
}
