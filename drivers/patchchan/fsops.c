/* The host bridge's CMD verbs (docs/PROTOCOL.md, "Pseudo-fs bridge"): read,
 * write, list and stat files of the pseudo-fs (/proc, /sys), read the log
 * from a sequence number, and append a line to it as a write to Linux's
 * /dev/kmsg does. tools/klpfs.py mounts the guest's tree on the host with
 * them. Every answer fits one RESULT; what does not (a long file, a big
 * directory, the log) is fetched in chunks from an offset the host gives. */
#define pr_fmt(fmt) fmt
#include <kelp/patchchan.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include "proto.h"

#define FS_DIR_MODE 0755

static int fs_err(char *out, size_t outlen, const char *path, int err)
{
	snprintf(out, outlen, "%s: %s", path, errno_name(err));
	return err;
}

/* "OFFSET PATH" -> offset, path; false on a malformed request. */
static bool fs_offset_path(const char *args, u64 *off, const char **path)
{
	char num[24];
	const char *sp = strchr(args, ' ');
	size_t n = sp ? (size_t)(sp - args) : 0;
	unsigned long long v;
	if (!n || n >= sizeof(num))
		return false;
	memcpy(num, args, n);
	num[n] = 0;
	if (kstrtoull(num, 10, &v))
		return false;
	*off = v;
	*path = sp + 1;
	return **path != 0;
}

/* Type and mode of path. The root and directories the tree made without a
 * mode are 0755; a file's mode comes from its directory entry. */
static int fs_stat(const char *path, char *out, size_t outlen)
{
	struct pfs_node *n;
	int err = pfs_resolve(path, &n);
	if (err)
		return fs_err(out, outlen, path, err);
	bool dir = pfs_is_dir(n);
	unsigned int mode = dir ? FS_DIR_MODE : 0444;
	char parent[PFS_PATH_MAX + 1];
	strlcpy(parent, path, sizeof(parent));
	size_t len = strlen(parent);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = 0;
	char *slash = strrchr(parent, '/');
	if (slash && slash[1]) {
		const char *name = slash + 1;
		char nm[PFS_NAME_MAX + 1];
		strlcpy(nm, name, sizeof(nm));
		if (slash == parent)
			slash[1] = 0;
		else
			*slash = 0;
		struct pfs_dirent de;
		for (size_t i = 0; pfs_readdir(parent, i, &de) == 1; i++)
			if (!strcmp(de.name, nm)) {
				mode = de.mode ? de.mode : mode;
				break;
			}
	}
	snprintf(out, outlen, "%s %04o", dir ? "dir" : "file", mode & 0777);
	return 0;
}

/* "SIZE\n" and the file's bytes from off that fit. show() runs again for
 * each chunk, as a Linux seq_file read does after a seek. */
static int fs_read(const char *args, char *out, size_t outlen)
{
	u64 off;
	const char *path;
	if (!fs_offset_path(args, &off, &path)) {
		snprintf(out, outlen, "usage: fs.read OFFSET PATH");
		return -EINVAL;
	}
	struct seq_file m = SEQ_FILE_INIT;
	int err = pfs_read(path, &m);
	/* a file longer than SEQ_BUF_MAX reads as its first SEQ_BUF_MAX bytes */
	if (err == -EOVERFLOW)
		err = 0;
	if (err) {
		kfree(m.buf);
		return fs_err(out, outlen, path, err);
	}
	size_t size = m.count;
	/* a NUL would end the RESULT text: the file reads up to it */
	for (size_t i = 0; i < size; i++)
		if (!m.buf[i]) {
			size = i;
			break;
		}
	int hdr = snprintf(out, outlen, "%zu\n", size);
	size_t room = outlen - hdr - 1, n = 0;
	if (off < size) {
		n = size - off < room ? size - off : room;
		memcpy(out + hdr, m.buf + off, n);
	}
	out[hdr + n] = 0;
	kfree(m.buf);
	return 0;
}

/* "PATH DATA": DATA is everything after the first space, newlines included. */
static int fs_write(const char *args, bool append, char *out, size_t outlen)
{
	char path[PFS_PATH_MAX + 1];
	const char *sp = strchr(args, ' ');
	size_t n = sp ? (size_t)(sp - args) : strlen(args);
	if (!n || !sp) {
		snprintf(out, outlen, "usage: fs.%s PATH DATA", append ? "append" : "write");
		return -EINVAL;
	}
	if (n > PFS_PATH_MAX)
		return fs_err(out, outlen, "path", -ENAMETOOLONG);
	memcpy(path, args, n);
	path[n] = 0;
	const char *data = sp + 1;
	size_t len = strlen(data);
	ssize_t r = append ? pfs_write_append(path, data, len) : pfs_write(path, data, len);
	if (r < 0)
		return fs_err(out, outlen, path, (int)r);
	snprintf(out, outlen, "%zd", r);
	return 0;
}

/* Entries from index on, one "d|f MODE NAME" line each; the first line is
 * the index to ask for next, or "end". */
static int fs_ls(const char *args, char *out, size_t outlen)
{
	u64 idx;
	const char *path;
	if (!fs_offset_path(args, &idx, &path)) {
		snprintf(out, outlen, "usage: fs.ls INDEX PATH");
		return -EINVAL;
	}
	/* room for the header line, written last */
	const size_t hdr = 24;
	size_t pos = hdr;
	struct pfs_dirent de;
	int r;
	while ((r = pfs_readdir(path, idx, &de)) == 1) {
		unsigned int mode = de.is_dir && !de.mode ? FS_DIR_MODE : de.mode;
		size_t need = strlen(de.name) + 8;
		if (pos + need + 1 > outlen)
			break;
		pos += snprintf(out + pos, outlen - pos, "%c %04o %s\n", de.is_dir ? 'd' : 'f',
				mode & 0777, de.name);
		idx++;
	}
	if (r < 0)
		return fs_err(out, outlen, path, r);
	char head[hdr];
	int hl = r == 1 ? snprintf(head, sizeof(head), "%llu\n", (unsigned long long)idx)
			: snprintf(head, sizeof(head), "end\n");
	memmove(out + hl, out + hdr, pos - hdr);
	memcpy(out, head, hl);
	out[hl + pos - hdr] = 0;
	return 0;
}

/* Log records from SEQ on, as dmesg prints them; the first line is the
 * sequence number to ask for next (the oldest record kept, when SEQ has
 * left the ring). */
static int kmsg_read(const char *args, char *out, size_t outlen)
{
	unsigned long long v;
	if (kstrtoull(args, 10, &v)) {
		snprintf(out, outlen, "usage: kmsg.read SEQ");
		return -EINVAL;
	}
	char text[256], line[300];
	struct log_record rec;
	u64 seq = v < log_first_seq() ? log_first_seq() : v;
	const size_t hdr = 24;
	size_t pos = hdr;
	for (;;) {
		u64 s = seq;
		if (!log_read(&s, &rec, text, sizeof(text)))
			break;
		int n = log_format(&rec, line, sizeof(line));
		if (n > (int)sizeof(line) - 1)
			n = sizeof(line) - 1;
		if (pos + n + 2 > outlen)
			break;
		memcpy(out + pos, line, n);
		pos += n;
		out[pos++] = '\n';
		seq = s;
	}
	char head[hdr];
	int hl = snprintf(head, sizeof(head), "%llu\n", (unsigned long long)seq);
	memmove(out + hl, out + hdr, pos - hdr);
	memcpy(out, head, hl);
	out[hl + pos - hdr] = 0;
	return 0;
}

/* As a write to Linux's /dev/kmsg: an optional "<N>" prefix gives the
 * level (the facility bits are ignored), one record per line. */
static int kmsg_write(const char *args, char *out, size_t outlen)
{
	const char *p = args;
	int level = LOGLEVEL_DEFAULT;
	if (p[0] == '<') {
		int v = 0;
		const char *q = p + 1;
		while (*q >= '0' && *q <= '9' && v < 1024)
			v = v * 10 + (*q++ - '0');
		if (*q == '>' && q > p + 1) {
			level = v & 7;
			p = q + 1;
		}
	}
	/* the level goes into the format, where printk looks for it */
	char fmt[] = KERN_SOH "0%.*s\n";
	fmt[1] = (char)('0' + level);
	size_t lines = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		printk(fmt, n, p);
		lines++;
		p += n + (nl ? 1 : 0);
	}
	snprintf(out, outlen, "%zu", lines);
	return 0;
}

int patchchan_fs_cmd(const char *cmd, char *out, size_t outlen)
{
	static const struct {
		const char *verb;
		int kind;
	} verbs[] = {
		{ "fs.stat", 0 }, { "fs.read", 1 },   { "fs.write", 2 },  { "fs.append", 3 },
		{ "fs.ls", 4 },	  { "kmsg.read", 5 }, { "kmsg.write", 6 },
	};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		size_t vl = strlen(verbs[i].verb);
		if (strncmp(cmd, verbs[i].verb, vl) || (cmd[vl] && cmd[vl] != ' '))
			continue;
		const char *args = cmd[vl] ? cmd + vl + 1 : "";
		switch (verbs[i].kind) {
		case 0:
			if (!*args)
				break;
			return fs_stat(args, out, outlen);
		case 1:
			return fs_read(args, out, outlen);
		case 2:
		case 3:
			return fs_write(args, verbs[i].kind == 3, out, outlen);
		case 4:
			return fs_ls(args, out, outlen);
		case 5:
			return kmsg_read(args, out, outlen);
		default:
			return kmsg_write(args, out, outlen);
		}
		snprintf(out, outlen, "usage: %s PATH", verbs[i].verb);
		return -EINVAL;
	}
	return -ENOSYS;
}
