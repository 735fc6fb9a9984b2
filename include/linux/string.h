/* <linux/string.h>: Kelp's string functions (mem*, str*, strlcpy, strim,
 * snprintf/scnprintf) under Linux's header name, and kstrdup with Linux's
 * gfp argument. */
#pragma once
#include <kelp/string.h>
#include <linux/slab.h>
