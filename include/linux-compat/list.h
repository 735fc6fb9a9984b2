/* The patch author's <list.h>: Kelp's lists plus list_del, which Linux
 * code calls and the kernel itself spells list_del_init. Here the entry is
 * left self-linked rather than poisoned. */
#pragma once
#include_next <list.h>

static inline void list_del(struct list_head *e)
{
	list_del_init(e);
}
