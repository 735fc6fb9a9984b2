/* Per-CPU setup for x86_64: GDT with TSS (and an IST stack for double
 * faults), the IDT, and the GS base that points at this CPU's percpu area. */
#include <arch/cpu.h>
#include <asm/io.h>
#include <asm/gdt.h>
#include <arch/trap.h>
#include <kelp/percpu.h>
#include <kelp/string.h>

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct idt_entry {
	u16 off_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 off_mid;
	u32 off_hi;
	u32 zero;
} __packed;

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

struct percpu percpu_areas[MAX_CPUS];
static u64 gdt[MAX_CPUS][9] __aligned(16);
static struct tss tss[MAX_CPUS] __aligned(16);
static struct idt_entry idt[256] __aligned(16);
static u8 df_stack[MAX_CPUS][8192] __aligned(16);
static int cpus_up;

extern const u64 trap_stubs[256]; /* trap_entry.asm */

/* CPUs that run tasks: 0 .. cpus_up - 1 (they come online one at a time,
 * in order). */
int nr_cpus(void)
{
	return __atomic_load_n(&cpus_up, __ATOMIC_ACQUIRE);
}

/* An AP's idle task is listed and its runqueue ready: from here grace
 * periods and the scheduler count it. Release: pairs with nr_cpus(). */
void cpu_set_online(int cpu)
{
	__atomic_store_n(&cpus_up, cpu + 1, __ATOMIC_RELEASE);
}

static void set_gate(int vec, u64 handler, int ist, int dpl)
{
	struct idt_entry *e = &idt[vec];
	e->off_lo = handler & 0xffff;
	e->off_mid = (handler >> 16) & 0xffff;
	e->off_hi = handler >> 32;
	e->selector = GDT_KERNEL_CS;
	e->ist = ist;
	e->type_attr = 0x8e | (dpl << 5); /* present, interrupt gate */
	e->zero = 0;
}

static void idt_build(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, trap_stubs[v], 0, 0);
	/* A double fault may come from a broken stack: give it its own. */
	idt[TRAP_DF].ist = 1;
	/* int3 may be raised from user mode too. */
	set_gate(TRAP_BP, trap_stubs[TRAP_BP], 0, 3);
}

void arch_set_kernel_stack(unsigned long rsp0)
{
	struct percpu *pc = this_cpu();
	tss[pc->cpu_id].rsp[0] = rsp0;
	pc->kernel_stack_top = rsp0;
}

/* GDT with TSS, IDT and GS base for CPU slot `cpu`. */
static void cpu_tables_init(int cpu)
{
	u64 *g = gdt[cpu];
	struct tss *t = &tss[cpu];
	struct percpu *pc = &percpu_areas[cpu];

	g[0] = 0;
	g[1] = 0x00af9a000000ffff; /* 0x08 kernel code, 64-bit */
	g[2] = 0x00cf92000000ffff; /* 0x10 kernel data */
	g[3] = 0x00cffa000000ffff; /* 0x18 user code 32 (unused, keeps sysret's layout) */
	g[4] = 0x00cff2000000ffff; /* 0x20 user data */
	g[5] = 0x00affa000000ffff; /* 0x28 user code, 64-bit */
	u64 tb = (u64)t;
	u64 tl = sizeof(*t) - 1;
	g[6] = (tl & 0xffff) | ((tb & 0xffffff) << 16) | (0x89ULL << 40) | (((tl >> 16) & 0xf) << 48) |
	       (((tb >> 24) & 0xff) << 56);
	g[7] = tb >> 32;

	memset(t, 0, sizeof(*t));
	t->ist[0] = (u64)&df_stack[cpu][sizeof(df_stack[cpu])];
	t->iomap_base = sizeof(*t);

	struct desc_ptr gp = { sizeof(gdt[cpu]) - 1, (u64)g };
	__asm__ __volatile__("lgdt %0\n\t"
			     "pushq %1\n\t"
			     "leaq 1f(%%rip), %%rax\n\t"
			     "pushq %%rax\n\t"
			     "lretq\n"
			     "1:\n\t"
			     "movw %w2, %%ds\n\t"
			     "movw %w2, %%es\n\t"
			     "movw %w2, %%ss\n\t"
			     "xorl %%eax, %%eax\n\t"
			     "movw %%ax, %%fs\n\t"
			     "movw %%ax, %%gs\n\t"
			     :
			     : "m"(gp), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS)
			     : "rax", "memory");
	__asm__ __volatile__("ltr %w0" ::"r"(GDT_TSS));

	if (cpu == 0)
		idt_build();
	struct desc_ptr ip = { sizeof(idt) - 1, (u64)idt };
	__asm__ __volatile__("lidt %0" ::"m"(ip));

	memset(pc, 0, sizeof(*pc));
	pc->self = pc;
	pc->cpu_id = cpu;
	wrmsr(MSR_GS_BASE, (u64)pc);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void arch_cpu_init(void)
{
	cpu_tables_init(cpus_up++);
}

/* An application processor's own tables; it is not counted in nr_cpus()
 * (nothing may wait for it) until cpu_set_online(). */
void cpu_ap_init(int cpu)
{
	cpu_tables_init(cpu);
}
