/* A plain module (not a livepatch): prints a greeting with its parameters
 * on load and says goodbye on unload.
 *   make module P=samples/hello_module.c
 *   build/klpctl load build/patches/hello_module.klp whom=Kelp times=2 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/module.h>

static char *whom = "world";
static int times = 1;
static bool shout;
module_param(whom, charp, 0644);
module_param(times, int, 0644);
module_param(shout, bool, 0644);

static int __init hello_init(void)
{
	if (times < 0 || times > 10)
		return -EINVAL;
	for (int i = 0; i < times; i++)
		pr_info("Hello, %s%s\n", whom, shout ? "!" : ".");
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("Goodbye, %s.\n", whom);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("Kelp");
MODULE_DESCRIPTION("hello world module with parameters");
