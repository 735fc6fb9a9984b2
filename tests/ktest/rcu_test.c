/* Grace periods (suite "rcu"): synchronize_rcu() returns once the caller's
 * CPU passed a quiescent state (on one CPU, its own switch away), and the
 * RCU list helpers leave a reader standing on a removed entry a way on. */
#include <kelp/ktest.h>
#include <kelp/rcupdate.h>
#include <kelp/sched.h>
#include <kelp/time.h>

static u64 switches(void)
{
	return READ_ONCE(current->nvcsw) + READ_ONCE(current->nivcsw);
}

KTEST(rcu, grace_period_waits_for_the_callers_switch)
{
	for (int i = 0; i < 20; i++) {
		u64 sw = switches(), gp = rcu_gp_count();
		synchronize_rcu();
		/* The caller slept: its CPU passed a context switch. How long
		 * a grace period takes is a figure (make bench's
		 * rcu_synchronize_idle), not something to assert here. */
		KEXPECT_GT(switches(), sw);
		KEXPECT_EQ(rcu_gp_count(), gp + 1);
	}
	KEXPECT_FALSE(rcu_read_lock_any_held());
	rcu_read_lock();
	KEXPECT_TRUE(rcu_read_lock_any_held());
	rcu_read_unlock();
}

struct item {
	struct list_head node;
	int v;
};

KTEST(rcu, list_del_leaves_a_reader_its_way_on)
{
	LIST_HEAD(head);
	struct item a = { .v = 1 }, b = { .v = 2 }, c = { .v = 3 };
	list_add_tail_rcu(&a.node, &head);
	list_add_tail_rcu(&c.node, &head);
	list_add_rcu(&b.node, &a.node); /* a b c */
	int sum = 0;
	struct item *pos;
	list_for_each_entry_rcu(pos, &head, node)
		sum = sum * 10 + pos->v;
	KEXPECT_EQ(sum, 123);

	/* A reader standing on b when it is removed goes on to c. */
	rcu_read_lock();
	struct item *at = list_entry(rcu_dereference(a.node.next), struct item, node);
	list_del_rcu(&b.node);
	struct item *next = list_entry(rcu_dereference(at->node.next), struct item, node);
	rcu_read_unlock();
	KEXPECT_EQ(at->v, 2);
	KEXPECT_EQ(next->v, 3);
	sum = 0;
	list_for_each_entry_rcu(pos, &head, node)
		sum = sum * 10 + pos->v;
	KEXPECT_EQ(sum, 13);
}
