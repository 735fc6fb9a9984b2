/* <linux/seq_file.h>: Kelp's seq_file (seq_printf, seq_puts, seq_putc,
 * seq_write), whose show callbacks have Linux's signature. */
#pragma once
#include <kelp/seq_file.h>
