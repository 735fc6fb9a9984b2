/* The CPUs the firmware lists: the MADT's local APICs, reported at boot
 * (smpboot.c starts them), the CPUID APIC ID of the CPU that asks, and the
 * IPIs of <kelp/smp.h>: fixed-vector interrupts to a CPU's APIC ID. */
#define pr_fmt(fmt) "smp: " fmt
#include <kelp/printk.h>
#include <kelp/string.h>
#include <asm/io.h>
#include "acpi.h"
#include "pc.h"
#include "apic.h"
#include <kelp/smp.h>
#include <kelp/irq.h>
#include <arch/trap.h>

u32 cpu_apic_ids[MAX_CPUS];

#define ICR_FIXED 0u

notrace void arch_send_call_ipi(int cpu)
{
	lapic_send_ipi(cpu_apic_ids[cpu], ICR_FIXED | CALL_FUNCTION_VECTOR);
}

notrace void arch_send_reschedule_ipi(int cpu)
{
	lapic_send_ipi(cpu_apic_ids[cpu], ICR_FIXED | RESCHEDULE_VECTOR);
}

static notrace void call_function_trap(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	irq_run_local(smp_call_ipi_handler);
}

static void reschedule_noop(void)
{
}

/* Nothing to do here: TIF_NEED_RESCHED is set, and the way out of the
 * interrupt (irqentry_exit) or the idle loop acts on it. */
static void reschedule_trap(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi();
	irq_run_local(reschedule_noop);
}

void smp_ipi_init(void)
{
	trap_register(CALL_FUNCTION_VECTOR, call_function_trap);
	trap_register(RESCHEDULE_VECTOR, reschedule_trap);
}

void smp_report_cpus(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	if (!m) {
		pr_info("no MADT: 1 CPU assumed\n");
		return;
	}
	char ids[160];
	size_t off = 0;
	int n = 0;
	ids[0] = 0;
	for (int i = 0; i < m->nr_cpus; i++) {
		if (!m->cpus[i].enabled)
			continue;
		n++;
		if (off < sizeof(ids) - 12)
			off += snprintf(ids + off, sizeof(ids) - off, "%s%u", off ? " " : "",
					m->cpus[i].apic_id);
	}
	if (!n) {
		pr_warn("the MADT lists no enabled CPU: 1 CPU assumed\n");
		return;
	}
	pr_info("%d CPU%s found (APIC IDs %s)\n", n, n == 1 ? "" : "s", ids);
}


u32 x86_cpuid_apic_id(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}
