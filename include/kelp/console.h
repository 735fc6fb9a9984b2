/* The console: output through printk/kprintf, input for the shell. */
#pragma once
#include <kelp/types.h>

/* Wait for the next input byte from the console. */
int console_getc(void);
/* Next input byte if one is waiting, else -1. */
int console_trygetc(void);
