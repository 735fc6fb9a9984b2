/* The kernel's own reasons for a refused request (drivers/patchchan/logcap.c). */
#pragma once
#include <kelp/types.h>

#define PATCHCHAN_LOGCAP_TAIL 512 /* the longest reason kept after the log lines */

/* Where the log stands before a request runs. */
u64 patchchan_logcap_begin(void);
/* After a request failed with out saying why: puts the warnings and errors
 * logged since seq (what the console showed, e.g. "livepatch: symbol 'x'
 * not found in symbol table") before out's text, one a line. */
void patchchan_logcap_reason(u64 seq, char *out, size_t outlen);
