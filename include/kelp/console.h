/* The console: output through printk/kprintf, input for the shell. */
#pragma once
#include <kelp/types.h>

/* Wait for the next input byte from the console. */
int console_getc(void);
/* Next input byte if one is waiting, else -1. */
int console_trygetc(void);

/* The foreground command (the shell brackets each command it runs, in the
 * task that runs it). Until console_fg_end, input is kept for the next
 * prompt and Ctrl-C interrupts the task: TIF_SIGPENDING is set, so its
 * interruptible sleeps end with -EINTR, as with SIGINT. */
void console_fg_begin(void);
/* True when Ctrl-C came; the pending interrupt is cleared. */
bool console_fg_end(void);
/* Ctrl-C came for the current task's foreground command. */
bool console_interrupted(void);
