/* The CPUs the firmware lists: the MADT's local APICs, reported at boot
 * (smpboot.c starts and parks them; CPU 0 is the only one that runs tasks),
 * and the CPUID APIC ID of the CPU that asks. */
#define pr_fmt(fmt) "smp: " fmt
#include <kelp/printk.h>
#include <kelp/string.h>
#include <asm/io.h>
#include "acpi.h"
#include "pc.h"

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
