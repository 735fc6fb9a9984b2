/* The pseudo-filesystem tree (see pseudofs.h). One mutex guards the tree
 * shape and the per-file "active" counts; show/store run without it, pinned
 * by their active count so a concurrent pfs_remove only defers the free. */
#include <kelp/pseudofs.h>
#include <kelp/mutex.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/printk.h>
#include <kelp/module.h>

#define PFS_DIR_MODE 0555
/* Directories below /sys are 0755 as sysfs's are (Linux's test-sysfs.sh
 * checks it); /sys itself and /proc's stay 0555, as in Linux. */
#define PFS_SYSFS_DIR_MODE 0755

struct pfs_node {
	struct pfs_node *parent;
	struct pfs_node *children; /* first child; siblings in creation order */
	struct pfs_node *next;
	bool is_dir;
	bool removed;
	unsigned int mode;
	int active; /* show/store calls in progress */
	pfs_show_t show;
	pfs_store_t store;
	pfs_store_t append; /* for ">>"; NULL: store */
	pfs_wait_t wait;    /* a stream's; NULL: an ordinary file */
	void *data;
	char name[];
};

static struct pfs_node pfs_root = { .is_dir = true, .mode = PFS_DIR_MODE };
/* The tree's shape and the pin counts. A sleeping lock: walks are as long
 * as the path and removal frees a whole subtree; every user runs in task
 * context (show/store callbacks run outside it, pinned by `active`). */
static DEFINE_MUTEX(pfs_lock);

static bool pfs_name_ok(const char *name)
{
	size_t n = strnlen(name, PFS_NAME_MAX + 1);
	return n && n <= PFS_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

static struct pfs_node *pfs_child(struct pfs_node *dir, const char *name, size_t len)
{
	for (struct pfs_node *c = dir->children; c; c = c->next)
		if (!strncmp(c->name, name, len) && c->name[len] == 0)
			return c;
	return NULL;
}

/* Walk path from the root; called with pfs_lock held. */
static int pfs_walk(const char *path, struct pfs_node **out)
{
	struct pfs_node *cur = &pfs_root;
	const char *p = path;
	bool trailing_slash = false;

	if (strnlen(path, PFS_PATH_MAX + 1) > PFS_PATH_MAX)
		return -ENAMETOOLONG;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > PFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (!cur->is_dir)
			return -ENOTDIR;
		if (len == 1 && p[0] == '.') {
			/* stay */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (cur->parent)
				cur = cur->parent;
		} else {
			cur = pfs_child(cur, p, len);
			if (!cur)
				return -ENOENT;
		}
		p += len;
		trailing_slash = *p == '/';
	}
	if (trailing_slash && !cur->is_dir)
		return -ENOTDIR;
	*out = cur;
	return 0;
}

static struct pfs_node *pfs_child_get(struct pfs_node *dir, const char *name, size_t len)
{
	mutex_lock(&pfs_lock);
	struct pfs_node *n = dir->is_dir ? pfs_child(dir, name, len) : NULL;
	mutex_unlock(&pfs_lock);
	return n;
}

int pfs_resolve(const char *path, struct pfs_node **out)
{
	mutex_lock(&pfs_lock);
	int err = pfs_walk(path, out);
	mutex_unlock(&pfs_lock);
	return err;
}

struct pfs_node *pfs_lookup(const char *path)
{
	struct pfs_node *n;
	return pfs_resolve(path, &n) ? NULL : n;
}

bool pfs_is_dir(const struct pfs_node *node)
{
	return node->is_dir;
}

/* parent's path + "/" + name, for messages. Called with pfs_lock held. */
static void pfs_path_of(const struct pfs_node *parent, const char *name, char *buf, size_t size)
{
	const struct pfs_node *chain[PFS_PATH_MAX / 2];
	int n = 0;
	size_t pos = 0;
	for (const struct pfs_node *d = parent; d && d != &pfs_root && n < (int)ARRAY_SIZE(chain);
	     d = d->parent)
		chain[n++] = d;
	buf[0] = 0;
	while (n--)
		pos += scnprintf(buf + pos, size - pos, "/%s", chain[n]->name);
	scnprintf(buf + pos, size - pos, "/%s", name);
}

static int pfs_add(struct pfs_node *parent, const char *name, bool is_dir, unsigned int mode,
		   pfs_show_t show, pfs_store_t store, void *data, struct pfs_node **out)
{
	char path[PFS_PATH_MAX + 1];
	int err = 0;
	*out = NULL;
	if (!parent)
		parent = &pfs_root;
	if (!pfs_name_ok(name))
		return -EINVAL;
	size_t len = strlen(name);
	struct pfs_node *n = kzalloc(sizeof(*n) + len + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n->name, name, len + 1);
	n->is_dir = is_dir;
	n->mode = mode;
	n->show = show;
	n->store = store;
	n->data = data;

	mutex_lock(&pfs_lock);
	if (!parent->is_dir)
		err = -ENOTDIR;
	else if (parent->removed)
		err = -ENOENT;
	else if (pfs_child(parent, name, len))
		err = -EEXIST;
	if (err) {
		if (err == -EEXIST)
			pfs_path_of(parent, name, path, sizeof(path));
		mutex_unlock(&pfs_lock);
		kfree(n);
		/* as Linux's sysfs: a duplicate name is the creator's bug */
		if (err == -EEXIST)
			pr_err("pseudofs: cannot create duplicate filename '%s'\n", path);
		return err;
	}
	n->parent = parent;
	if (is_dir) {
		const struct pfs_node *top = parent;
		while (top->parent && top->parent != &pfs_root)
			top = top->parent;
		if (top != &pfs_root && !strcmp(top->name, "sys"))
			n->mode = PFS_SYSFS_DIR_MODE;
	}
	struct pfs_node **link = &parent->children;
	while (*link)
		link = &(*link)->next;
	*link = n;
	mutex_unlock(&pfs_lock);
	*out = n;
	return 0;
}

int pfs_mkdir_err(struct pfs_node *parent, const char *name, struct pfs_node **out)
{
	return pfs_add(parent, name, true, PFS_DIR_MODE, NULL, NULL, NULL, out);
}

int pfs_create_file_err(struct pfs_node *parent, const char *name, unsigned int mode,
			pfs_show_t show, pfs_store_t store, void *data, struct pfs_node **out)
{
	return pfs_add(parent, name, false, mode & 0777, show, store, data, out);
}

struct pfs_node *pfs_mkdir(struct pfs_node *parent, const char *name)
{
	struct pfs_node *n;
	pfs_mkdir_err(parent, name, &n);
	return n;
}

struct pfs_node *pfs_create_file(struct pfs_node *parent, const char *name, unsigned int mode,
				 pfs_show_t show, pfs_store_t store, void *data)
{
	struct pfs_node *n;
	pfs_create_file_err(parent, name, mode, show, store, data, &n);
	return n;
}

struct pfs_node *pfs_mkdir_p(const char *path)
{
	struct pfs_node *cur = &pfs_root;
	char name[PFS_NAME_MAX + 1];
	const char *p = path;

	if (strnlen(path, PFS_PATH_MAX + 1) > PFS_PATH_MAX)
		return NULL;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > PFS_NAME_MAX)
			return NULL;
		memcpy(name, p, len);
		name[len] = 0;
		p += len;

		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			cur = cur->parent ? cur->parent : cur;
			continue;
		}
		struct pfs_node *next = pfs_child_get(cur, name, len);
		/* Another CPU may create it between the two steps: look again. */
		/* a directory made meanwhile is what we wanted */
		if (!next && pfs_add(cur, name, true, PFS_DIR_MODE, NULL, NULL, NULL, &next) &&
		    !(next = pfs_child_get(cur, name, len)))
			return NULL;
		if (!next->is_dir)
			return NULL;
		cur = next;
	}
	return cur;
}

/* Free a detached subtree; files still in a show/store are freed by the last
 * pfs_put. Called with pfs_lock held. */
static void pfs_free_tree(struct pfs_node *n)
{
	struct pfs_node *c = n->children, *next;
	n->children = NULL;
	n->removed = true;
	for (; c; c = next) {
		next = c->next;
		pfs_free_tree(c);
	}
	if (!n->active)
		kfree(n);
}

void pfs_remove(struct pfs_node *node)
{
	if (!node || node == &pfs_root)
		return;
	mutex_lock(&pfs_lock);
	if (!node->removed) {
		struct pfs_node **link = &node->parent->children;
		while (*link && *link != node)
			link = &(*link)->next;
		if (*link)
			*link = node->next;
		node->next = NULL;
		pfs_free_tree(node);
	}
	mutex_unlock(&pfs_lock);
}

static bool pfs_points_into(const struct pfs_node *n, unsigned long start, unsigned long end)
{
	unsigned long p[] = { (unsigned long)n->show, (unsigned long)n->store,
			      (unsigned long)n->append, (unsigned long)n->wait,
			      (unsigned long)n->data };
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (p[i] >= start && p[i] < end)
			return true;
	return false;
}

/* Called with pfs_lock held. */
static size_t pfs_prune(struct pfs_node *dir, unsigned long start, unsigned long end)
{
	size_t n = 0;
	struct pfs_node **link = &dir->children;
	while (*link) {
		struct pfs_node *c = *link;
		if (pfs_points_into(c, start, end)) {
			*link = c->next;
			c->next = NULL;
			pfs_free_tree(c);
			n++;
			continue;
		}
		if (c->is_dir)
			n += pfs_prune(c, start, end);
		link = &c->next;
	}
	return n;
}

size_t pfs_remove_within(unsigned long start, unsigned long end)
{
	mutex_lock(&pfs_lock);
	size_t n = pfs_prune(&pfs_root, start, end);
	mutex_unlock(&pfs_lock);
	return n;
}

int pfs_remove_path(const char *path)
{
	struct pfs_node *n;
	int err = pfs_resolve(path, &n);
	if (err)
		return err;
	if (n == &pfs_root)
		return -EBUSY;
	pfs_remove(n);
	return 0;
}

/* The loaded module whose code a file's show/store is, or NULL (kernel
 * code, built-in modules included, is never freed). */
static struct module *pfs_owner(const struct pfs_node *n)
{
	return module_of_addr((unsigned long)(n->show ? (void *)n->show : (void *)n->store));
}

/* Find the file at path and pin it for a show/store call: the node by its
 * active count, the module whose code it calls by a reference (as Linux's
 * fops->owner), so rmmod cannot free that code while it runs; -ENODEV
 * while the module is going. */
static int pfs_get_file(const char *path, unsigned int need_mode, struct pfs_node **out)
{
	struct pfs_node *n;
	mutex_lock(&pfs_lock);
	int err = pfs_walk(path, &n);
	if (!err && n->is_dir)
		err = -EISDIR;
	if (!err && !(n->mode & need_mode))
		err = -EACCES;
	if (!err && !try_module_get(pfs_owner(n)))
		err = -ENODEV;
	if (!err) {
		n->active++;
		*out = n;
	}
	mutex_unlock(&pfs_lock);
	return err;
}

static void pfs_put(struct pfs_node *n)
{
	module_put(pfs_owner(n));
	mutex_lock(&pfs_lock);
	if (--n->active == 0 && n->removed)
		kfree(n);
	mutex_unlock(&pfs_lock);
}

int pfs_read(const char *path, struct seq_file *m)
{
	struct pfs_node *n;
	int err = pfs_get_file(path, 0444, &n);
	if (err)
		return err;
	err = n->show ? n->show(m, n->data) : -EACCES;
	pfs_put(n);
	/* a buffer that could not grow is not output that was too long */
	if (!err && m->nomem)
		err = -ENOMEM;
	else if (!err && seq_has_overflowed(m))
		err = -EOVERFLOW;
	return err;
}

static ssize_t pfs_do_write(const char *path, const char *buf, size_t len, bool append)
{
	struct pfs_node *n;
	if (len > PFS_WRITE_MAX)
		return -EINVAL;
	int err = pfs_get_file(path, 0222, &n);
	if (err)
		return err;
	ssize_t ret = -EACCES;
	pfs_store_t store = append && n->append ? n->append : n->store;
	if (store) {
		/* store() gets its own NUL-terminated copy, as sysfs does. */
		char *copy = kmalloc(len + 1);
		if (copy) {
			memcpy(copy, buf, len);
			copy[len] = 0;
			ret = store(n->data, copy, len);
			kfree(copy);
		} else {
			ret = -ENOMEM;
		}
	}
	pfs_put(n);
	return ret;
}

ssize_t pfs_write(const char *path, const char *buf, size_t len)
{
	return pfs_do_write(path, buf, len, false);
}

ssize_t pfs_write_append(const char *path, const char *buf, size_t len)
{
	return pfs_do_write(path, buf, len, true);
}

void pfs_set_append(struct pfs_node *file, pfs_store_t append)
{
	file->append = append;
}

void pfs_set_wait(struct pfs_node *file, pfs_wait_t wait)
{
	file->wait = wait;
}

int pfs_wait(const char *path)
{
	struct pfs_node *n;
	int err = pfs_get_file(path, 0444, &n);
	if (err)
		return err;
	err = n->wait ? n->wait(n->data) : 0;
	pfs_put(n);
	return err;
}

bool pfs_is_stream(const struct pfs_node *node)
{
	return node && !node->is_dir && node->wait;
}

int pfs_readdir(const char *path, size_t index, struct pfs_dirent *de)
{
	struct pfs_node *dir;
	mutex_lock(&pfs_lock);
	int ret = pfs_walk(path, &dir);
	if (!ret && !dir->is_dir)
		ret = -ENOTDIR;
	if (!ret) {
		struct pfs_node *c = dir->children;
		while (c && index--)
			c = c->next;
		if (c) {
			strlcpy(de->name, c->name, sizeof(de->name));
			de->is_dir = c->is_dir;
			de->mode = c->mode;
			ret = 1;
		}
	}
	mutex_unlock(&pfs_lock);
	return ret;
}
