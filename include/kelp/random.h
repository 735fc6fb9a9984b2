/* The kernel's random bytes (kernel/random.c), for values an attacker must
 * not predict: the patch channel's challenge nonces. */
#pragma once
#include <kelp/types.h>

void get_random_bytes(void *buf, size_t len);
/* "RDSEED/RDRAND + TSC jitter" or "TSC jitter": what seeds it, for the log. */
const char *random_source(void);
