/* Application processor bring-up: INIT-SIPI-SIPI into the real-mode
 * trampoline (smpboot.asm), long mode on the kernel's tables, then each AP
 * loads its own GDT/TSS/IDT, stack and GS base, its local APIC and syscall
 * MSRs, and parks (halted). With `smp_online`, once the initcalls have run,
 * arch_smp_start() lets them go one at a time: each makes its context its
 * idle task, starts its own LAPIC timer, comes online in nr_cpus() and
 * enters the idle loop. Until then nothing (grace periods, the scheduler)
 * waits for them. Tasks are still created on, and stay on, CPU 0: the
 * others run their idle tasks and take IPIs (the SMP scheduler is the next
 * step). */
#define pr_fmt(fmt) "smp: " fmt
#include <kelp/bootinfo.h>
#include <kelp/cmdline.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/percpu.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/time.h>
#include <kelp/sched.h>
#include <arch/trap.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <asm/io.h>
#include <asm/paging.h>
#include "acpi.h"
#include "apic.h"
#include "pc.h"
#include <kelp/smp.h>

#define SMP_TRAMPOLINE 0x8000UL /* must match smpboot.asm */
#define AP_STACK_SIZE 16384
#define CR4_PGE (1UL << 7)

extern const char smp_trampoline_start[], smp_trampoline_end[];
extern const char smp_tr_cr3[], smp_tr_stack[], smp_tr_entry[], smp_tr_cpu[];

/* Written by each AP once its tables are live (its CPUID APIC ID + 1),
 * read by the boot CPU; the release/acquire pair orders the AP's setup
 * before the boot CPU's report. */
static u32 ap_online[MAX_CPUS];
static int cpus_started;
static void *ap_stacks[MAX_CPUS];
/* The CPU allowed to go on into the scheduler (arch_smp_start), and each
 * CPU's answer; release/acquire pairs as for ap_online. */
static int ap_go;
static int ap_running[MAX_CPUS];

static void tr_set(const char *field, u64 v)
{
	u8 *copy = phys_to_virt(SMP_TRAMPOLINE);
	memcpy(copy + (field - smp_trampoline_start), &v, sizeof(v));
}

static notrace __attribute__((noreturn)) void smp_ap_entry(int cpu)
{
	write_cr3(arch_kernel_pgd());
	write_cr4(read_cr4() | CR4_PGE);
	cpu_ap_init(cpu);
	lapic_ap_init();
	arch_syscall_init_cpu();
	__atomic_store_n(&ap_online[cpu], x86_cpuid_apic_id() + 1, __ATOMIC_RELEASE);
	/* Parked until the scheduler is up and it is this CPU's turn: no
	 * device interrupt is routed here and its timer is masked, so only
	 * the IPI of arch_smp_start() wakes it (tested with interrupts off,
	 * then sti; hlt: that IPI cannot slip in between). */
	for (;;) {
		arch_irq_disable();
		if (__atomic_load_n(&ap_go, __ATOMIC_ACQUIRE) == cpu)
			break;
		arch_idle();
	}
	sched_init_ap(ap_stacks[cpu], (unsigned long)ap_stacks[cpu] + AP_STACK_SIZE);
	lapic_timer_start_ap();
	cpu_set_online(cpu);
	__atomic_store_n(&ap_running[cpu], 1, __ATOMIC_RELEASE);
	cpu_idle_loop();
}

static bool trampoline_page_free(void)
{
	phys_addr_t lo = SMP_TRAMPOLINE, hi = SMP_TRAMPOLINE + PAGE_SIZE;
	/* The boot information is read until the end of boot. */
	return boot_info.mbi_phys + boot_info.mbi_size <= lo || boot_info.mbi_phys >= hi;
}

static int smp_start_ap(int cpu, u32 apic_id, phys_addr_t pgd)
{
	void *stack = kmalloc_aligned(AP_STACK_SIZE, 16);
	if (!stack)
		return -ENOMEM;
	ap_stacks[cpu] = stack;
	tr_set(smp_tr_cr3, pgd);
	tr_set(smp_tr_stack, (u64)stack + AP_STACK_SIZE);
	tr_set(smp_tr_entry, (u64)smp_ap_entry);
	tr_set(smp_tr_cpu, (u64)cpu);
	/* The parameters are in memory before the AP can read them: the IPI
	 * is an MMIO or MSR write, ordered after these stores on x86. */
	int err = lapic_send_init(apic_id);
	mdelay(10);
	for (int i = 0; !err && i < 2 && !__atomic_load_n(&ap_online[cpu], __ATOMIC_ACQUIRE); i++) {
		err = lapic_send_startup(apic_id, SMP_TRAMPOLINE);
		udelay(200);
	}
	u64 until = ktime_get_ns() + 500 * NSEC_PER_MSEC;
	while (!err && !__atomic_load_n(&ap_online[cpu], __ATOMIC_ACQUIRE)) {
		if (ktime_get_ns() > until) {
			err = -ETIMEDOUT;
			break;
		}
		arch_cpu_relax();
	}
	if (err) {
		/* The stack stays: a late AP could still be on it. */
		pr_err("CPU %d (APIC ID %u) did not come up: %d\n", cpu, apic_id, err);
		return err;
	}
	u32 seen = ap_online[cpu] - 1;
	if (seen != apic_id)
		pr_warn("CPU %d reports APIC ID %u, the MADT says %u\n", cpu, seen, apic_id);
	pr_info("CPU %d started (APIC ID %u)\n", cpu, apic_id);
	return 0;
}

void smp_boot_aps(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	if (!m || !pc_apic_mode || cmdline_has("nosmp"))
		return;
	size_t len = (size_t)(smp_trampoline_end - smp_trampoline_start);
	if (!trampoline_page_free() || len > PAGE_SIZE) {
		pr_err("the trampoline page %#lx is not free: APs stay down\n", SMP_TRAMPOLINE);
		return;
	}
	phys_addr_t pgd = paging_trampoline_pgd(SMP_TRAMPOLINE);
	if (!pgd) {
		pr_err("no memory for the trampoline's page table: APs stay down\n");
		return;
	}
	memcpy(phys_to_virt(SMP_TRAMPOLINE), smp_trampoline_start, len);
	u32 self = lapic_id();
	cpu_apic_ids[0] = self;
	smp_ipi_init();
	int next = 1;
	if (!lapic_timer_started()) {
		/* The PIT is the boot CPU's tick: the others would have none. */
		pr_info("no LAPIC timer: APs stay down\n");
		return;
	}
	for (int i = 0; i < m->nr_cpus; i++) {
		const struct acpi_cpu *c = &m->cpus[i];
		if (!c->enabled || c->apic_id == self)
			continue;
		if (next == MAX_CPUS) {
			pr_warn("more than %d CPUs: APIC ID %u and later stay down\n", MAX_CPUS,
				c->apic_id);
			break;
		}
		cpu_apic_ids[next] = c->apic_id;
		if (!smp_start_ap(next, c->apic_id, pgd)) {
			next++;
			cpus_started++;
		}
	}
	paging_trampoline_free(pgd, SMP_TRAMPOLINE);
}

int smp_cpus_started(void)
{
	return cpus_started;
}

/* After sched_init(): the started APs join the scheduler in order, so the
 * online CPUs are always 0 .. nr_cpus() - 1. */
void arch_smp_start(void)
{
	if (cpus_started && !cmdline_has("smp_online")) {
		pr_info("%d CPU%s started and parked (smp_online lets them run)\n", cpus_started,
			cpus_started == 1 ? "" : "s");
		return;
	}
	for (int cpu = 1; cpu <= cpus_started; cpu++) {
		__atomic_store_n(&ap_go, cpu, __ATOMIC_RELEASE);
		arch_send_reschedule_ipi(cpu);
		u64 until = ktime_get_ns() + 2000 * NSEC_PER_MSEC;
		while (!__atomic_load_n(&ap_running[cpu], __ATOMIC_ACQUIRE) &&
		       ktime_get_ns() < until)
			arch_cpu_relax();
		if (!__atomic_load_n(&ap_running[cpu], __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&ap_go, 0, __ATOMIC_RELEASE);
			pr_err("CPU %d did not join the scheduler: it and later ones stay down\n",
			       cpu);
			break;
		}
		pr_info("CPU %d online\n", cpu);
	}
	pr_info("%d CPU%s online\n", nr_cpus(), nr_cpus() == 1 ? "" : "s");
}
