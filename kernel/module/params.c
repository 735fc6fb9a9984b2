/* Module parameters given at load time ("a=1 flag s=text"): applied to the
 * module's __param entries (module_param(name, int|bool|charp, perm)) before
 * its init runs. charp values are kmalloc'd copies owned by the module. */
#include <kelp/module.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/printk.h>

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

static const char *type_name(u32 t)
{
	return t == MODULE_PARAM_INT ? "int" : t == MODULE_PARAM_BOOL ? "bool" : "charp";
}

/* The entry's name and argument must lie in the module's own memory: the
 * blob is signed, but a wild pointer here would be written through. */
static bool kp_sane(struct module *mod, const struct kernel_param *kp)
{
	if (mod->num_kp > 64)
		return false;
	unsigned long n = (unsigned long)kp->name, a = (unsigned long)kp->arg;
	const struct module_region *d = &mod->region[MOD_DATA];
	bool name_ok = false;
	for (int i = 0; i < MOD_NR_REGIONS; i++) {
		const struct module_region *r = &mod->region[i];
		unsigned long b = (unsigned long)r->base, e = b + r->pages * PAGE_SIZE;
		if (r->base && n >= b && n < e && strnlen((const char *)n, e - n) < e - n)
			name_ok = true;
	}
	size_t sz = kp->type == MODULE_PARAM_INT ? sizeof(int) :
		    kp->type == MODULE_PARAM_BOOL ? sizeof(bool) : sizeof(char *);
	unsigned long b = (unsigned long)d->base, e = b + d->pages * PAGE_SIZE;
	return name_ok && d->base && a >= b && a + sz <= e && kp->type >= MODULE_PARAM_INT &&
	       kp->type <= MODULE_PARAM_CHARP;
}

/* module_param() names a C variable: anything else (or a name given twice)
 * is a damaged table, and would not make a /sys/module/.../parameters file. */
static bool kp_name_ok(struct module *mod, unsigned int i)
{
	const char *n = mod->kp[i].name;
	size_t len = strnlen(n, PFS_NAME_MAX + 1);
	if (!len || len > PFS_NAME_MAX || (n[0] >= '0' && n[0] <= '9'))
		return false;
	for (size_t j = 0; j < len; j++) {
		char c = n[j];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	for (unsigned int j = 0; j < i; j++)
		if (!strcmp(mod->kp[j].name, n))
			return false;
	return true;
}

static int set_one(struct module *mod, const char *name, const char *val, char *why,
		   size_t whylen)
{
	for (unsigned int i = 0; i < mod->num_kp; i++) {
		struct kernel_param *kp = &mod->kp[i];
		if (strcmp(kp->name, name))
			continue;
		switch (kp->type) {
		case MODULE_PARAM_INT: {
			int v;
			if (val && kstrtoint(val, 0, &v) == -ERANGE) {
				WHY("value '%s' for parameter '%s' out of range (int)", val, name);
				return -ERANGE;
			}
			if (!val || kstrtoint(val, 0, &v))
				break;
			*(int *)kp->arg = v;
			return 0;
		}
		case MODULE_PARAM_BOOL: {
			bool v = true;
			if (val && kstrtobool(val, &v))
				break;
			*(bool *)kp->arg = v;
			return 0;
		}
		case MODULE_PARAM_CHARP: {
			if (!val)
				break;
			char *copy = kstrdup(val);
			if (!copy) {
				WHY("out of memory");
				return -ENOMEM;
			}
			if (!mod->charp_vals) {
				mod->charp_vals = kzalloc(mod->num_kp * sizeof(char *));
				if (!mod->charp_vals) {
					kfree(copy);
					WHY("out of memory");
					return -ENOMEM;
				}
			}
			kfree(mod->charp_vals[i]);
			mod->charp_vals[i] = copy;
			*(char **)kp->arg = copy;
			return 0;
		}
		}
		WHY("bad value '%s' for parameter '%s' (%s)", val ? val : "", name,
		    type_name(kp->type));
		return -EINVAL;
	}
	/* as Linux: a parameter the module does not declare is not an error */
	pr_warn("%s: unknown parameter '%s' ignored\n", mod->name, name);
	return 0;
}

int module_parse_params(struct module *mod, const char *args, char *why, size_t whylen)
{
	for (unsigned int i = 0; i < mod->num_kp; i++)
		if (!kp_sane(mod, &mod->kp[i]) || !kp_name_ok(mod, i)) {
			WHY("malformed module parameter table");
			return -ENOEXEC;
		}
	if (!*args)
		return 0;
	mod->args = kstrdup(args);
	char *buf = kstrdup(args);
	if (!mod->args || !buf) {
		kfree(buf);
		WHY("out of memory");
		return -ENOMEM;
	}
	int err = 0;
	char *p = buf;
	while (*p && !err) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		char *word = p;
		/* a value may be double-quoted to hold spaces: s="a b" */
		bool quoted = false;
		while (*p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (*p)
			*p++ = 0;
		char *eq = strchr(word, '=');
		char *val = NULL;
		if (eq) {
			*eq = 0;
			val = eq + 1;
			size_t n = strlen(val);
			if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
				val[n - 1] = 0;
				val++;
			}
		}
		err = set_one(mod, word, val, why, whylen);
	}
	kfree(buf);
	return err;
}

void module_free_params(struct module *mod)
{
	if (mod->charp_vals) {
		for (unsigned int i = 0; i < mod->num_kp; i++)
			kfree(mod->charp_vals[i]);
		kfree(mod->charp_vals);
		mod->charp_vals = NULL;
	}
}

/* ---- /sys/module/<name>/parameters ---- */

static int param_show(struct seq_file *m, void *data)
{
	const struct kernel_param *kp = data;
	switch (kp->type) {
	case MODULE_PARAM_INT:
		seq_printf(m, "%d\n", READ_ONCE(*(int *)kp->arg));
		break;
	case MODULE_PARAM_BOOL:
		seq_printf(m, "%c\n", READ_ONCE(*(bool *)kp->arg) ? 'Y' : 'N');
		break;
	default: {
		const char *v = READ_ONCE(*(char **)kp->arg);
		seq_printf(m, "%s\n", v ? v : "(null)");
	}
	}
	return 0;
}

static ssize_t param_store(void *data, const char *buf, size_t len)
{
	const struct kernel_param *kp = data;
	char val[32];
	size_t n = len;
	if (len >= sizeof(val))
		return -EINVAL;
	memcpy(val, buf, len);
	val[len] = 0;
	while (n && (val[n - 1] == '\n' || val[n - 1] == ' '))
		val[--n] = 0;
	if (kp->type == MODULE_PARAM_INT) {
		int v, err = kstrtoint(val, 0, &v);
		if (err)
			return err;
		WRITE_ONCE(*(int *)kp->arg, v);
	} else {
		bool v;
		if (kstrtobool(val, &v))
			return -EINVAL;
		WRITE_ONCE(*(bool *)kp->arg, v);
	}
	return (ssize_t)len;
}

/* Called after module_parse_params() checked the table (kp_sane). The
 * files go with the module's directory. */
int module_params_sysfs_add(struct module *mod, struct pfs_node *moddir)
{
	struct pfs_node *dir = NULL;
	for (unsigned int i = 0; i < mod->num_kp; i++) {
		struct kernel_param *kp = &mod->kp[i];
		unsigned int mode = kp->perm & 0666;
		if (!mode)
			continue;
		if (kp->type == MODULE_PARAM_CHARP)
			mode &= 0444;
		if (!dir && !(dir = pfs_mkdir(moddir, "parameters")))
			return -ENOMEM;
		if (!pfs_create_file(dir, kp->name, mode, param_show,
				     (mode & 0222) ? param_store : NULL, kp))
			return -ENOMEM;
	}
	return 0;
}
