/* The embedded kernel symbol table: every symbol with address, size and
 * binding, in link (address) order so "the Nth symbol named X" (sympos) is
 * well defined, as in Linux's kallsyms. */
#pragma once
#include <kelp/types.h>

struct seq_file;

/* Cap of /proc/kallsyms's buffer: room for the test kernel's table and
 * many modules. */
#define KSYM_KALLSYMS_MAX (1024 * 1024)

struct ksym {
	unsigned long addr;
	unsigned long size;
	const char *name;
	bool global;
	char type; /* nm's letter: t/T text, d/D data, r/R rodata, b/B bss;
		    * upper case when global */
};

/* Find the symbol containing addr; false if none. *off is addr - sym.addr. */
bool ksym_lookup_addr(unsigned long addr, struct ksym *sym, unsigned long *off);
/* Address of the symbol called name; with sympos 0 the name must be unique
 * (-EINVAL if not), sympos N picks the Nth (1-based) in link order. Returns 0
 * on success, -ENOENT when there is no such symbol. */
int ksym_lookup_name(const char *name, unsigned long sympos, struct ksym *sym);
/* How many symbols have this name. */
unsigned long ksym_count_name(const char *name);
/* Address of the unique symbol called name, 0 if none or ambiguous. */
unsigned long ksym_addr(const char *name);
/* Format addr as "name+0xoff/0xsize" like Linux's %pS (or the bare address
 * "0x..." when no symbol contains it). */
int ksym_snprint(char *buf, size_t size, unsigned long addr);
/* The same for a return address (%pB): symbolises addr - 1, so a call that
 * ends a function is not charged to the next one. */
int ksym_snprint_ret(char *buf, size_t size, unsigned long addr);
/* Iterate: fills sym for index i; false past the end. */
bool ksym_at(unsigned long i, struct ksym *sym);
unsigned long ksym_count(void);
/* Whether addr lies inside a symbol of an executable section. */
bool ksym_is_text(unsigned long addr);
/* /proc/kallsyms: every kernel symbol in address order, then each loaded
 * module's ("ADDRESS TYPE NAME\t[MODULE]"), as Linux prints them. */
int ksym_show_kallsyms(struct seq_file *m);
