/* x86_64 segment selectors (arch/x86_64/cpu.c builds the GDT), private to
 * arch/x86_64/. The order suits syscall/sysret: STAR's user base 0x18
 * gives user SS = 0x20|3 and user CS = 0x28|3. */
#pragma once

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_USER_CS32 0x18
#define GDT_USER_DS 0x20
#define GDT_USER_CS 0x28
#define GDT_TSS 0x30
