/* /proc/sys/kernel/ftrace_enabled: Linux's kernel.ftrace_enabled sysctl
 * over ftrace_set_enabled() (kernel/trace/ftrace.c). Reads "0" or "1";
 * writing 0 fails with EBUSY while livepatch (a PERMANENT ops) is
 * registered, and while it is 0 a livepatch cannot be enabled. */
#include <kelp/ftrace.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/init.h>

static int ftrace_enabled_show(struct seq_file *m, void *data)
{
	(void)data;
	seq_printf(m, "%d\n", ftrace_is_enabled());
	return 0;
}

static ssize_t ftrace_enabled_store(void *data, const char *buf, size_t len)
{
	char tmp[24];
	int v;
	(void)data;
	strlcpy(tmp, buf, sizeof(tmp));
	if (kstrtoint(strim(tmp), 10, &v) || v < 0)
		return -EINVAL;
	int err = ftrace_set_enabled(v != 0);
	return err ? err : (ssize_t)len;
}

static int ftrace_sysctl_init(void)
{
	struct pfs_node *d = pfs_mkdir_p("/proc/sys/kernel");
	if (!d || !pfs_create_file(d, "ftrace_enabled", 0644, ftrace_enabled_show,
				   ftrace_enabled_store, NULL))
		return -ENOMEM;
	return 0;
}
fs_initcall(ftrace_sysctl_init);
