/* Fuzz target: pseudo-fs path resolution (fs/pseudofs.c unchanged, with
 * the host shim for the heap and spinlocks). Each input line is one
 * operation on a small /proc + /sys tree built fresh per input:
 *   r PATH  resolve   d PATH  readdir (every entry)   m PATH  mkdir -p
 *   x PATH  remove    R PATH  read     W PATH  write the rest of the line
 *   A PATH  append    c PATH  create a file "f" in the directory at PATH
 * anything else: resolve the whole line. Oracles: pfs_lookup agrees with
 * pfs_resolve, a trailing '/' only ever resolves to a directory, and the
 * tree is freed without leaks at the end (LeakSanitizer). */
#include <kelp/pseudofs.h>
#include <kelp/errno.h>
#include <kelp/string.h>

extern void *malloc(size_t size);
extern void free(void *p);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static int stored;

static int show_text(struct seq_file *m, void *data)
{
	seq_printf(m, "%s\n", (const char *)data);
	return 0;
}

static int show_big(struct seq_file *m, void *data)
{
	(void)data;
	for (int i = 0; i < 5000; i++)
		seq_puts(m, "0123456789abcdef");
	return 0;
}

static ssize_t store_count(void *data, const char *buf, size_t len)
{
	(void)data;
	CHECK(buf[len] == 0);
	stored += len;
	return len && buf[0] == '!' ? -EINVAL : (ssize_t)len;
}

static void build_tree(void)
{
	struct pfs_node *proc = pfs_mkdir(NULL, "proc"), *sys = pfs_mkdir(NULL, "sys");
	struct pfs_node *k = pfs_mkdir(sys, "kernel"), *lp = pfs_mkdir(k, "livepatch");

	CHECK(proc && sys && k && lp);
	pfs_create_file(proc, "version", 0444, show_text, NULL, "Kelp 0.1");
	pfs_create_file(proc, "big", 0444, show_big, NULL, NULL);
	pfs_create_file(k, "knob", 0644, show_text, store_count, "42");
	pfs_create_file(k, "wo", 0200, NULL, store_count, NULL);
	pfs_create_file(lp, "enabled", 0644, show_text, store_count, "1");
	pfs_set_append(pfs_create_file(lp, "filter", 0644, show_text, store_count, ""),
		       store_count);
	CHECK(pfs_mkdir_p("/sys/kernel/a/b/c/d"));
}

static void one(char op, char *path)
{
	struct pfs_node *n = NULL, *n2;
	struct pfs_dirent de;
	struct seq_file m = SEQ_FILE_INIT;
	char *arg = strchr(path, ' ');
	size_t len = strlen(path);
	int err;

	if ((op == 'W' || op == 'A') && arg)
		*arg++ = 0;
	switch (op) {
	case 'd':
		for (size_t i = 0; (err = pfs_readdir(path, i, &de)) > 0 && i < 64; i++)
			CHECK(strlen(de.name) <= PFS_NAME_MAX && de.name[0]);
		break;
	case 'm':
		n = pfs_mkdir_p(path);
		CHECK(!n || pfs_is_dir(n));
		break;
	case 'x':
		(void)pfs_remove_path(path);
		break;
	case 'R':
		(void)pfs_read(path, &m);
		CHECK(m.count <= SEQ_BUF_MAX);
		seq_file_release(&m);
		break;
	case 'W':
	case 'A':
		if (!arg)
			arg = "";
		err = op == 'W' ? pfs_write(path, arg, strlen(arg)) : pfs_write_append(path, arg, strlen(arg));
		CHECK(err < 0 || (size_t)err == strlen(arg));
		break;
	case 'c':
		if (!pfs_resolve(path, &n) && pfs_is_dir(n))
			pfs_create_file(n, "f", 0644, show_text, store_count, "f");
		break;
	default:
		err = pfs_resolve(path, &n);
		n2 = pfs_lookup(path);
		CHECK(err ? !n2 : n2 == n);
		CHECK(err == 0 || err == -ENOENT || err == -ENOTDIR || err == -ENAMETOOLONG);
		if (!err && len && path[len - 1] == '/')
			CHECK(pfs_is_dir(n));
		if (len > PFS_PATH_MAX)
			CHECK(err == -ENAMETOOLONG);
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *next;
	int ops = 0;

	memcpy(buf, data, size);
	buf[size] = 0;
	build_tree();
	for (line = buf; line && ops++ < 256; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (line[0] && line[1] == ' ' && strchr("dmxRWAc", line[0]))
			one(line[0], line + 2);
		else
			one('r', line);
	}
	/* Tear the tree down: leaves nothing for LeakSanitizer to find. */
	(void)pfs_remove_path("/proc");
	(void)pfs_remove_path("/sys");
	while (pfs_readdir("/", 0, &(struct pfs_dirent){ 0 }) > 0) {
		struct pfs_dirent de;

		pfs_readdir("/", 0, &de);
		pfs_remove_path(de.name);
	}
	free(buf);
	return 0;
}
