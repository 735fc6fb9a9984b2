/* Livepatch redirection: one klp_ops (an IPMODIFY ftrace_ops) per patched
 * function, holding the stack of klp_funcs that replace it, newest first,
 * and the ftrace handler that picks the entry the running task must see.
 * Two fast paths: while the klp_ops is its site's only ops, the site calls
 * the arch's livepatch trampoline of that klp_ops (ftrace's direct call,
 * arch/x86_64/klp_tramp.asm), which makes the handler's choice without the
 * generic trampoline's frame; and once no transition involves a function
 * whose top entry is a real replacement, its fentry site becomes a plain
 * `jmp new_func` and nothing runs before it. */
#define pr_fmt(fmt) "livepatch: " fmt
#include "core.h"
#include <kelp/ftrace.h>
#include <kelp/sched.h>
#include <kelp/mm.h>
#include <kelp/errno.h>
#include <kelp/panic.h>
#include <kelp/barrier.h>
#include <kelp/rcupdate.h>
#include <kelp/percpu.h>
#include <arch/livepatch.h>

/* The layout klp_tramp.asm reads (arch/x86_64/klp_offsets.inc). */
BUILD_BUG_ON(offsetof(struct percpu, current_task) != 16);
BUILD_BUG_ON(offsetof(struct task, patch_state) != 184);
BUILD_BUG_ON(sizeof(((struct task *)0)->patch_state) != 4);
BUILD_BUG_ON(offsetof(struct klp_func, new_func) != 8);
BUILD_BUG_ON(offsetof(struct klp_func, stack_node) != 72);
BUILD_BUG_ON(offsetof(struct klp_func, nop) != 88);
BUILD_BUG_ON(offsetof(struct klp_func, transition) != 90);
BUILD_BUG_ON(sizeof(bool) != 1);
BUILD_BUG_ON(KLP_UNPATCHED != 0);
BUILD_BUG_ON(ARCH_KLP_NR_TRAMPS != 64);

struct klp_ops {
	struct list_head node;		/* in klp_ops_list */
	struct list_head func_stack;	/* klp_func.stack_node, newest first */
	struct ftrace_ops fops;
	void *old_func;
	unsigned long jmp;		/* fast path target installed, or 0 */
	int tramp; /* arch_klp_tramp_stack slot, or -1 */
};

/* Which arch trampolines are taken, under klp_mutex. A slot goes back only
 * after unregister_ftrace_function()'s grace period: no CPU is still in
 * the trampoline reading the old stack. */
static bool klp_tramp_used[ARCH_KLP_NR_TRAMPS];

static void klp_tramp_get(struct klp_ops *ops)
{
	ops->tramp = -1;
	for (int i = 0; i < ARCH_KLP_NR_TRAMPS; i++)
		if (!klp_tramp_used[i]) {
			klp_tramp_used[i] = true;
			/* Published before the site can call it: the
			 * registration's text poke orders the store. */
			WRITE_ONCE(arch_klp_tramp_stack[i], &ops->func_stack);
			ops->tramp = i;
			ops->fops.direct = arch_klp_tramp_table[i];
			return;
		}
	/* None left: the generic trampoline and klp_ftrace_handler(). */
}

static void klp_tramp_put(struct klp_ops *ops)
{
	if (ops->tramp < 0)
		return;
	WRITE_ONCE(arch_klp_tramp_stack[ops->tramp], NULL);
	klp_tramp_used[ops->tramp] = false;
	ops->tramp = -1;
	ops->fops.direct = 0;
}

/* Written under klp_mutex; also read without it by the stack checks of
 * klp_sched_try_switch (interrupts off: an RCU reader). Entries leave with
 * list_del_rcu and are freed after a grace period. */
static LIST_HEAD(klp_ops_list);

struct klp_ops *klp_find_ops(void *old_func)
{
	struct klp_ops *ops;
	list_for_each_entry_rcu(ops, &klp_ops_list, node)
		if (ops->old_func == old_func)
			return ops;
	return NULL;
}

int klp_nr_ops(void)
{
	struct klp_ops *ops;
	int n = 0;
	list_for_each_entry(ops, &klp_ops_list, node)
		n++;
	return n;
}

struct klp_func *klp_ops_top(struct klp_ops *ops)
{
	return list_empty(&ops->func_stack) ? NULL
					    : list_first_entry(&ops->func_stack, struct klp_func, stack_node);
}

/* The entry below func, or NULL when func is the bottom one. */
struct klp_func *klp_ops_next(struct klp_ops *ops, struct klp_func *func)
{
	if (func->stack_node.next == &ops->func_stack)
		return NULL;
	return list_entry(func->stack_node.next, struct klp_func, stack_node);
}

/* Runs at the start of every call to a patched function on the generic
 * trampoline path (a site shared with other ops, or no arch trampoline
 * left; arch/x86_64/klp_tramp.asm makes the same choice otherwise), in any
 * context: notrace, and nothing here may sleep or schedule.
 * An RCU reader (preemption off): klp_synchronize_transition() is a grace
 * period, after which no handler still looks at the old state, and func
 * stack entries and klp_ops are freed only after one. The tracer's recursion guard is held around
 * us, so the task must not switch out here (the guard is per CPU): hence
 * the no-resched enable. */
static notrace void klp_ftrace_handler(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *fops, struct ftrace_regs *fregs)
{
	struct klp_ops *ops = container_of(fops, struct klp_ops, fops);
	struct list_head *first;
	struct klp_func *func;
	(void)ip;
	(void)parent_ip;

	rcu_read_lock();
	first = rcu_dereference(ops->func_stack.next);
	if (unlikely(first == &ops->func_stack))
		goto out; /* the stack emptied under a late call: run the original */
	func = list_entry(first, struct klp_func, stack_node);

	/* Pairs with the smp_wmb() in __klp_enable_patch()/klp_init_transition():
	 * if we see a func newly published on the stack, we also see its
	 * transition flag (set before publication). Pairs with the smp_wmb()
	 * at the end of klp_complete_transition()'s flag clearing as well. */
	smp_rmb();

	if (unlikely(READ_ONCE(func->transition))) {
		/* Pairs with the smp_wmb() in klp_init_transition() between
		 * the patch_state initialisation and func->transition = true:
		 * a func in transition implies an initialised patch_state. */
		smp_rmb();
		int state = READ_ONCE(current->patch_state);
		if (state == KLP_UNPATCHED) {
			/* This task still runs the previous code: the next
			 * entry, or the original function when there is none. */
			struct list_head *next = rcu_dereference(func->stack_node.next);
			if (next == &ops->func_stack)
				goto out;
			func = list_entry(next, struct klp_func, stack_node);
		}
	}

	/* A nop means "the original": resuming at the function itself would
	 * enter this handler again, forever. */
	if (func->nop)
		goto out;
	ftrace_regs_set_ip(fregs, (unsigned long)func->new_func);
out:
	rcu_read_unlock_no_resched();
}

static void klp_unpatch_func(struct klp_func *func)
{
	struct klp_ops *ops;

	if (WARN_ON(!func->patched))
		return;
	ops = klp_find_ops(func->old_func);
	if (WARN_ON(!ops))
		return;
	if (list_is_singular(&ops->func_stack)) {
		unsigned long ip = (unsigned long)func->old_func;
		if (ops->jmp)
			ftrace_site_clear_jmp(ip);
		list_del_rcu(&ops->node);
		/* Waits a grace period once the site no longer calls the
		 * handler: nothing reads ops or its stack afterwards. */
		unregister_ftrace_function(&ops->fops);
		klp_tramp_put(ops);
		INIT_LIST_HEAD(&func->stack_node);
		kfree(ops);
	} else {
		/* The jmp may target func itself: back to the handler path
		 * until klp_fast_path_update() looks at the new top. */
		if (ops->jmp) {
			ftrace_site_clear_jmp((unsigned long)ops->old_func);
			ops->jmp = 0;
		}
		/* A handler standing on func still finds the entries below;
		 * func itself is freed (nops, a freed patch) only after a
		 * klp_synchronize_transition(). */
		list_del_rcu(&func->stack_node);
	}
	func->patched = false;
}

static int klp_patch_func(struct klp_func *func)
{
	struct klp_ops *ops;
	int ret;

	if (WARN_ON(!func->old_func) || WARN_ON(func->patched))
		return -EINVAL;
	ops = klp_find_ops(func->old_func);
	if (!ops) {
		unsigned long ip = ftrace_location((unsigned long)func->old_func);
		if (!ip) {
			pr_err("failed to find location for function '%s'\n", func->old_name);
			return -EINVAL;
		}
		ops = kzalloc(sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		ops->fops.func = klp_ftrace_handler;
		/* No SAVE_REGS: the tracer honours a new ip with the
		 * argument-only frame (Linux's FTRACE_WITH_ARGS), cheaper. */
		ops->fops.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT;
		ops->old_func = func->old_func;
		INIT_LIST_HEAD(&ops->func_stack);
		list_add(&func->stack_node, &ops->func_stack);
		klp_tramp_get(ops);

		ret = ftrace_set_filter_ip(&ops->fops, ip, 0, 0);
		if (ret) {
			pr_err("failed to set ftrace filter for function '%s' (%d)\n", func->old_name, ret);
			goto err;
		}
		ret = register_ftrace_function(&ops->fops);
		if (ret) {
			pr_err("failed to register ftrace handler for function '%s' (%d)\n",
			       func->old_name, ret);
			ftrace_free_filter(&ops->fops);
			goto err;
		}
		list_add_rcu(&ops->node, &klp_ops_list);
	} else {
		/* Publish at the head: func (and its transition flag) is
		 * fully written before the handler can reach it; the
		 * smp_wmb() in list_add_rcu() pairs with the handler's first
		 * smp_rmb(). */
		list_add_rcu(&func->stack_node, &ops->func_stack);
	}
	func->patched = true;
	return 0;
err:
	/* Never registered, or unregistered by the failed call itself: no
	 * site calls the trampoline. */
	klp_tramp_put(ops);
	list_del_init(&func->stack_node);
	kfree(ops);
	return ret;
}

static void __klp_unpatch_object(struct klp_object *obj, bool nops_only)
{
	struct klp_func *func;
	klp_for_each_func(obj, func) {
		if (nops_only && !func->nop)
			continue;
		if (func->patched)
			klp_unpatch_func(func);
	}
	if (obj->dynamic || !nops_only)
		obj->patched = false;
}

void klp_unpatch_object(struct klp_object *obj)
{
	__klp_unpatch_object(obj, false);
}

int klp_patch_object(struct klp_object *obj)
{
	struct klp_func *func;
	int ret;

	if (WARN_ON(obj->patched))
		return -EINVAL;
	klp_for_each_func(obj, func) {
		ret = klp_patch_func(func);
		if (ret) {
			klp_unpatch_object(obj);
			return ret;
		}
	}
	obj->patched = true;
	/* A module coming during a transition: its functions join the
	 * stack checks. */
	klp_transition_object_patched();
	return 0;
}

static void __klp_unpatch_objects(struct klp_patch *patch, bool nops_only)
{
	struct klp_object *obj;
	klp_for_each_object(patch, obj)
		if (obj->patched)
			__klp_unpatch_object(obj, nops_only);
}

void klp_unpatch_objects(struct klp_patch *patch)
{
	__klp_unpatch_objects(patch, false);
}

void klp_unpatch_objects_dynamic(struct klp_patch *patch)
{
	__klp_unpatch_objects(patch, true);
}

/* Put the trampoline call back on every function this patch touches,
 * before its transition starts: during a transition the right target
 * depends on the calling task, which a jmp cannot express. */
void klp_fast_path_clear(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;
	klp_for_each_object(patch, obj)
		klp_for_each_func(obj, func) {
			struct klp_ops *ops = klp_find_ops(func->old_func);
			if (ops && ops->jmp) {
				ftrace_site_clear_jmp((unsigned long)ops->old_func);
				ops->jmp = 0;
			}
		}
}

/* With no transition running, every task sees the top entry of every
 * stack: where that is a real replacement, jump to it directly. A site
 * shared with another ops refuses (-EBUSY) and keeps the handler path. */
void klp_fast_path_update(void)
{
	struct klp_ops *ops;
	if (klp_transition_patch)
		return;
	list_for_each_entry(ops, &klp_ops_list, node) {
		struct klp_func *top = klp_ops_top(ops);
		unsigned long want = top && !top->nop && !top->transition ? (unsigned long)top->new_func : 0;
		if (want == ops->jmp)
			continue;
		if (want && !ftrace_site_set_jmp((unsigned long)ops->old_func, want)) {
			ops->jmp = want;
		} else if (ops->jmp) {
			ftrace_site_clear_jmp((unsigned long)ops->old_func);
			ops->jmp = 0;
		}
	}
}
