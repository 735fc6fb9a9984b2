/* Seed material for the bad-blob storm (tools/blobstorm.py): a module with
 * text, read-only and writable data, .bss, parameters, relocations of
 * every kind the loader applies (calls into the kernel, absolute pointers
 * in data, 32-bit sign-extended references) and fentry sites, but no
 * init or exit. Mutations of it that are re-signed (valid signature,
 * hostile content) exercise only the loader: none of its code ever runs,
 * so a mutation that still loads cannot crash the kernel by executing
 * garbage, and the storm can demand that it unloads cleanly. Keep every
 * string here free of "init_module" and "cleanup_module". */
#include <linux/module.h>

static int depth = 2;
static bool loud;
static char *tag = "storm";
module_param(depth, int, 0644);
module_param(loud, bool, 0644);
module_param(tag, charp, 0644);

const char storm_ro[] = "storm read-only";
int storm_counter;
static long storm_bss[32];

noinline int storm_fn_a(int x)
{
	storm_counter += x;
	return x + depth;
}

noinline int storm_fn_b(int x)
{
	if (loud)
		pr_info("%s: %d %s\n", tag, x, storm_ro);
	storm_bss[x & 31]++;
	return storm_fn_a(x) * 2;
}

int (*const storm_table[])(int) = { storm_fn_a, storm_fn_b };
void *storm_ptrs[] = { &storm_counter, storm_bss, (void *)storm_ro };

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bad-blob storm seed (never runs)");
