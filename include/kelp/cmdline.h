/* The kernel command line given by the boot loader. */
#pragma once
#include <kelp/types.h>

extern char kernel_cmdline[1024];
void cmdline_set(const char *s);
/* True if the word `name` or `name=...` is present. */
bool cmdline_has(const char *name);
/* Copy the value of `name=value` into buf; false if absent. */
bool cmdline_get(const char *name, char *buf, size_t size);
