/* Hand-written callbacks for cases/callbacks.patch: tools/klp-build
 * --callbacks adds this file to the generated patch (tests/py/test_klp_build.py
 * checks that both ran). */
#include <linux/printk.h>

static int klpb_case_pre_patch(struct klp_object *obj)
{
	(void)obj;
	pr_info("klpb: pre-patch callback ran\n");
	return 0;
}
#define KLPB_PRE_PATCH klpb_case_pre_patch

static void klpb_case_post_unpatch(struct klp_object *obj)
{
	(void)obj;
	pr_info("klpb: post-unpatch callback ran\n");
}
#define KLPB_POST_UNPATCH klpb_case_post_unpatch
