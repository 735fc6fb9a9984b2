/* Dynamic debug: the kernel's pr_debug() sites (the __dyndbg section, see
 * include/kelp/dynamic_debug.h) and their control file,
 * /sys/kernel/debug/dynamic_debug/control, with Linux's query syntax:
 *
 *   [func NAME] [file GLOB] [module NAME] [format TEXT] [line N[-M]] FLAGS
 *
 * Keywords are ANDed; NAME and GLOB take '*' and '?'; FLAGS is +, - or =
 * followed by flag letters (p prints; Linux's f, l, m and t are accepted
 * and kept, _ means none). Several queries may be written at once, one per
 * line or separated by ';'. As in Linux, "MODULE.dyndbg=FLAGS" on the
 * command line ("MODULE.dyndbg" alone: +p) applies "module MODULE FLAGS"
 * at boot, before the shell or the patch channel run. */
#define pr_fmt(fmt) "dyndbg: " fmt
#include <kelp/dynamic_debug.h>
#include <kelp/printk.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/init.h>
#include <kelp/mutex.h>
#include <kelp/mm.h>
#include <kelp/cmdline.h>

extern struct ddebug __start___dyndbg[], __stop___dyndbg[];

/* Flag letters in the order Linux lists them; p is DDEBUG_PRINT. */
static const char ddebug_letters[] = "pflmt";

/* Queries and reads of the flag words; a site's own test is a plain read
 * (a flag change may take effect a few calls late, as in Linux). */
static DEFINE_MUTEX(ddebug_lock);

/* The site's module: its log prefix without ": ", else its file's base
 * name without ".c". */
static void ddebug_modname(const struct ddebug *d, char *out, size_t size)
{
	const char *p = d->prefix;
	size_t n = strlen(p);
	if (n > 2 && p[n - 2] == ':' && p[n - 1] == ' ') {
		n -= 2;
	} else {
		const char *slash = strrchr(d->filename, '/');
		p = slash ? slash + 1 : d->filename;
		const char *dot = strrchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

struct ddebug_query {
	const char *func, *file, *module, *format;
	unsigned int first_line, last_line; /* 0: any */
	char op; /* + - = */
	unsigned int flags;
};

/* Kelp's directories whose Linux counterparts sit elsewhere: a "file"
 * glob also matches the site's path as Linux would name it, so Linux's own
 * queries (its selftest harness matches "kernel/livepatch/" and a glob)
 * find the same code. */
static const struct {
	const char *kelp, *linux_dir;
} ddebug_linux_dirs[] = {
	{ "livepatch/", "kernel/livepatch/" },
};

static bool ddebug_file_matches(const char *glob, const char *filename)
{
	const char *slash = strrchr(filename, '/');
	if (glob_match(glob, filename) || glob_match(glob, slash ? slash + 1 : filename))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(ddebug_linux_dirs); i++) {
		size_t n = strlen(ddebug_linux_dirs[i].kelp);
		char path[128];
		if (strncmp(filename, ddebug_linux_dirs[i].kelp, n))
			continue;
		snprintf(path, sizeof(path), "%s%s", ddebug_linux_dirs[i].linux_dir, filename + n);
		if (glob_match(glob, path))
			return true;
	}
	return false;
}

static bool ddebug_matches(const struct ddebug *d, const struct ddebug_query *q)
{
	if (q->func && !glob_match(q->func, d->function))
		return false;
	if (q->file && !ddebug_file_matches(q->file, d->filename))
		return false;
	if (q->module) {
		char mod[64];
		ddebug_modname(d, mod, sizeof(mod));
		if (!glob_match(q->module, mod))
			return false;
	}
	if (q->format && !strstr(d->format, q->format))
		return false;
	if (q->first_line && (d->lineno < q->first_line || d->lineno > q->last_line))
		return false;
	return true;
}

static int ddebug_parse_flags(const char *w, struct ddebug_query *q)
{
	if (*w != '+' && *w != '-' && *w != '=')
		return -EINVAL;
	q->op = *w++;
	q->flags = 0;
	for (; *w; w++) {
		if (*w == '_')
			continue;
		const char *l = strchr(ddebug_letters, *w);
		if (!l) {
			pr_err("unknown flag '%c'\n", *w);
			return -EINVAL;
		}
		q->flags |= 1u << (l - ddebug_letters);
	}
	return 0;
}

static int ddebug_parse_line(const char *w, struct ddebug_query *q)
{
	char buf[32];
	strlcpy(buf, w, sizeof(buf));
	char *dash = strchr(buf, '-');
	if (dash)
		*dash++ = 0;
	unsigned long long a, b;
	if (kstrtoull(buf, 10, &a) || !a || a > 0xffffffffu)
		return -EINVAL;
	b = a;
	if (dash && (kstrtoull(dash, 10, &b) || b < a || b > 0xffffffffu))
		return -EINVAL;
	q->first_line = a;
	q->last_line = b;
	return 0;
}

/* Split one query (a writable copy) into words; quotes group words, as in
 * Linux's format "some text". */
static int ddebug_split(char *s, char **words, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == max)
			return -EINVAL;
		if (*s == '"' || *s == '\'') {
			char quote = *s++;
			words[n++] = s;
			while (*s && *s != quote)
				s++;
			if (!*s)
				return -EINVAL;
			*s++ = 0;
			continue;
		}
		words[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
	return n;
}

/* One query; ddebug_lock held. The number of sites matched, or -EINVAL. */
static int ddebug_exec_query(char *text)
{
	char *w[16];
	struct ddebug_query q = { 0 };
	int n = ddebug_split(text, w, ARRAY_SIZE(w));
	if (n == 0)
		return 0;
	if (n < 0 || !(n % 2)) {
		pr_err("query needs keyword-value pairs and one flags word\n");
		return -EINVAL;
	}
	for (int i = 0; i + 1 < n; i += 2) {
		const char *k = w[i], *v = w[i + 1];
		if (!strcmp(k, "func"))
			q.func = v;
		else if (!strcmp(k, "file"))
			q.file = v;
		else if (!strcmp(k, "module"))
			q.module = v;
		else if (!strcmp(k, "format"))
			q.format = v;
		else if (!strcmp(k, "line")) {
			if (ddebug_parse_line(v, &q)) {
				pr_err("bad line range '%s'\n", v);
				return -EINVAL;
			}
		} else {
			pr_err("unknown keyword '%s'\n", k);
			return -EINVAL;
		}
	}
	if (ddebug_parse_flags(w[n - 1], &q)) {
		pr_err("bad flags '%s'\n", w[n - 1]);
		return -EINVAL;
	}
	int matched = 0;
	for (struct ddebug *d = __start___dyndbg; d < __stop___dyndbg; d++) {
		if (!ddebug_matches(d, &q))
			continue;
		unsigned int f = d->flags;
		f = q.op == '+' ? f | q.flags : q.op == '-' ? f & ~q.flags : q.flags;
		WRITE_ONCE(d->flags, f);
		matched++;
	}
	return matched;
}

int ddebug_exec_queries(const char *query)
{
	char *copy = kstrdup(query);
	if (!copy)
		return -ENOMEM;
	int total = 0, err = 0;
	mutex_lock(&ddebug_lock);
	char *q = copy;
	while (q) {
		char *end = q;
		while (*end && *end != ';' && *end != '\n')
			end++;
		char *next = *end ? end + 1 : NULL;
		*end = 0;
		int r = ddebug_exec_query(q);
		if (r < 0)
			err = r;
		else
			total += r;
		q = next;
	}
	mutex_unlock(&ddebug_lock);
	kfree(copy);
	return err ? err : total;
}

static void ddebug_show_format(struct seq_file *m, const char *f)
{
	seq_putc(m, '"');
	for (; *f; f++) {
		unsigned char c = *f;
		if (c == '"' || c == '\\' || c < ' ' || c > '~')
			seq_printf(m, "\\%03o", c);
		else
			seq_putc(m, c);
	}
	seq_putc(m, '"');
}

static int ddebug_control_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_puts(m, "# filename:lineno [module]function flags format\n");
	mutex_lock(&ddebug_lock);
	for (struct ddebug *d = __start___dyndbg; d < __stop___dyndbg; d++) {
		char mod[64], flags[8];
		int n = 0;
		ddebug_modname(d, mod, sizeof(mod));
		for (int i = 0; ddebug_letters[i]; i++)
			if (d->flags & (1u << i))
				flags[n++] = ddebug_letters[i];
		if (!n)
			flags[n++] = '_';
		flags[n] = 0;
		seq_printf(m, "%s:%u [%s]%s =%s ", d->filename, d->lineno, mod, d->function, flags);
		ddebug_show_format(m, d->format);
		seq_putc(m, '\n');
	}
	mutex_unlock(&ddebug_lock);
	return 0;
}

static ssize_t ddebug_control_store(void *data, const char *buf, size_t len)
{
	(void)data;
	int r = ddebug_exec_queries(buf);
	return r < 0 ? r : (ssize_t)len;
}

/* MODULE.dyndbg[=FLAGS] words of the command line. */
static void ddebug_boot_params(void)
{
	const char *p = kernel_cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t n = p - w;
		char word[128], query[160];
		if (!n || n >= sizeof(word))
			continue;
		memcpy(word, w, n);
		word[n] = 0;
		char *dot = strstr(word, ".dyndbg");
		if (!dot || dot == word || (dot[7] && dot[7] != '='))
			continue;
		*dot = 0;
		const char *flags = dot[7] == '=' ? dot + 8 : "+p";
		snprintf(query, sizeof(query), "module %s %s", word, flags);
		if (ddebug_exec_queries(query) < 0)
			pr_err("bad boot parameter '%s.dyndbg'\n", word);
	}
}

static int ddebug_init(void)
{
	ddebug_boot_params();
	struct pfs_node *d = pfs_mkdir_p("/sys/kernel/debug/dynamic_debug");
	if (!d ||
	    !pfs_create_file(d, "control", 0644, ddebug_control_show, ddebug_control_store, NULL))
		return -ENOMEM;
	return 0;
}
fs_initcall(ddebug_init);
