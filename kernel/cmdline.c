/* The kernel command line: stored at boot, queried by word or key=value. */
#include <kelp/cmdline.h>
#include <kelp/string.h>

char kernel_cmdline[1024];

void cmdline_set(const char *s)
{
	strlcpy(kernel_cmdline, s ? s : "", sizeof(kernel_cmdline));
}

/* Find word `name` as a whole word or as the key of key=value. */
static const char *find_word(const char *name)
{
	size_t n = strlen(name);
	const char *p = kernel_cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && (p[n] == 0 || p[n] == ' ' || p[n] == '='))
			return p + n;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

bool cmdline_has(const char *name)
{
	return find_word(name) != NULL;
}

bool cmdline_get(const char *name, char *buf, size_t size)
{
	const char *p = find_word(name);
	size_t i = 0;
	if (!p || *p != '=')
		return false;
	p++;
	while (p[i] && p[i] != ' ' && i + 1 < size) {
		buf[i] = p[i];
		i++;
	}
	buf[i] = 0;
	return true;
}
