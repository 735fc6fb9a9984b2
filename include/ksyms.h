/* The embedded kernel symbol table: every symbol with address, size and
 * binding, in link (address) order so "the Nth symbol named X" (sympos) is
 * well defined, as in Linux's kallsyms. */
#pragma once
#include <types.h>

struct ksym {
	unsigned long addr;
	unsigned long size;
	const char *name;
	bool global;
	char type; /* nm's letter: t/T text, d/D data, r/R rodata, b/B bss */
};

/* Find the symbol containing addr; false if none. *off is addr - sym.addr. */
bool ksym_lookup_addr(unsigned long addr, struct ksym *sym, unsigned long *off);
/* Address of the symbol called name; with sympos 0 the name must be unique
 * (-EINVAL if not), sympos N picks the Nth (1-based) in link order. Returns 0
 * on success, -ENOENT when there is no such symbol. */
int ksym_lookup_name(const char *name, unsigned long sympos, struct ksym *sym);
/* How many symbols have this name. */
unsigned long ksym_count_name(const char *name);
/* Format addr as "name+0xoff/0xsize" (or the bare address). */
int ksym_snprint(char *buf, size_t size, unsigned long addr);
/* Iterate: fills sym for index i; false past the end. */
bool ksym_at(unsigned long i, struct ksym *sym);
unsigned long ksym_count(void);
bool ksym_is_text(unsigned long addr);
