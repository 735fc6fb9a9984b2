/* text_poke: refuses mismatched bytes without writing, writes through the
 * alias (text stays read-only), and the int3 protocol emulates the new
 * instruction for code that runs while a batch is in flight. */
#include <kelp/ktest.h>
#include <kelp/text_poke.h>
#include <kelp/ftrace.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/irq.h>

noinline int text_poke_victim(int x)
{
	barrier();
	return x + 1;
}

noinline int text_poke_other(int x)
{
	barrier();
	return x * 10;
}

static int (*volatile victim_ptr)(int) = text_poke_victim;
static const u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

static void make_jmp(u8 *insn, unsigned long site, unsigned long target)
{
	s32 rel = (s32)(long)(target - (site + 5));
	insn[0] = 0xe9;
	memcpy(insn + 1, &rel, 4);
}

KTEST(text_poke, refuses_mismatched_bytes)
{
	u8 before[5], wrong[5] = { 0xe8, 1, 2, 3, 4 }, junk[5] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	void *site = (void *)text_poke_victim;
	memcpy(before, site, 5);
	KASSERT_TRUE(!memcmp(before, nop5, 5));
	KEXPECT_EQ(text_poke(site, junk, wrong, 5), -EINVAL);
	KEXPECT_TRUE(!memcmp(site, before, 5));
	struct text_poke_loc loc = { .addr = (unsigned long)site };
	memcpy(loc.old, wrong, 5);
	memcpy(loc.new, junk, 5);
	KEXPECT_EQ(text_poke_batch(&loc, 1), -EINVAL);
	KEXPECT_TRUE(!memcmp(site, before, 5));
	KEXPECT_EQ(victim_ptr(1), 2);
}

KTEST(text_poke, text_stays_read_only)
{
	bool w = true, x = false;
	KEXPECT_NE(vmm_lookup((unsigned long)text_poke_victim, &w, &x), 0);
	KEXPECT_FALSE(w);
	KEXPECT_TRUE(x);
	/* a poke that changes nothing still goes through the whole path */
	KEXPECT_EQ(text_poke((void *)text_poke_victim, nop5, nop5, 5), 0);
	KEXPECT_EQ(vmm_count_wx_pages(), 0);
}

KTEST(text_poke, batch_jmp_and_back)
{
	unsigned long site = (unsigned long)text_poke_victim;
	struct text_poke_loc loc = { .addr = site };
	memcpy(loc.old, nop5, 5);
	make_jmp(loc.new, site, (unsigned long)text_poke_other);
	KASSERT_EQ(text_poke_batch(&loc, 1), 0);
	KEXPECT_EQ(*(u8 *)site, 0xe9);
	KEXPECT_EQ(victim_ptr(3), 30);
	struct text_poke_loc back = { .addr = site };
	memcpy(back.old, loc.new, 5);
	memcpy(back.new, nop5, 5);
	KEXPECT_EQ(text_poke_batch(&back, 1), 0);
	KEXPECT_TRUE(!memcmp((void *)site, nop5, 5));
	KEXPECT_EQ(victim_ptr(3), 4);
}

static int hook_result;
static void call_victim(void)
{
	hook_result = victim_ptr(5);
}

KTEST(text_poke, int3_emulates_the_new_instruction)
{
	unsigned long site = (unsigned long)text_poke_victim;
	u64 hits = text_poke_int3_hits();
	struct text_poke_loc loc = { .addr = site };
	memcpy(loc.old, nop5, 5);
	make_jmp(loc.new, site, (unsigned long)text_poke_other);
	text_poke_test_hook = call_victim;
	int err = text_poke_batch(&loc, 1);
	text_poke_test_hook = NULL;
	KASSERT_EQ(err, 0);
	/* the call met the int3 and was sent where the new jmp goes */
	KEXPECT_EQ(text_poke_int3_hits(), hits + 1);
	KEXPECT_EQ(hook_result, 50);

	struct text_poke_loc back = { .addr = site };
	memcpy(back.old, loc.new, 5);
	memcpy(back.new, nop5, 5);
	text_poke_test_hook = call_victim;
	err = text_poke_batch(&back, 1);
	text_poke_test_hook = NULL;
	KEXPECT_EQ(err, 0);
	KEXPECT_EQ(text_poke_int3_hits(), hits + 2);
	KEXPECT_EQ(hook_result, 6); /* the NOP: skipped, body ran */
	KEXPECT_TRUE(!memcmp((void *)site, nop5, 5));
}

/* An interrupt handler calls a function whose site goes, thousands of
 * times, between NOP (the old body), a trampoline call whose IPMODIFY ops
 * redirects (the new body) and `jmp new`; the handler is raised while the
 * int3s are in place. It must see the old or the new behaviour the change
 * allows, never a third: going from `jmp new` back to the trampoline, a
 * skipped call would run the old body. */
#define POKE_TEST_IRQ 5 /* wired to nothing on QEMU's pc machine */
#define BEHAVES_OLD 1   /* victim_ptr(5) == 6 */
#define BEHAVES_NEW 2   /* victim_ptr(5) == 50 */

static volatile int poke_allowed;
static u64 poke_irq_calls, poke_irq_wrong;

static void poke_irq_handler(int irq, void *data)
{
	(void)irq;
	(void)data;
	int r = victim_ptr(5);
	int seen = r == 6 ? BEHAVES_OLD : r == 50 ? BEHAVES_NEW : 0;
	poke_irq_calls++;
	if (!(seen & poke_allowed))
		poke_irq_wrong++;
}

static void raise_poke_irq(void)
{
	arch_irq_inject(POKE_TEST_IRQ);
}

static void redirect_handler(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
			     struct ftrace_regs *fregs)
{
	(void)ip;
	(void)pip;
	(void)op;
	ftrace_regs_set_ip(fregs, (unsigned long)text_poke_other);
}

KTEST(text_poke, irq_sees_old_or_new_body_while_site_changes)
{
	unsigned long site = (unsigned long)text_poke_victim;
	static struct ftrace_ops ops;
	memset(&ops, 0, sizeof(ops));
	ops.func = redirect_handler;
	ops.flags = FTRACE_OPS_FL_IPMODIFY;
	poke_irq_calls = poke_irq_wrong = 0;
	u64 hits = text_poke_int3_hits();
	KASSERT_EQ(irq_register(POKE_TEST_IRQ, poke_irq_handler, NULL), 0);
	text_poke_test_hook = raise_poke_irq;
	int err = 0, rounds = 0;
	for (int r = 0; r < 20 && !err; r++) {
		/* NOP -> trampoline call: either body */
		poke_allowed = BEHAVES_OLD | BEHAVES_NEW;
		err = ftrace_set_filter_ip(&ops, site, 0, 1);
		if (!err)
			err = register_ftrace_function(&ops);
		/* call <-> jmp new: the new body only */
		poke_allowed = BEHAVES_NEW;
		for (int k = 0; k < 100 && !err; k++) {
			err = ftrace_site_set_jmp(site, (unsigned long)text_poke_other);
			if (!err)
				err = ftrace_site_clear_jmp(site);
			rounds++;
		}
		/* trampoline call -> NOP: either body */
		poke_allowed = BEHAVES_OLD | BEHAVES_NEW;
		if (ops.flags & FTRACE_OPS_FL_ENABLED)
			KEXPECT_EQ(unregister_ftrace_function(&ops), 0);
	}
	text_poke_test_hook = NULL;
	KEXPECT_EQ(irq_unregister(POKE_TEST_IRQ, poke_irq_handler), 0);
	KEXPECT_EQ(err, 0);
	KEXPECT_EQ(rounds, 2000);
	/* the handler ran in every batch and met the int3 each time */
	KEXPECT_GE(poke_irq_calls, 4000);
	KEXPECT_GE(text_poke_int3_hits() - hits, poke_irq_calls);
	KEXPECT_EQ(poke_irq_wrong, 0);
	KEXPECT_TRUE(!memcmp((void *)site, nop5, 5));
	KEXPECT_EQ(victim_ptr(5), 6);
}
