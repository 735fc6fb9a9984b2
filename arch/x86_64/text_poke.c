/* text_poke: the one path for writing live kernel code (see text_poke.h).
 * Everything here is notrace: the poke path and the #BP handler must never
 * reach a site that may be under change. */
#define pr_fmt(fmt) "text_poke: " fmt
#include <kelp/text_poke.h>
#include <arch/trap.h>
#include <arch/cpu.h>
#include <kelp/mm.h>
#include <kelp/panic.h>
#include <kelp/printk.h>
#include <kelp/errno.h>
#include <kelp/init.h>
#include <kelp/ksyms.h>
#include <kelp/sched.h>
#include <kelp/smp.h>

#define INT3_INSN 0xcc
#define JMP32_INSN 0xe9
#define CALL_INSN 0xe8

/* The batch being applied; the #BP handler searches it. */
static struct text_poke_loc *volatile poke_batch;
static volatile size_t poke_batch_n;
static u64 poke_int3_hits;
static u64 poke_int3_stale; /* int3s found already rewritten */
#ifdef CONFIG_KTEST
void (*text_poke_test_hook)(void);
#endif

static notrace void poke_sync_core(void)
{
	u32 a = 0, b, c = 0, d;
	/* CPUID is serialising on every x86 CPU (and a VM exit under KVM). */
	__asm__ __volatile__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d)::"memory");
}

static notrace void poke_sync_ipi(void *unused)
{
	(void)unused;
	poke_sync_core();
}

/* The one place where CPUs are brought in step with changed text: every
 * online CPU runs a serialising instruction before this returns. The
 * others run it from the call IPI, which they take only with interrupts
 * on, so each has also left any #BP handler it was in (the handler runs
 * with interrupts off) and any batch table it was reading. */
notrace void text_poke_sync(void)
{
	on_each_cpu(poke_sync_ipi, NULL, true);
}

static notrace void poke_copy(u8 *dst, const u8 *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((volatile u8 *)dst)[i] = src[i];
}

static notrace bool poke_equal(const u8 *a, const u8 *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((const volatile u8 *)a)[i] != b[i])
			return false;
	return true;
}

/* "e8 00 11 22 33" for error lines. */
static notrace const char *poke_hex(char *buf, const void *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *w = buf;
	for (size_t i = 0; i < len; i++) {
		u8 b = ((const volatile u8 *)p)[i];
		if (i)
			*w++ = ' ';
		*w++ = digits[b >> 4];
		*w++ = digits[b & 15];
	}
	*w = 0;
	return buf;
}

/* The frame behind addr: arithmetic for the kernel image (so poking does
 * not run traced code), the page tables for anything else. */
static notrace phys_addr_t poke_phys(unsigned long addr)
{
	extern char __kernel_start[], __kernel_end[];
	if (addr >= (unsigned long)__kernel_start && addr < (unsigned long)__kernel_end)
		return addr - KERNEL_VMA;
	return vmm_lookup(addr, NULL, NULL);
}

/* Write through the alias, page by page (an instruction may cross one). */
static notrace int poke_write(unsigned long addr, const u8 *new, size_t len)
{
	while (len) {
		size_t chunk = MIN(len, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
		phys_addr_t pa = poke_phys(addr);
		if (!pa)
			return -EFAULT;
		unsigned long flags = arch_irq_save();
		u8 *va = vmm_map_alias(pa);
		poke_copy(va, new, chunk);
		vmm_unmap_alias(va);
		arch_irq_restore(flags);
		addr += chunk;
		new += chunk;
		len -= chunk;
	}
	return 0;
}

notrace int text_poke(void *addr, const void *new, const void *old, size_t len)
{
	unsigned long a = (unsigned long)addr;
	if (!len || len > TEXT_POKE_MAX || !poke_phys(a) ||
	    !poke_phys(a + len - 1)) {
		pr_err("refusing to poke %zu bytes at %pS: not mapped\n", len, addr);
		return -EINVAL;
	}
	unsigned long flags = arch_irq_save();
	if (old && !poke_equal(addr, old, len)) {
		arch_irq_restore(flags);
		char hex[3 * TEXT_POKE_MAX + 1];
		pr_err("refusing to poke %pS: expected bytes differ (found %s)\n", addr,
		       poke_hex(hex, addr, len));
		return -EINVAL;
	}
	int err = poke_write(a, new, len);
	text_poke_sync();
	arch_irq_restore(flags);
	if (!err && !poke_equal(addr, new, len))
		err = -EIO;
	if (err)
		pr_err("poke at %pS failed (%d)\n", addr, err);
	return err;
}

static notrace void sort_locs(struct text_poke_loc *v, size_t n)
{
	/* Insertion sort: batches arrive sorted or nearly so. */
	for (size_t i = 1; i < n; i++) {
		struct text_poke_loc t = v[i];
		size_t j = i;
		while (j && v[j - 1].addr > t.addr) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
}

notrace int text_poke_batch(struct text_poke_loc *locs, size_t n)
{
	if (!n)
		return 0;
	sort_locs(locs, n);
	for (size_t i = 0; i < n; i++) {
		unsigned long a = locs[i].addr;
		if ((i && a < locs[i - 1].addr + POKE_INSN_SIZE) || !poke_phys(a) ||
		    !poke_phys(a + POKE_INSN_SIZE - 1)) {
			pr_err("batch: bad site %pS\n", (void *)a);
			return -EINVAL;
		}
		if (!poke_equal((u8 *)a, locs[i].old, POKE_INSN_SIZE)) {
			char h1[3 * TEXT_POKE_MAX + 1], h2[3 * TEXT_POKE_MAX + 1];
			pr_err("batch: refusing to poke %pS: expected %s, found %s\n", (void *)a,
			       poke_hex(h1, locs[i].old, POKE_INSN_SIZE),
			       poke_hex(h2, (void *)a, POKE_INSN_SIZE));
			return -EINVAL;
		}
	}
	/* Publish the batch before the first int3 can be hit. One batch at a
	 * time: callers serialise (ftrace_lock). */
	poke_batch_n = n;
	__atomic_store_n(&poke_batch, locs, __ATOMIC_RELEASE);

	static const u8 int3 = INT3_INSN;
	/* Whoever meets an int3 (an interrupt handler, or another task) gets
	 * the new instruction emulated, calls included; preemption stays off
	 * only to keep the window, and the batch table's life, short. */
	preempt_disable();
	for (size_t i = 0; i < n; i++)
		poke_write(locs[i].addr, &int3, 1);
	text_poke_sync();
#ifdef CONFIG_KTEST
	if (text_poke_test_hook)
		text_poke_test_hook(); /* runs code under change: the int3 path */
#endif
	for (size_t i = 0; i < n; i++)
		poke_write(locs[i].addr + 1, locs[i].new + 1, POKE_INSN_SIZE - 1);
	text_poke_sync();
	for (size_t i = 0; i < n; i++)
		poke_write(locs[i].addr, locs[i].new, 1);
	text_poke_sync();
	preempt_enable();

	/* The #BP handler runs with interrupts off, so once every CPU has
	 * been through text_poke_sync() after this store none is still
	 * reading the table (the release pairs with the handler's acquire). */
	__atomic_store_n(&poke_batch, NULL, __ATOMIC_RELEASE);
	text_poke_sync();
	poke_batch_n = 0;
	for (size_t i = 0; i < n; i++)
		if (!poke_equal((u8 *)locs[i].addr, locs[i].new, POKE_INSN_SIZE)) {
			pr_err("batch: %pS does not read back\n", (void *)locs[i].addr);
			return -EIO;
		}
	return 0;
}

notrace u64 text_poke_int3_hits(void)
{
	return poke_int3_hits;
}

/* A call's push, below the interrupted stack pointer: trap_entry.asm's
 * #BP stub left a gap there (kernel-mode frames only). */
static notrace void int3_emulate_push(struct trap_frame *tf, unsigned long val)
{
	tf->rsp -= sizeof(unsigned long);
	*(unsigned long *)tf->rsp = val;
}

/* Emulate the instruction being written, so that code meeting the int3
 * runs either the old instruction's effect or the new one's and never a
 * third: a `call` is made (for livepatch, going from `jmp new` back to the
 * trampoline, skipping it would run the old body), a `jmp` jumps, a NOP
 * goes on after the site. */
static notrace void poke_int3_handler(struct trap_frame *tf)
{
	struct text_poke_loc *v = __atomic_load_n(&poke_batch, __ATOMIC_ACQUIRE);
	unsigned long ip = tf->rip - 1;

	if (v && !trap_from_user(tf)) {
		size_t lo = 0, hi = poke_batch_n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (v[mid].addr == ip) {
				const u8 *insn = v[mid].new;
				__atomic_fetch_add(&poke_int3_hits, 1, __ATOMIC_RELAXED);
				unsigned long next = ip + POKE_INSN_SIZE;
				if (insn[0] == JMP32_INSN) {
					tf->rip = next + *(const s32 *)(insn + 1);
				} else if (insn[0] == CALL_INSN) {
					int3_emulate_push(tf, next);
					tf->rip = next + *(const s32 *)(insn + 1);
				} else { /* NOP5 */
					tf->rip = next;
				}
				return;
			}
			if (v[mid].addr < ip)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	/* The int3 is gone: this CPU fetched it just before another one
	 * wrote the site's final first byte (an emulator's stale translation
	 * can outlive the sync). Run the site again. */
	if (!trap_from_user(tf) && *(const volatile u8 *)ip != INT3_INSN) {
		__atomic_fetch_add(&poke_int3_stale, 1, __ATOMIC_RELAXED);
		tf->rip = ip;
		return;
	}
	panic_trap(tf, "int3 at %pS (not a site under change)", (void *)ip);
}

notrace bool text_poke_is_handler_text(unsigned long addr)
{
	struct ksym sym;
	return ksym_lookup_addr(addr, &sym, NULL) &&
	       (sym.addr == (unsigned long)poke_int3_handler ||
		sym.addr == (unsigned long)text_poke_batch || sym.addr == (unsigned long)text_poke);
}

static notrace int text_poke_init(void)
{
	trap_register(TRAP_BP, poke_int3_handler);
	return 0;
}
core_initcall(text_poke_init);
