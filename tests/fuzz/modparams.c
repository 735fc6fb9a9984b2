/* Fuzz target: the module parameter string given at load time
 * ("a=1 flag s=\"x y\""), parsed by kernel/module/params.c into a fake
 * module's int, bool and charp parameters. The kernel's own number parsers
 * (kstrto* in lib/string.c) are compiled in under their names; the libc
 * string functions stand in for Kelp's other helpers. */
#define memcpy kelp_memcpy
#define memmove kelp_memmove
#define memset kelp_memset
#define memcmp kelp_memcmp
#define strlen kelp_strlen
#define strnlen kelp_strnlen
#define strcmp kelp_strcmp
#define strncmp kelp_strncmp
#define strchr kelp_strchr
#define strrchr kelp_strrchr
#define strlcpy kelp_strlcpy
#define strlcat kelp_strlcat
#define strstr kelp_strstr
#include "../../lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strlcpy
#undef strlcat
#undef strstr

#include <kelp/module.h>
#include <kelp/mm.h>

extern void *aligned_alloc(size_t align, size_t size);
extern void free(void *p);
extern void *memcpy(void *d, const void *s, size_t n);
extern void *memset(void *d, int c, size_t n);
extern size_t strlen(const char *s);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct data_page {
	char names[3][8];
	int ival;
	bool bval;
	char *sval;
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char *args = aligned_alloc(16, ALIGN_UP(size + 1, 16));
	memcpy(args, data, size);
	args[size] = 0;

	struct data_page *d = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	memset(d, 0, PAGE_SIZE);
	memcpy(d->names[0], "count", 6);
	memcpy(d->names[1], "flag", 5);
	memcpy(d->names[2], "text", 5);
	struct kernel_param kp[3] = {
		{ d->names[0], &d->ival, MODULE_PARAM_INT, 0644 },
		{ d->names[1], &d->bval, MODULE_PARAM_BOOL, 0644 },
		{ d->names[2], &d->sval, MODULE_PARAM_CHARP, 0644 },
	};
	struct module mod;
	memset(&mod, 0, sizeof(mod));
	mod.region[MOD_DATA].base = d;
	mod.region[MOD_DATA].pages = 1;
	mod.kp = kp;
	mod.num_kp = 3;

	char why[128] = "";
	int err = module_parse_params(&mod, args, why, sizeof(why));
	CHECK(err == 0 || err == -EINVAL || err == -ENOENT || err == -ENOMEM || err == -ERANGE);
	CHECK(err == 0 || why[0]);
	CHECK(strlen(why) < sizeof(why));
	if (d->sval)
		CHECK(strlen(d->sval) <= size);
	module_free_params(&mod);
	kfree(mod.args);
	free(d);
	free(args);
	return 0;
}
