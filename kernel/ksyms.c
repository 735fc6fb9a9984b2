/* Placeholder symbol table until the embedded table exists. */
#include <ksyms.h>
#include <string.h>
#include <errno.h>

int ksym_snprint(char *buf, size_t size, unsigned long addr)
{
	return snprintf(buf, size, "%#lx", addr);
}
