/* Kernel-only side of blob signing: the module.sig_enforce command line
 * switch (it can only turn enforcement off; nothing at run time turns it
 * off) and where the running kernel's build ID is found. */
#define pr_fmt(fmt) "module: " fmt
#include "signature.h"
#include <kelp/cmdline.h>
#include <kelp/init.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>

static int module_sig_setup(void)
{
	char v[8];
	bool on;

	if (cmdline_get("module.sig_enforce", v, sizeof(v)) && !kstrtobool(v, &on) && !on) {
		module_sig_enforce = false;
		pr_info("signature enforcement disabled on the command line\n");
	}
	return 0;
}
core_initcall(module_sig_setup);

extern const u8 __build_id_note[];

/* The note is namesz, descsz, type, then "GNU\0" and the ID itself. */
int kernel_build_id(const u8 **id, size_t *len)
{
	u32 namesz, descsz, type;

	memcpy(&namesz, __build_id_note, 4);
	memcpy(&descsz, __build_id_note + 4, 4);
	memcpy(&type, __build_id_note + 8, 4);
	if (namesz != 4 || type != 3 || memcmp(__build_id_note + 12, "GNU", 4) || !descsz ||
	    descsz > 64)
		return -ENOENT;
	*id = __build_id_note + 16;
	*len = descsz;
	return 0;
}
