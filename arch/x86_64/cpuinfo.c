/* /proc/cpuinfo in Linux's format, from CPUID, for the CPUs that run (the
 * boot CPU until application processors are brought up). */
#include <kelp/errno.h>
#include <kelp/init.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/string.h>
#include <kelp/time.h>
#include <asm/io.h>
#include "apic.h"
#include "pc.h"

/* Linux's flag names, per CPUID register, bit by bit (NULL: not shown). */
static const char *const flags_1_edx[32] = {
	"fpu",	"vme",	"de",	"pse", "tsc",  "msr", "pae",   "mce", "cx8",	 "apic", NULL,
	"sep",	"mtrr", "pge",	"mca", "cmov", "pat", "pse36", "pn",  "clflush", NULL,	 "dts",
	"acpi", "mmx",	"fxsr", "sse", "sse2", "ss",  "ht",    "tm",  "ia64",	 "pbe",
};
static const char *const flags_ext_edx[32] = {
	[11] = "syscall", [19] = "mp",	   [20] = "nx", [22] = "mmxext",   [25] = "fxsr_opt",
	[26] = "pdpe1gb", [27] = "rdtscp", [29] = "lm", [30] = "3dnowext", [31] = "3dnow",
};
static const char *const flags_1_ecx[32] = {
	"pni",	  "pclmulqdq",	"dtes64", "monitor", "ds_cpl",
	"vmx",	  "smx",	"est",	  "tm2",     "ssse3",
	"cid",	  "sdbg",	"fma",	  "cx16",    "xtpr",
	"pdcm",	  NULL,		"pcid",	  "dca",     "sse4_1",
	"sse4_2", "x2apic",	"movbe",  "popcnt",  "tsc_deadline_timer",
	"aes",	  "xsave",	NULL,	  "avx",     "f16c",
	"rdrand", "hypervisor",
};
static const char *const flags_ext_ecx[32] = {
	"lahf_lm",     "cmp_legacy",	"svm",	"extapic", "cr8_legacy", "abm",	       "sse4a",
	"misalignsse", "3dnowprefetch", "osvw", "ibs",	   "xop",	 "skinit",     "wdt",
	NULL,	       "lwp",		"fma4", "tce",	   NULL,	 "nodeid_msr", NULL,
	"tbm",	       "topoext",
};
static const char *const flags_7_ebx[32] = {
	[0] = "fsgsbase", [1] = "tsc_adjust", [3] = "bmi1", [4] = "hle",      [5] = "avx2",
	[7] = "smep",	  [8] = "bmi2",	      [9] = "erms", [10] = "invpcid", [11] = "rtm",
	[16] = "avx512f", [18] = "rdseed",    [19] = "adx", [20] = "smap",    [23] = "clflushopt",
	[24] = "clwb",	  [29] = "sha_ni",
};

static void show_flags(struct seq_file *m, const char *const names[32], u32 reg)
{
	for (int i = 0; i < 32; i++)
		if ((reg & (1u << i)) && names[i])
			seq_printf(m, " %s", names[i]);
}

static int cpuinfo_show(struct seq_file *m, void *v)
{
	(void)v;
	u32 a, b, c, d, max, maxext;
	char vendor[13], model[49];
	cpuid(0, 0, &max, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	cpuid(0x80000000, 0, &maxext, &b, &c, &d);
	model[0] = 0;
	if (maxext >= 0x80000004) {
		u32 *w = (u32 *)model;
		for (u32 leaf = 0; leaf < 3; leaf++)
			cpuid(0x80000002 + leaf, 0, &w[leaf * 4], &w[leaf * 4 + 1],
			      &w[leaf * 4 + 2], &w[leaf * 4 + 3]);
		model[48] = 0;
	}
	const char *name = model;
	while (*name == ' ')
		name++;

	u32 sig, misc, ecx1, edx1;
	cpuid(1, 0, &sig, &misc, &ecx1, &edx1);
	u32 family = (sig >> 8) & 0xf, mdl = (sig >> 4) & 0xf;
	if (family == 0xf)
		family += (sig >> 20) & 0xff;
	if (family >= 0x6)
		mdl |= ((sig >> 16) & 0xf) << 4;
	u32 ext_ecx = 0, ext_edx = 0, ebx7 = 0, addr = 0;
	if (maxext >= 0x80000001)
		cpuid(0x80000001, 0, &a, &b, &ext_ecx, &ext_edx);
	if (max >= 7)
		cpuid(7, 0, &a, &ebx7, &c, &d);
	if (maxext >= 0x80000008)
		cpuid(0x80000008, 0, &addr, &b, &c, &d);
	u32 apicid = pc_apic_mode ? lapic_id() : misc >> 24;
	unsigned long khz = tsc_khz;

	seq_printf(m, "processor\t: 0\n");
	seq_printf(m, "vendor_id\t: %s\n", vendor);
	seq_printf(m, "cpu family\t: %u\n", family);
	seq_printf(m, "model\t\t: %u\n", mdl);
	seq_printf(m, "model name\t: %s\n", *name ? name : "unknown");
	seq_printf(m, "stepping\t: %u\n", sig & 0xf);
	seq_printf(m, "cpu MHz\t\t: %lu.%03lu\n", khz / 1000, khz % 1000);
	seq_printf(m, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n");
	seq_printf(m, "apicid\t\t: %u\ninitial apicid\t: %u\n", apicid, misc >> 24);
	seq_printf(m, "fpu\t\t: %s\nfpu_exception\t: %s\n", edx1 & 1 ? "yes" : "no",
		   edx1 & 1 ? "yes" : "no");
	seq_printf(m, "cpuid level\t: %u\nwp\t\t: yes\n", max);
	seq_printf(m, "flags\t\t:");
	show_flags(m, flags_1_edx, edx1);
	show_flags(m, flags_ext_edx, ext_edx);
	show_flags(m, flags_1_ecx, ecx1);
	show_flags(m, flags_ext_ecx, ext_ecx);
	show_flags(m, flags_7_ebx, ebx7);
	seq_printf(m, "\n");
	seq_printf(m, "bogomips\t: %lu.%02lu\n", khz * 2 / 1000, (khz * 2 % 1000) / 10);
	seq_printf(m, "clflush size\t: %u\ncache_alignment\t: %u\n", ((misc >> 8) & 0xff) * 8,
		   ((misc >> 8) & 0xff) * 8);
	if (addr)
		seq_printf(m, "address sizes\t: %u bits physical, %u bits virtual\n", addr & 0xff,
			   (addr >> 8) & 0xff);
	seq_printf(m, "power management:\n\n");
	return 0;
}

static int cpuinfo_init(void)
{
	struct pfs_node *proc = pfs_mkdir_p("/proc");
	if (!proc || !pfs_create_file(proc, "cpuinfo", 0444, cpuinfo_show, NULL, NULL))
		return -ENOMEM;
	return 0;
}
device_initcall(cpuinfo_init);
