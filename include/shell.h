/* The console shell. */
#pragma once
void shell_run(void);
