/* The pseudo-filesystem behind /proc and /sys: an in-memory tree of
 * directories and attribute files. A file's contents come from its show()
 * function at read time; a write hands the text to its store() function.
 *
 * Paths are absolute ("/sys/kernel/x"; a missing leading '/' means the same),
 * repeated slashes collapse, "." and ".." work, a trailing slash requires a
 * directory. Each component is at most PFS_NAME_MAX bytes, a path at most
 * PFS_PATH_MAX.
 *
 * Lifetime: pfs_remove() unlinks at once (later lookups fail); a file whose
 * show/store is running when it is removed is freed when that call returns.
 * The owner's data must stay valid until its show/store calls have finished. */
#pragma once
#include <kelp/compiler.h>
#include <kelp/seq_file.h>

#define PFS_NAME_MAX 63
#define PFS_PATH_MAX 255
#define PFS_WRITE_MAX 4095 /* longest write, like one sysfs page */

typedef int (*pfs_show_t)(struct seq_file *m, void *data);
/* buf is a NUL-terminated copy (buf[len] == 0); return len or -errno. */
typedef ssize_t (*pfs_store_t)(void *data, const char *buf, size_t len);

struct pfs_node;

struct pfs_dirent {
	char name[PFS_NAME_MAX + 1];
	bool is_dir;
	unsigned int mode;
};

/* NULL parent means the root. These return NULL when the name is invalid or
 * taken, the parent is not a directory, or memory runs out; the _err forms
 * say which: -EINVAL (bad name), -EEXIST (taken: logged with the path, as
 * Linux's sysfs does), -ENOTDIR, -ENOENT (parent removed), -ENOMEM. */
struct pfs_node *pfs_mkdir(struct pfs_node *parent, const char *name);
int pfs_mkdir_err(struct pfs_node *parent, const char *name, struct pfs_node **out);
int pfs_create_file_err(struct pfs_node *parent, const char *name, unsigned int mode,
			pfs_show_t show, pfs_store_t store, void *data, struct pfs_node **out);
/* Create every missing directory on path; returns the last (existing or new). */
struct pfs_node *pfs_mkdir_p(const char *path);
/* mode: 0444 read-only, 0644 read-write, 0200 write-only. */
struct pfs_node *pfs_create_file(struct pfs_node *parent, const char *name, unsigned int mode,
				 pfs_show_t show, pfs_store_t store, void *data);
/* Remove a file or a directory with everything below it. */
void pfs_remove(struct pfs_node *node);
int pfs_remove_path(const char *path);
/* Remove every file whose show, store, append, wait or data lies in [start, end),
 * with what is below it; returns how many were removed. The loader's last
 * word on a module it frees: whatever the module left behind must not
 * point into freed memory. */
size_t pfs_remove_within(unsigned long start, unsigned long end);

/* The node at path, or NULL. The pointer stays valid until the node is removed. */
struct pfs_node *pfs_lookup(const char *path);
/* Same, but reports why: -ENOENT, -ENOTDIR, -ENAMETOOLONG. */
int pfs_resolve(const char *path, struct pfs_node **out);
bool pfs_is_dir(const struct pfs_node *node);

/* Run the file's show() into m. -ENOENT, -ENOTDIR, -ENAMETOOLONG, -EISDIR,
 * -EACCES (not readable), -EOVERFLOW (output exceeded SEQ_BUF_MAX; m holds
 * what fitted), -ENOMEM (the buffer could not grow) or show's own error. */
int pfs_read(const char *path, struct seq_file *m);
/* Pass buf to the file's store(). Errors as pfs_read, -EACCES when the file
 * is not writable, -EINVAL beyond PFS_WRITE_MAX, or store's own error. */
ssize_t pfs_write(const char *path, const char *buf, size_t len);
/* The same for ">>": files that care (tracefs's set_ftrace_filter) get
 * their append store, the others their store. */
ssize_t pfs_write_append(const char *path, const char *buf, size_t len);
void pfs_set_append(struct pfs_node *file, pfs_store_t append);
/* A stream file (tracefs's trace_pipe): each read takes what is there now
 * and wait() sleeps, interruptibly, until a read would find more (0, or
 * -EINTR). Readers that follow a stream (the shell's cat) alternate
 * pfs_wait and pfs_read; the others (the host bridge) read once and never
 * block, as with O_NONBLOCK. */
typedef int (*pfs_wait_t)(void *data);
void pfs_set_wait(struct pfs_node *file, pfs_wait_t wait);
/* 0 once a read would find data (at once for an ordinary file); errors as
 * pfs_read, or the wait's own (-EINTR). */
int pfs_wait(const char *path);
bool pfs_is_stream(const struct pfs_node *node);
/* The index-th entry of a directory, in creation order. Returns 1 when de is
 * filled, 0 past the end, -errno for a bad path (-ENOTDIR for a file). */
int pfs_readdir(const char *path, size_t index, struct pfs_dirent *de);
