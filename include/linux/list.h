/* <linux/list.h>: Kelp's lists plus list_del, which Linux code calls and
 * the kernel itself spells list_del_init. The entry is left self-linked
 * rather than poisoned. */
#pragma once
#include <kelp/list.h>

static inline void list_del(struct list_head *e)
{
	list_del_init(e);
}
