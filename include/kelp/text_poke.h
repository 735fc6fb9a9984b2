/* Changing live kernel code. Every write to text goes through text_poke*():
 * the bytes are written through a per-CPU writable alias of the page (text
 * itself stays read+execute), the expected old bytes are checked first, and
 * the CPU is serialised afterwards.
 *
 * text_poke_batch() changes many instructions that may be running right now
 * with the int3 protocol: int3 on every first byte, sync, the tail bytes,
 * sync, the new first bytes, sync (three rounds per batch, not per site).
 * A CPU that hits one of the int3s meanwhile has the new instruction
 * emulated by the #BP handler: a NOP is skipped, a `call rel32` is made
 * (return address pushed into the gap the #BP entry leaves below the
 * interrupted stack), a `jmp rel32` jumps. So code meeting a site under
 * change, an interrupt handler included, sees the old or the new
 * instruction's effect, never a third. */
#pragma once
#include <kelp/compiler.h>

#define TEXT_POKE_MAX 16
#define POKE_INSN_SIZE 5

/* One instruction to change in a batch. */
struct text_poke_loc {
	unsigned long addr;
	u8 old[POKE_INSN_SIZE];
	u8 new[POKE_INSN_SIZE];
};

/* Write len (<= TEXT_POKE_MAX) bytes at addr if addr currently holds old
 * (old may be NULL to skip the check). -EINVAL (and an error line, no write)
 * when the bytes differ or addr is not mapped. Interrupts are off around the
 * alias. Only for code no CPU can be running (or 1-byte changes). */
int text_poke(void *addr, const void *new, const void *old, size_t len);
/* Change n 5-byte instructions, live, with the int3 protocol. Every site is
 * checked first; on any mismatch nothing is written (-EINVAL). Sites must
 * not overlap. The array is sorted in place by address. */
int text_poke_batch(struct text_poke_loc *locs, size_t n);
/* Serialise instruction fetch on every CPU: the one place other CPUs will
 * be synced (one CPU today: a CPUID here). */
void text_poke_sync(void);
/* Self-tests only (CONFIG_KTEST): called by text_poke_batch while the int3s
 * are in place. */
extern void (*text_poke_test_hook)(void);
/* #BP hits on sites under change handled so far (for tests). */
u64 text_poke_int3_hits(void);
/* Whether addr lies in the int3 handler or the poke path (for the unwinder
 * and the notrace self-test). */
bool text_poke_is_handler_text(unsigned long addr);
