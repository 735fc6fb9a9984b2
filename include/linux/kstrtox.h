/* <linux/kstrtox.h>: Linux's string-to-integer conversions with its
 * contract (the whole string, one trailing newline allowed, must be a number
 * of the destination type, else -EINVAL, or -ERANGE when it does not fit).
 * Kelp's own parsers (lib/kstrtox.c) already have Linux's names and rules. */
#pragma once
#include <kelp/kstrtox.h>
