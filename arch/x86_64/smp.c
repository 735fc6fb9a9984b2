/* The CPUs the firmware lists: the MADT's local APICs, reported at boot and
 * counted for arch_cpus_found(). Bringing them up is the next step; until
 * then CPU 0 is the only one that runs. */
#define pr_fmt(fmt) "smp: " fmt
#include <arch/smp.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <asm/io.h>
#include "acpi.h"
#include "pc.h"

static int cpus_found = 1;

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
	cpus_found = n;
	pr_info("%d CPU%s found (APIC IDs %s)\n", n, n == 1 ? "" : "s", ids);
}

int arch_cpus_found(void)
{
	return cpus_found;
}

u32 x86_cpuid_apic_id(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}
