/* Application processor bring-up: INIT-SIPI-SIPI into the real-mode
 * trampoline (smpboot.asm), long mode on the kernel's tables, then each AP
 * loads its own GDT/TSS/IDT, stack and GS base and parks with interrupts
 * off. Parked CPUs are not in nr_cpus(): nothing (grace periods, the
 * scheduler) waits for them until they run tasks. */
#define pr_fmt(fmt) "smp: " fmt
#include <kelp/bootinfo.h>
#include <kelp/cmdline.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/percpu.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/time.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <asm/io.h>
#include <asm/paging.h>
#include "acpi.h"
#include "apic.h"
#include "pc.h"

#define SMP_TRAMPOLINE 0x8000UL /* must match smpboot.asm */
#define AP_STACK_SIZE 16384
#define CR4_PGE (1UL << 7)

extern const char smp_trampoline_start[], smp_trampoline_end[];
extern const char smp_tr_cr3[], smp_tr_stack[], smp_tr_entry[], smp_tr_cpu[];

/* Written by each AP once its tables are live (its CPUID APIC ID + 1),
 * read by the boot CPU; the release/acquire pair orders the AP's setup
 * before the boot CPU's report. */
static u32 ap_online[MAX_CPUS];
static int cpus_parked;

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
	__atomic_store_n(&ap_online[cpu], x86_cpuid_apic_id() + 1, __ATOMIC_RELEASE);
	/* Parked: no interrupt is routed here and none is enabled. */
	for (;;)
		__asm__ __volatile__("cli; hlt" ::: "memory");
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
	pr_info("CPU %d online (APIC ID %u), parked\n", cpu, apic_id);
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
	int next = 1;
	for (int i = 0; i < m->nr_cpus; i++) {
		const struct acpi_cpu *c = &m->cpus[i];
		if (!c->enabled || c->apic_id == self)
			continue;
		if (next == MAX_CPUS) {
			pr_warn("more than %d CPUs: APIC ID %u and later stay down\n", MAX_CPUS,
				c->apic_id);
			break;
		}
		if (!smp_start_ap(next, c->apic_id, pgd)) {
			next++;
			cpus_parked++;
		}
	}
	paging_trampoline_free(pgd, SMP_TRAMPOLINE);
	pr_info("%d CPU%s online, %d parked (only CPU 0 runs tasks)\n", cpus_parked + 1,
		cpus_parked ? "s" : "", cpus_parked);
}

int smp_cpus_parked(void)
{
	return cpus_parked;
}
