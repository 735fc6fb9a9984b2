/* Self-tests for seq_file and the pseudo-filesystem: building a tree,
 * path rules, reads and writes with their errors, removal and its memory. */
#include <kelp/ktest.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/mm.h>

/* ktest.h's pointer checks do not compile yet (a "const void *" declarator
 * bug), so these tests compare pointers through KEXPECT_TRUE. */
#define P_NULL(p) KEXPECT_TRUE((p) == NULL)
#define P_NOT_NULL(p) KEXPECT_TRUE((p) != NULL)
#define P_ASSERT(p) KASSERT_TRUE((p) != NULL)
#define P_EQ(a, b) KEXPECT_TRUE((a) == (b))

static u64 live_objects(void)
{
	struct kmalloc_stats st;
	kmalloc_get_stats(&st);
	return st.objects_in_use;
}

KTEST(pseudofs, seq_printf_appends)
{
	struct seq_file m = SEQ_FILE_INIT;
	seq_printf(&m, "%d-%s", 42, "x");
	seq_putc(&m, ':');
	seq_puts(&m, "end");
	KEXPECT_EQ(seq_write(&m, "!!", 2), 0);
	KEXPECT_STREQ(m.buf, "42-x:end!!");
	KEXPECT_EQ(m.count, 10);
	KEXPECT_FALSE(seq_has_overflowed(&m));
	seq_file_release(&m);
	P_NULL(m.buf);
}

KTEST(pseudofs, seq_grows_then_overflows)
{
	struct seq_file m = SEQ_FILE_INIT;
	char line[101];
	u64 before = live_objects();
	memset(line, 'a', 100);
	line[100] = 0;
	/* 600 lines of 101 bytes: past the initial buffer, within the cap. */
	for (int i = 0; i < 600; i++)
		seq_printf(&m, "%s\n", line);
	KEXPECT_EQ(m.count, 600 * 101);
	KEXPECT_FALSE(seq_has_overflowed(&m));
	for (int i = 0; i < 100; i++)
		seq_printf(&m, "%s\n", line);
	KEXPECT_TRUE(seq_has_overflowed(&m));
	KEXPECT_EQ(m.count, SEQ_BUF_MAX - 1);
	KEXPECT_EQ(strlen(m.buf), m.count);
	KEXPECT_EQ(seq_write(&m, "x", 1), -1);
	seq_file_release(&m);
	KEXPECT_EQ(live_objects(), before);
}

static int test_show(struct seq_file *m, void *data)
{
	seq_printf(m, "value=%d\n", *(int *)data);
	return 0;
}

static ssize_t test_store(void *data, const char *buf, size_t len)
{
	int v, err = kstrtoint(buf, 0, &v);
	if (err)
		return err;
	if (v == 13)
		return -EBUSY;
	*(int *)data = v;
	return len;
}

KTEST(pseudofs, create_read_write)
{
	int val = 5;
	struct seq_file m = SEQ_FILE_INIT;
	struct pfs_node *d = pfs_mkdir_p("/ktest_pfs/a/b");
	P_ASSERT(d);
	P_ASSERT(pfs_create_file(d, "rw", 0644, test_show, test_store, &val));
	P_ASSERT(pfs_create_file(d, "ro", 0444, test_show, NULL, &val));
	P_ASSERT(pfs_create_file(d, "wo", 0200, NULL, test_store, &val));
	P_NULL(pfs_create_file(d, "rw", 0644, test_show, NULL, &val)); /* taken */
	P_NULL(pfs_mkdir(d, ".."));
	P_NULL(pfs_mkdir(d, "x/y"));
	P_NULL(pfs_mkdir(d, ""));

	KEXPECT_EQ(pfs_read("/ktest_pfs/a/b/rw", &m), 0);
	KEXPECT_STREQ(m.buf, "value=5\n");
	KEXPECT_EQ(pfs_write("/ktest_pfs/a/b/rw", "17\n", 3), 3);
	KEXPECT_EQ(val, 17);
	KEXPECT_EQ(pfs_write("/ktest_pfs/a/b/rw", "abc", 3), -EINVAL);
	KEXPECT_EQ(pfs_write("/ktest_pfs/a/b/rw", "99999999999", 11), -ERANGE);
	KEXPECT_EQ(pfs_write("/ktest_pfs/a/b/rw", "13", 2), -EBUSY);
	KEXPECT_EQ(pfs_write("/ktest_pfs/a/b/ro", "1", 1), -EACCES);
	KEXPECT_EQ(pfs_write("/ktest_pfs/a/b/wo", "8", 1), 1);
	KEXPECT_EQ(val, 8);
	seq_file_reset(&m);
	KEXPECT_EQ(pfs_read("/ktest_pfs/a/b/wo", &m), -EACCES);
	KEXPECT_EQ(pfs_read("/ktest_pfs/a/b", &m), -EISDIR);
	KEXPECT_EQ(pfs_write("/ktest_pfs/a", "1", 1), -EISDIR);
	KEXPECT_EQ(pfs_read("/ktest_pfs/nope", &m), -ENOENT);
	KEXPECT_EQ(pfs_write("/ktest_pfs/nope", "1", 1), -ENOENT);
	seq_file_release(&m);
	pfs_remove(pfs_lookup("/ktest_pfs"));
}

KTEST(pseudofs, path_rules)
{
	struct pfs_node *n, *f;
	char longname[PFS_NAME_MAX + 8];
	struct pfs_node *d = pfs_mkdir_p("/ktest_pfs/dir");
	P_ASSERT(d);
	f = pfs_create_file(d, "f", 0444, test_show, NULL, NULL);
	P_ASSERT(f);
	P_EQ(pfs_lookup("/ktest_pfs/dir"), d);
	P_EQ(pfs_lookup("/ktest_pfs/dir/"), d);
	P_EQ(pfs_lookup("//ktest_pfs///dir//f"), f);
	P_EQ(pfs_lookup("ktest_pfs/dir/f"), f);
	P_EQ(pfs_lookup("/ktest_pfs/./dir/../dir/f"), f);
	P_EQ(pfs_lookup("/../../ktest_pfs/dir"), d);
	P_EQ(pfs_mkdir_p("/ktest_pfs/./dir/"), d);
	KEXPECT_EQ(pfs_resolve("/ktest_pfs/dir/f/", &n), -ENOTDIR);
	KEXPECT_EQ(pfs_resolve("/ktest_pfs/dir/f/x", &n), -ENOTDIR);
	KEXPECT_EQ(pfs_resolve("/ktest_pfs/dir/f/..", &n), -ENOTDIR);
	KEXPECT_EQ(pfs_resolve("/ktest_pfs/dir/g", &n), -ENOENT);
	P_NULL(pfs_mkdir_p("/ktest_pfs/dir/f/sub"));
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	KEXPECT_EQ(pfs_resolve(longname, &n), -ENAMETOOLONG);
	P_NULL(pfs_mkdir(d, longname));
	P_NULL(pfs_mkdir_p(longname));
	longname[PFS_NAME_MAX] = 0; /* exactly the limit is fine */
	n = pfs_mkdir(d, longname);
	P_NOT_NULL(n);
	pfs_remove(n);
	pfs_remove(pfs_lookup("/ktest_pfs"));
}

KTEST(pseudofs, readdir_lists_in_order)
{
	struct pfs_dirent de;
	struct pfs_node *d = pfs_mkdir_p("/ktest_pfs");
	P_ASSERT(d);
	P_ASSERT(pfs_mkdir(d, "sub"));
	P_ASSERT(pfs_create_file(d, "file", 0644, test_show, test_store, NULL));
	KEXPECT_EQ(pfs_readdir("/ktest_pfs", 0, &de), 1);
	KEXPECT_STREQ(de.name, "sub");
	KEXPECT_TRUE(de.is_dir);
	KEXPECT_EQ(pfs_readdir("/ktest_pfs", 1, &de), 1);
	KEXPECT_STREQ(de.name, "file");
	KEXPECT_FALSE(de.is_dir);
	KEXPECT_EQ(de.mode, 0644);
	KEXPECT_EQ(pfs_readdir("/ktest_pfs", 2, &de), 0);
	KEXPECT_EQ(pfs_readdir("/ktest_pfs/file", 0, &de), -ENOTDIR);
	KEXPECT_EQ(pfs_readdir("/ktest_pfs/none", 0, &de), -ENOENT);
	pfs_remove(d);
}

KTEST(pseudofs, remove_subtree_frees_memory)
{
	int val = 1;
	struct seq_file m = SEQ_FILE_INIT;
	u64 before = live_objects();
	struct pfs_node *top = pfs_mkdir_p("/ktest_pfs/p1/p2");
	P_ASSERT(top);
	P_ASSERT(pfs_create_file(top, "a", 0644, test_show, test_store, &val));
	P_ASSERT(pfs_create_file(pfs_lookup("/ktest_pfs/p1"), "b", 0444, test_show, NULL, &val));
	KEXPECT_GT(live_objects(), before);
	KEXPECT_EQ(pfs_read("/ktest_pfs/p1/p2/a", &m), 0);
	seq_file_release(&m);
	KEXPECT_EQ(pfs_remove_path("/ktest_pfs/p1"), 0);
	P_NULL(pfs_lookup("/ktest_pfs/p1/p2/a"));
	P_NULL(pfs_lookup("/ktest_pfs/p1"));
	P_NOT_NULL(pfs_lookup("/ktest_pfs"));
	KEXPECT_EQ(pfs_read("/ktest_pfs/p1/b", &m), -ENOENT);
	KEXPECT_EQ(pfs_remove_path("/ktest_pfs/p1"), -ENOENT);
	KEXPECT_EQ(pfs_remove_path("/"), -EBUSY);
	pfs_remove(pfs_lookup("/ktest_pfs"));
	KEXPECT_EQ(live_objects(), before);
}

/* A show that removes its own file: the node must survive until show returns. */
static int self_removing_show(struct seq_file *m, void *data)
{
	pfs_remove(data);
	seq_puts(m, "still here\n");
	return 0;
}

KTEST(pseudofs, remove_while_in_use_is_deferred)
{
	struct seq_file m = SEQ_FILE_INIT;
	u64 before = live_objects();
	struct pfs_node *d = pfs_mkdir_p("/ktest_pfs");
	P_ASSERT(d);
	P_ASSERT(pfs_create_file(d, "self", 0444, self_removing_show, NULL, d));
	KEXPECT_EQ(pfs_read("/ktest_pfs/self", &m), 0);
	KEXPECT_STREQ(m.buf, "still here\n");
	P_NULL(pfs_lookup("/ktest_pfs"));
	seq_file_release(&m);
	KEXPECT_EQ(live_objects(), before);
}

KTEST(pseudofs, proc_files)
{
	struct seq_file m = SEQ_FILE_INIT;
	KEXPECT_EQ(pfs_read("/proc/cmdline", &m), 0);
	KEXPECT_TRUE(m.count > 0 && m.buf[m.count - 1] == '\n');
	KEXPECT_EQ(pfs_write("/proc/cmdline", "x", 1), -EACCES);
	seq_file_reset(&m);
	KEXPECT_EQ(pfs_read("/proc/meminfo", &m), 0);
	KEXPECT_TRUE(m.buf && !strncmp(m.buf, "MemTotal:", 9));
	P_NOT_NULL(m.buf ? strstr(m.buf, "KmallocObjects:") : NULL);
	seq_file_reset(&m);
	KEXPECT_EQ(pfs_read("/proc/version", &m), 0);
	KEXPECT_TRUE(m.buf && !strncmp(m.buf, "Kelp version ", 13));
	seq_file_reset(&m);
	KEXPECT_EQ(pfs_read("/proc/uptime", &m), 0);
	P_NOT_NULL(m.buf ? strstr(m.buf, " 0.00\n") : NULL);
	seq_file_release(&m);
	P_NOT_NULL(pfs_lookup("/sys/kernel/"));
}
