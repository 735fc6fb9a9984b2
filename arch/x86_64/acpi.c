/* ACPI table discovery: the RSDP (the multiboot2 loader's copy, else the
 * BIOS areas), the XSDT or RSDT, and the MADT, whose CPUs, I/O APICs and
 * interrupt source overrides the APIC drivers and the CPU report use.
 * Every table's checksum is checked before anything in it is believed. */
#define pr_fmt(fmt) "ACPI: " fmt
#include "acpi.h"
#include <kelp/bootinfo.h>
#include <kelp/errno.h>
#include <kelp/mm.h>
#include <kelp/printk.h>
#include <kelp/string.h>

struct acpi_rsdp {
	char sig[8]; /* "RSD PTR " */
	u8 checksum; /* over the first 20 bytes */
	char oem[6];
	u8 revision; /* 0: ACPI 1.0 (RSDT only), 2+: the fields below exist */
	u32 rsdt;
	u32 length;
	u64 xsdt;
	u8 xchecksum; /* over `length` bytes */
	u8 reserved[3];
} __attribute__((packed));

struct acpi_header {
	char sig[4];
	u32 length;
	u8 revision, checksum;
	char oem[6], oem_table[8];
	u32 oem_rev, creator, creator_rev;
} __attribute__((packed));

struct acpi_madt_hdr {
	struct acpi_header h;
	u32 lapic_addr;
	u32 flags;
} __attribute__((packed));

#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_ADDR 5
#define MADT_X2APIC 9
#define MADT_CPU_ENABLED 1u
#define MADT_CPU_ONLINE_CAPABLE 2u
#define MADT_PCAT_COMPAT 1u

/* Tables are read through the direct map, which covers at least 4 GiB. */
#define ACPI_PHYS_LIMIT (1ULL << 32)

static struct acpi_madt_info madt_info;
static bool madt_valid;
static const char *rsdp_source;
static phys_addr_t madt_pa;

bool acpi_checksum_ok(const void *p, size_t len)
{
	u8 sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const u8 *)p)[i];
	return sum == 0;
}

static bool rsdp_ok(const struct acpi_rsdp *r, size_t avail)
{
	if (avail < 20 || memcmp(r->sig, "RSD PTR ", 8) || !acpi_checksum_ok(r, 20))
		return false;
	if (r->revision >= 2 &&
	    (r->length < sizeof(*r) || r->length > avail || !acpi_checksum_ok(r, r->length)))
		return false;
	return true;
}

static const struct acpi_rsdp *rsdp_scan(phys_addr_t start, size_t len)
{
	for (phys_addr_t pa = start; pa + 20 <= start + len; pa += 16) {
		const struct acpi_rsdp *r = phys_to_virt(pa);
		if (rsdp_ok(r, start + len - pa))
			return r;
	}
	return NULL;
}

const void *acpi_rsdp_bios(void)
{
	/* The first KiB of the EBDA (segment at 0x40e), then the BIOS ROM. */
	phys_addr_t ebda = (phys_addr_t) * (const u16 *)phys_to_virt(0x40e) << 4;
	const struct acpi_rsdp *r = NULL;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = rsdp_scan(ebda, 1024);
	if (!r)
		r = rsdp_scan(0xe0000, 0x20000);
	return r;
}

u32 acpi_rsdp_rsdt(const void *rsdp)
{
	return ((const struct acpi_rsdp *)rsdp)->rsdt;
}

static const struct acpi_rsdp *rsdp_find(void)
{
	if (boot_info.acpi_rsdp_len) {
		const struct acpi_rsdp *r = (const void *)boot_info.acpi_rsdp;
		if (rsdp_ok(r, boot_info.acpi_rsdp_len)) {
			rsdp_source = "multiboot2";
			return r;
		}
		pr_warn("the boot loader's RSDP copy is invalid (checksum or signature), "
			"scanning\n");
	}
	const struct acpi_rsdp *r = acpi_rsdp_bios();
	if (r)
		rsdp_source = "bios";
	return r;
}

/* The table at pa if its length is sane and its checksum holds. */
static const struct acpi_header *table_map(phys_addr_t pa, const char *what)
{
	if (!pa || pa + sizeof(struct acpi_header) > ACPI_PHYS_LIMIT) {
		pr_err("%s at %#llx is outside the mapped range\n", what, (unsigned long long)pa);
		return NULL;
	}
	const struct acpi_header *h = phys_to_virt(pa);
	if (h->length < sizeof(*h) || pa + h->length > ACPI_PHYS_LIMIT) {
		pr_err("%s at %#llx has a bad length %u\n", what, (unsigned long long)pa,
		       h->length);
		return NULL;
	}
	if (!acpi_checksum_ok(h, h->length)) {
		pr_err("%s %.4s at %#llx fails its checksum\n", what, h->sig,
		       (unsigned long long)pa);
		return NULL;
	}
	return h;
}

static void madt_add_cpu(struct acpi_madt_info *info, u32 acpi_id, u32 apic_id, u32 flags)
{
	if (info->nr_cpus == ACPI_MAX_CPUS) {
		info->nr_skipped++;
		return;
	}
	struct acpi_cpu *c = &info->cpus[info->nr_cpus++];
	c->acpi_id = acpi_id;
	c->apic_id = apic_id;
	c->enabled = flags & MADT_CPU_ENABLED;
	c->online_capable = flags & MADT_CPU_ONLINE_CAPABLE;
}

int acpi_parse_madt(const void *table, size_t len, struct acpi_madt_info *info)
{
	const struct acpi_madt_hdr *m = table;
	memset(info, 0, sizeof(*info));
	if (len < sizeof(*m) || memcmp(m->h.sig, "APIC", 4)) {
		pr_err("MADT: bad signature or too short (%zu bytes)\n", len);
		return -EINVAL;
	}
	if (m->h.length < sizeof(*m) || m->h.length > len) {
		pr_err("MADT: length %u outside 44..%zu\n", m->h.length, len);
		return -EINVAL;
	}
	if (!acpi_checksum_ok(m, m->h.length)) {
		pr_err("MADT: checksum mismatch\n");
		return -EINVAL;
	}
	info->lapic_addr = m->lapic_addr;
	info->pcat_compat = m->flags & MADT_PCAT_COMPAT;

	const u8 *p = (const u8 *)(m + 1), *end = (const u8 *)m + m->h.length;
	while (p < end) {
		if (end - p < 2 || p[1] < 2 || p[1] > end - p) {
			pr_err("MADT: entry at offset %zu is truncated\n",
			       (size_t)(p - (const u8 *)m));
			return -EINVAL;
		}
		u8 type = p[0], elen = p[1];
		/* Each known type's fixed size; shorter is malformed. */
		static const u8 need[] = { [MADT_LAPIC] = 8,
					   [MADT_IOAPIC] = 12,
					   [MADT_OVERRIDE] = 10,
					   [MADT_LAPIC_ADDR] = 12,
					   [MADT_X2APIC] = 16 };
		if (type < ARRAY_SIZE(need) && need[type] && elen < need[type]) {
			pr_err("MADT: type %u entry of %u bytes (needs %u)\n", type, elen,
			       need[type]);
			return -EINVAL;
		}
		u32 v32;
		switch (type) {
		case MADT_LAPIC:
			memcpy(&v32, p + 4, 4);
			madt_add_cpu(info, p[2], p[3], v32);
			break;
		case MADT_X2APIC: {
			u32 id, flags, uid;
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			memcpy(&uid, p + 12, 4);
			madt_add_cpu(info, uid, id, flags);
			break;
		}
		case MADT_IOAPIC: {
			if (info->nr_ioapics == ACPI_MAX_IOAPICS) {
				info->nr_skipped++;
				break;
			}
			struct acpi_ioapic *io = &info->ioapics[info->nr_ioapics++];
			io->id = p[2];
			memcpy(&io->addr, p + 4, 4);
			memcpy(&io->gsi_base, p + 8, 4);
			break;
		}
		case MADT_OVERRIDE: {
			if (info->nr_overrides == ACPI_MAX_OVERRIDES) {
				info->nr_skipped++;
				break;
			}
			struct acpi_override *o = &info->overrides[info->nr_overrides++];
			o->bus = p[2];
			o->irq = p[3];
			memcpy(&o->gsi, p + 4, 4);
			memcpy(&o->flags, p + 8, 2);
			break;
		}
		case MADT_LAPIC_ADDR:
			memcpy(&info->lapic_addr, p + 4, 8);
			break;
		}
		p += elen;
	}
	if (info->nr_skipped)
		pr_warn("MADT: %d entries beyond Kelp's limits ignored\n", info->nr_skipped);
	return 0;
}

u32 acpi_isa_irq_gsi(const struct acpi_madt_info *info, int irq, u16 *flags)
{
	for (int i = 0; i < info->nr_overrides; i++) {
		const struct acpi_override *o = &info->overrides[i];
		if (o->bus == 0 && o->irq == irq) {
			if (flags)
				*flags = o->flags;
			return o->gsi;
		}
	}
	if (flags)
		*flags = 0;
	return (u32)irq;
}

/* The MADT among the root table's entries (4-byte RSDT or 8-byte XSDT). */
static const struct acpi_header *madt_find(const struct acpi_header *root, size_t esize)
{
	size_t n = (root->length - sizeof(*root)) / esize;
	const u8 *e = (const u8 *)(root + 1);
	for (size_t i = 0; i < n; i++, e += esize) {
		u64 pa = 0;
		memcpy(&pa, e, esize);
		if (!pa || pa + sizeof(struct acpi_header) > ACPI_PHYS_LIMIT)
			continue;
		const struct acpi_header *h = phys_to_virt(pa);
		if (memcmp(h->sig, "APIC", 4))
			continue;
		if (!table_map(pa, "MADT"))
			return NULL;
		madt_pa = pa;
		return h;
	}
	pr_err("no MADT in the %.4s\n", root->sig);
	return NULL;
}

int acpi_init(void)
{
	const struct acpi_rsdp *r = rsdp_find();
	if (!r) {
		pr_err("no RSDP (neither from the boot loader nor in the BIOS areas)\n");
		return -ENODEV;
	}
	const struct acpi_header *root;
	size_t esize;
	if (r->revision >= 2 && r->xsdt) {
		root = table_map(r->xsdt, "XSDT");
		esize = 8;
	} else {
		root = table_map(r->rsdt, "RSDT");
		esize = 4;
	}
	if (!root)
		return -EINVAL;
	pr_info("RSDP (%s, revision %u) -> %.4s\n", rsdp_source, r->revision, root->sig);
	const struct acpi_header *m = madt_find(root, esize);
	if (!m)
		return -ENODEV;
	if (acpi_parse_madt(m, m->length, &madt_info))
		return -EINVAL;
	madt_valid = true;
	pr_info("MADT: %d CPUs, %d I/O APICs, %d overrides, local APIC at %#llx\n",
		madt_info.nr_cpus, madt_info.nr_ioapics, madt_info.nr_overrides,
		(unsigned long long)madt_info.lapic_addr);
	return 0;
}

const struct acpi_madt_info *acpi_madt(void)
{
	return madt_valid ? &madt_info : NULL;
}

const char *acpi_rsdp_source(void)
{
	return rsdp_source;
}

phys_addr_t acpi_madt_phys(void)
{
	return madt_pa;
}
