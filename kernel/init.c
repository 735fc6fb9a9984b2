/* Runs the initcalls registered by subsystems, level by level. */
#include <kelp/init.h>
#include <kelp/printk.h>

extern const initcall_t __start_initcalls[], __stop_initcalls[];

void do_initcalls(void)
{
	for (const initcall_t *fn = __start_initcalls; fn < __stop_initcalls; fn++) {
		int err = (*fn)();
		if (err)
			pr_err("initcall %pS failed: %d\n", (void *)*fn, err);
	}
}
