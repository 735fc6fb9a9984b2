/* What arch/x86_64/acpi.c found in the ACPI tables: the MADT's CPUs,
 * I/O APICs and interrupt source overrides. Private to arch/x86_64/ (and
 * the self-tests that check the parser). */
#pragma once
#include <kelp/compiler.h>

#define ACPI_MAX_CPUS 64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16

struct acpi_cpu {
	u32 acpi_id; /* the processor UID the DSDT names */
	u32 apic_id; /* local APIC (or x2APIC) ID */
	bool enabled; /* usable now */
	bool online_capable; /* disabled, but may be hot-added */
};

struct acpi_ioapic {
	u32 id;
	u32 addr; /* physical MMIO base */
	u32 gsi_base; /* first global system interrupt of its pins */
};

/* ISA IRQ `irq` arrives on `gsi`; flags are the MPS INTI flags. */
struct acpi_override {
	u8 bus, irq;
	u32 gsi;
	u16 flags;
};
#define ACPI_INTI_POLARITY_MASK 0x3
#define ACPI_INTI_ACTIVE_LOW 0x3
#define ACPI_INTI_TRIGGER_MASK 0xc
#define ACPI_INTI_LEVEL 0xc

struct acpi_madt_info {
	u64 lapic_addr;
	bool pcat_compat; /* an 8259 pair is present (MADT flag bit 0) */
	int nr_cpus;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	int nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	int nr_overrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	int nr_skipped; /* entries beyond the arrays above (reported, not used) */
};

/* Find the RSDP, walk the XSDT (or RSDT) and parse the MADT into
 * acpi_madt. 0, or a negative errno after saying what is wrong. */
int acpi_init(void);
/* The parsed MADT; NULL unless acpi_init() succeeded. */
const struct acpi_madt_info *acpi_madt(void);
/* Where the RSDP was found: "multiboot2" or "bios", NULL if not found. */
const char *acpi_rsdp_source(void);
/* Physical address of the MADT acpi_init() used (0 if none). */
phys_addr_t acpi_madt_phys(void);

/* The RSDP the BIOS areas hold (EBDA, then 0xe0000-0xfffff), checksum
 * checked, or NULL; and the RSDT address it gives. */
const void *acpi_rsdp_bios(void);
u32 acpi_rsdp_rsdt(const void *rsdp);
/* This CPU's local APIC ID as CPUID leaf 1 reports it. */
u32 x86_cpuid_apic_id(void);

/* The parsers, on a table already in memory (for the self-tests too). */
bool acpi_checksum_ok(const void *p, size_t len);
/* 0 and *info filled, or -EINVAL naming the problem (bad signature, length
 * or checksum, truncated entry). */
int acpi_parse_madt(const void *table, size_t len, struct acpi_madt_info *info);
/* The GSI and INTI flags of ISA IRQ irq per the overrides (identity, edge,
 * active high without one). */
u32 acpi_isa_irq_gsi(const struct acpi_madt_info *info, int irq, u16 *flags);
