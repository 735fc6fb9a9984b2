/* Memory bring-up (placeholder until the real mm lands). */
#include <mm.h>

void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(pa + KERNEL_VMA);
}

void mm_init(void)
{
}
