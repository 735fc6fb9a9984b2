/* PC platform pieces generic code reaches through <arch/cpu.h>: bringing up
 * the interrupt controller, clock, timer and serial interrupts, leaving QEMU
 * (isa-debug-exit at 0xf4), power-off, halting. */
#include <arch/cpu.h>
#include <asm/io.h>
#include <kelp/cmdline.h>
#include <kelp/printk.h>
#include <kelp/serial.h>
#include <kelp/time.h>
#include "acpi.h"
#include "apic.h"
#include "pc.h"

#define DEBUG_EXIT_PORT 0xf4

void arch_halt_forever(void)
{
	for (;;) {
		arch_irq_disable();
		arch_halt();
	}
}

void arch_qemu_exit(int code)
{
	outl(DEBUG_EXIT_PORT, (u32)code);
	/* Not under QEMU with isa-debug-exit: stop here. */
	arch_halt_forever();
}

void arch_poweroff(void)
{
	arch_irq_disable();
	/* ACPI S5 through PM1a_CNT (SLP_TYP 0, SLP_EN): SeaBIOS puts the PIIX4
	 * PM block at 0xb000 on the pc machine, q35 uses 0x600. */
	outw(0xb004, 0x2000);
	outw(0x604, 0x2000);
	/* QEMU acts on the request from its main loop, not during the write:
	 * give it time before falling back to the debug-exit port. */
	u64 until = arch_rdtsc() + 2000000000ULL;
	while (arch_rdtsc() < until)
		arch_cpu_relax();
	arch_qemu_exit(0); /* -> QEMU status 1 */
}

bool pc_apic_mode;

/* The local APIC and I/O APIC when the MADT has one and `noapic` is not
 * given; false leaves the 8259 to do it. */
static bool apic_setup(void)
{
	const struct acpi_madt_info *m = acpi_madt();
	const char *why = NULL;
	if (cmdline_has("noapic"))
		why = "noapic on the command line";
	else if (!lapic_present())
		why = "the CPU has no local APIC";
	else if (!m || !m->nr_ioapics)
		why = "no I/O APIC in the MADT";
	if (why) {
		printk(KERN_INFO "apic: not used (%s): 8259 PIC\n", why);
		return false;
	}
	if (lapic_init()) {
		printk(KERN_WARNING "apic: cannot enable the local APIC: 8259 PIC\n");
		return false;
	}
	pic_disable();
	if (ioapic_init()) {
		/* Only out of memory for a page table; the 8259 goes on. */
		printk(KERN_WARNING "apic: cannot set up the I/O APIC: 8259 PIC\n");
		lapic_pass_8259();
		return false;
	}
	return true;
}

int arch_irq_inject_spurious(void)
{
	if (!pc_apic_mode)
		return pic_inject_spurious();
	unsigned long flags = arch_irq_save();
	__asm__ __volatile__("int %0" ::"i"(LAPIC_SPURIOUS_VECTOR) : "memory");
	arch_irq_restore(flags);
	return 1;
}

/* Interrupt controller, clock, timer and device interrupts, then interrupts
 * on. The TSC is calibrated before the tick starts so that nothing else
 * competes for the CPU while it is measured. */
void arch_platform_init(void)
{
	/* A machine without usable ACPI tables still boots on the 8259. */
	acpi_init();
	smp_report_cpus();
	pc_apic_mode = apic_setup();
	if (!pc_apic_mode)
		pic_init();

	/* The LAPIC timer is measured in the same PIT runs as the TSC. */
	u64 lapic_khz = 0;
	if (pc_apic_mode)
		lapic_timer_calibration_start();
	u64 khz = pit_calibrate(pc_apic_mode ? lapic_timer_count : NULL, &lapic_khz);
	if (khz) {
		time_set_tsc_khz(khz);
		printk(KERN_INFO "tsc: calibrated at %lu.%03lu MHz\n", khz / 1000, khz % 1000);
	} else {
		printk(KERN_WARNING "tsc: PIT calibration failed, assuming %lu kHz\n", tsc_khz);
	}
	printk(KERN_INFO "clocksource: Switched to clocksource tsc\n");

	/* The LAPIC timer once the APIC is up (nolapic_timer: the PIT on
	 * GSI 2); the PIT is then used only for the calibration above. */
	if (pc_apic_mode && !cmdline_has("nolapic_timer") && !lapic_timer_init(lapic_khz)) {
		ioapic_detach_line(0);
		pc_tick_register();
	} else {
		pit_timer_init();
	}
	serial_irq_init();
	smp_boot_aps();
	arch_irq_enable();
}
