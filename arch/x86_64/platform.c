/* PC platform pieces generic code reaches through <arch/cpu.h>: leaving QEMU
 * (isa-debug-exit at 0xf4), power-off, halting. */
#include <arch/cpu.h>
#include <arch/io.h>

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
	outw(0x604, 0x2000);  /* QEMU q35 / newer i440fx ACPI PM */
	outw(0xb004, 0x2000); /* older QEMU and Bochs */
	outw(0x4004, 0x3400); /* VirtualBox */
	arch_qemu_exit(0);    /* -> QEMU status 1 */
}

/* Interrupt controller, timer and device interrupts. */
void arch_platform_init(void)
{
}
