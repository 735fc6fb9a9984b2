/* Self-tests of the ACPI table parser (arch/x86_64/acpi.c): the live tables
 * QEMU gives, and crafted MADTs with good and bad checksums, lengths and
 * entries. `ktest_cpus=N` on the command line (the pytest that boots with
 * -smp N) says how many CPUs the MADT must list. */
#include <kelp/ktest.h>
#include <kelp/bootinfo.h>
#include <kelp/cmdline.h>
#include <kelp/errno.h>
#include <kelp/kstrtox.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include "../../arch/x86_64/acpi.h"

static u8 madt_buf[256];

static struct acpi_madt_info parsed;

/* A MADT of 44 bytes of header plus `len` bytes of entries, checksummed. */
static size_t madt_build(const u8 *entries, size_t len)
{
	memset(madt_buf, 0, sizeof(madt_buf));
	memcpy(madt_buf, "APIC", 4);
	u32 total = 44 + (u32)len;
	memcpy(madt_buf + 4, &total, 4);
	u32 lapic = 0xfee00000, flags = 1;
	memcpy(madt_buf + 36, &lapic, 4);
	memcpy(madt_buf + 40, &flags, 4);
	memcpy(madt_buf + 44, entries, len);
	u8 sum = 0;
	for (u32 i = 0; i < total; i++)
		sum += madt_buf[i];
	madt_buf[9] = (u8)-sum;
	return total;
}

static const u8 sample_entries[] = {
	0, 8,  0, 0, 1,	   0,	 0,    0, /* LAPIC uid 0 id 0 enabled */
	0, 8,  1, 3, 0,	   0,	 0,    0, /* LAPIC uid 1 id 3 disabled */
	9, 16, 0, 0, 0x10, 0x01, 0,    0,    3,	   0, 0, 0, 7, 0, 0, 0, /* x2APIC id 0x110 */
	1, 12, 2, 0, 0,	   0,	 0xc0, 0xfe, 0,	   0, 0, 0, /* I/O APIC 2 at 0xfec00000 */
	2, 10, 0, 0, 2,	   0,	 0,    0,    0,	   0, /* ISA 0 -> GSI 2 */
	2, 10, 0, 9, 9,	   0,	 0,    0,    0x0d, 0, /* ISA 9 -> GSI 9, level high */
};

KTEST(acpi, madt_crafted_parsed)
{
	size_t len = madt_build(sample_entries, sizeof(sample_entries));
	KASSERT_EQ(acpi_parse_madt(madt_buf, len, &parsed), 0);
	KEXPECT_UEQ(parsed.lapic_addr, 0xfee00000);
	KEXPECT_TRUE(parsed.pcat_compat);
	KASSERT_EQ(parsed.nr_cpus, 3);
	KEXPECT_EQ(parsed.cpus[0].apic_id, 0);
	KEXPECT_TRUE(parsed.cpus[0].enabled);
	KEXPECT_EQ(parsed.cpus[1].apic_id, 3);
	KEXPECT_FALSE(parsed.cpus[1].enabled);
	KEXPECT_EQ(parsed.cpus[2].apic_id, 0x110);
	KEXPECT_EQ(parsed.cpus[2].acpi_id, 7);
	KEXPECT_TRUE(parsed.cpus[2].enabled);
	KEXPECT_TRUE(parsed.cpus[2].online_capable);
	KASSERT_EQ(parsed.nr_ioapics, 1);
	KEXPECT_EQ(parsed.ioapics[0].id, 2);
	KEXPECT_UEQ(parsed.ioapics[0].addr, 0xfec00000);
	KEXPECT_EQ(parsed.nr_overrides, 2);
	u16 flags;
	KEXPECT_EQ(acpi_isa_irq_gsi(&parsed, 0, &flags), 2);
	KEXPECT_EQ(flags, 0);
	KEXPECT_EQ(acpi_isa_irq_gsi(&parsed, 9, &flags), 9);
	KEXPECT_EQ(flags & ACPI_INTI_TRIGGER_MASK, ACPI_INTI_LEVEL);
	KEXPECT_EQ(acpi_isa_irq_gsi(&parsed, 4, &flags), 4);
}

KTEST(acpi, madt_bad_checksum_refused)
{
	size_t len = madt_build(sample_entries, sizeof(sample_entries));
	KEXPECT_TRUE(acpi_checksum_ok(madt_buf, len));
	madt_buf[50] ^= 0x40;
	KEXPECT_FALSE(acpi_checksum_ok(madt_buf, len));
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len, &parsed), -EINVAL);
	KEXPECT_EQ(parsed.nr_cpus, 0);
}

KTEST(acpi, madt_bad_shape_refused)
{
	/* Signature. */
	size_t len = madt_build(sample_entries, sizeof(sample_entries));
	madt_buf[0] = 'X';
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len, &parsed), -EINVAL);
	/* The length field beyond the buffer. */
	len = madt_build(sample_entries, sizeof(sample_entries));
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len - 1, &parsed), -EINVAL);
	/* An entry running past the end. */
	static const u8 trunc[] = { 0, 8, 0, 0, 1, 0, 0, 0, 1, 12, 0, 0 };
	len = madt_build(trunc, sizeof(trunc));
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len, &parsed), -EINVAL);
	/* A known type shorter than its fields. */
	static const u8 shortio[] = { 1, 6, 0, 0, 0, 0 };
	len = madt_build(shortio, sizeof(shortio));
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len, &parsed), -EINVAL);
	/* A zero-length entry would loop for ever. */
	static const u8 zero[] = { 0x7f, 0, 0, 0 };
	len = madt_build(zero, sizeof(zero));
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len, &parsed), -EINVAL);
	/* Unknown types are skipped. */
	static const u8 unknown[] = { 0x7f, 4, 0, 0, 0, 8, 0, 5, 1, 0, 0, 0 };
	len = madt_build(unknown, sizeof(unknown));
	KEXPECT_EQ(acpi_parse_madt(madt_buf, len, &parsed), 0);
	KEXPECT_EQ(parsed.nr_cpus, 1);
	KEXPECT_EQ(parsed.cpus[0].apic_id, 5);
}

KTEST(acpi, live_madt_valid)
{
	const struct acpi_madt_info *m = acpi_madt();
	KASSERT_NOT_NULL(m);
	phys_addr_t pa = acpi_madt_phys();
	KASSERT_TRUE(pa != 0);
	const u8 *tbl = phys_to_virt(pa);
	u32 len;
	memcpy(&len, tbl + 4, 4);
	KEXPECT_TRUE(acpi_checksum_ok(tbl, len));
	/* Parsing the live table again gives what boot saw. */
	KASSERT_EQ(acpi_parse_madt(tbl, len, &parsed), 0);
	KEXPECT_EQ(parsed.nr_cpus, m->nr_cpus);
	KEXPECT_EQ(parsed.nr_ioapics, m->nr_ioapics);
	/* QEMU's pc machine: one I/O APIC, the PIT's IRQ 0 on GSI 2, the
	 * boot CPU listed and enabled. */
	KEXPECT_GE(m->nr_ioapics, 1);
	KEXPECT_EQ(acpi_isa_irq_gsi(m, 0, NULL), 2);
	bool boot_cpu = false;
	for (int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == x86_cpuid_apic_id() && m->cpus[i].enabled)
			boot_cpu = true;
	KEXPECT_TRUE(boot_cpu);
}

KTEST(acpi, live_madt_cpu_count)
{
	char buf[16];
	unsigned int want;
	if (!cmdline_get("ktest_cpus", buf, sizeof(buf)) || kstrtouint(buf, 10, &want)) {
		ktest_skip(t, "no ktest_cpus= on the command line");
		return;
	}
	const struct acpi_madt_info *m = acpi_madt();
	KASSERT_NOT_NULL(m);
	int enabled = 0;
	for (int i = 0; i < m->nr_cpus; i++)
		enabled += m->cpus[i].enabled;
	KEXPECT_EQ(enabled, want);
}

KTEST(acpi, bios_scan_finds_the_same_rsdp)
{
	/* GRUB copies the RSDP into the multiboot2 information; the BIOS copy
	 * must point at the same root table. */
	const void *r = acpi_rsdp_bios();
	KASSERT_NOT_NULL(r);
	KEXPECT_TRUE(acpi_checksum_ok(r, 20));
	KEXPECT_STREQ(acpi_rsdp_source(), "multiboot2");
	KASSERT_TRUE(boot_info.acpi_rsdp_len >= 20);
	KEXPECT_UEQ(acpi_rsdp_rsdt(r), acpi_rsdp_rsdt(boot_info.acpi_rsdp));
}
