/* Anti-rollback (docs/SECURITY.md): a blob may carry `klp_version=N` in its
 * .modinfo, which its signature covers. Per module name the loader keeps
 * the highest version it has loaded since boot and refuses an older one,
 * so a replayed old signed blob cannot undo a newer fix after it was
 * unloaded. A blob without klp_version= is version 0. Called under
 * module_mutex, which serialises the table. */
#include "internal.h"
#include <kelp/kstrtox.h>
#include <kelp/string.h>
#include <kelp/errno.h>

#define MODULE_VERSIONS_MAX 256

static struct {
	char name[MODULE_NAME_LEN];
	u64 version;
} versions[MODULE_VERSIONS_MAX];
static unsigned int nr_versions;

static u64 *version_slot(const char *name)
{
	for (unsigned int i = 0; i < nr_versions; i++)
		if (!strcmp(versions[i].name, name))
			return &versions[i].version;
	return NULL;
}

int module_version_parse(const char *str, u64 *ver, char *why, size_t whylen)
{
	*ver = 0;
	if (str && kstrtou64(str, 10, ver)) {
		WHY("bad klp_version=%.24s in .modinfo (a decimal number)", str);
		return -ENOEXEC;
	}
	return 0;
}

int module_version_check(const char *name, u64 ver, char *why, size_t whylen)
{
	u64 *seen = version_slot(name);

	if (seen && ver < *seen) {
		WHY("refusing version %llu of %s: version %llu was loaded", (unsigned long long)ver,
		    name, (unsigned long long)*seen);
		return -EPERM;
	}
	if (!seen && ver && nr_versions == MODULE_VERSIONS_MAX) {
		WHY("refusing version %llu of %s: the version table is full (%d names)",
		    (unsigned long long)ver, name, MODULE_VERSIONS_MAX);
		return -ENOSPC;
	}
	return 0;
}

void module_version_record(const char *name, u64 ver)
{
	u64 *seen = version_slot(name);

	if (seen) {
		if (ver > *seen)
			*seen = ver;
		return;
	}
	/* version 0 is the floor: nothing to remember */
	if (!ver || nr_versions == MODULE_VERSIONS_MAX)
		return;
	strlcpy(versions[nr_versions].name, name, MODULE_NAME_LEN);
	versions[nr_versions++].version = ver;
}
