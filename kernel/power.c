/*
 * Machine reset. Each method is tried in turn and given time to act:
 *  1. the FADT reset register (ACPI 6.5, 4.8.3.6), I/O or memory space;
 *  2. the PCI reset control register at 0xCF9 (a full reset: 0x02 then 0x06);
 *  3. the 8042 keyboard controller's pulse-reset command 0xFE on port 0x64;
 *  4. a triple fault (an empty IDT and an exception).
 */
#include "arch/cpu.h"
#include "drivers/pci.h"
#include "kernel/acpi.h"
#include "kernel/log.h"
#include "kernel/power.h"
#include "kernel/time.h"

#define RESET_CONTROL_PORT	0xcf9
#define RESET_CF9_SYS_RST	0x02
#define RESET_CF9_RST_CPU	0x04
#define KBC_STATUS_PORT		0x64
#define KBC_STATUS_IBF		0x02	/* input buffer full */
#define KBC_CMD_PULSE_RESET	0xfe
#define RESET_WAIT_US		100000

static struct acpi_addr reset_reg;
static uint8_t reset_value;

void power_init(const struct acpi_info *acpi)
{
	if (acpi && acpi->fadt.present && acpi->fadt.reset_supported) {
		reset_reg = acpi->fadt.reset_reg;
		reset_value = acpi->fadt.reset_value;
	}
}

/*
 * Quirk for the PIIX4 power-management function (8086:7113) that Bochs
 * emulates: its reset clears PMBASE but not the PM I/O enable bit, and
 * OVMF, finding the block enabled, never reprograms it and hangs polling
 * its timer at port 8. Disabling the block before the reset avoids that.
 */
#define PIIX4_PM_VENDOR		0x8086
#define PIIX4_PM_DEVICE		0x7113
#define PIIX4_PMREGMISC		0x80
#define PIIX4_PMIOSE		0x1

static void piix4_pm_quirk(void)
{
	for (unsigned i = 0; i < pci_dev_count; i++) {
		const struct pci_dev *d = &pci_devs[i];

		if (d->vendor == PIIX4_PM_VENDOR && d->device == PIIX4_PM_DEVICE)
			pci_write32(d, PIIX4_PMREGMISC,
				    pci_read32(d, PIIX4_PMREGMISC) & ~(uint32_t)PIIX4_PMIOSE);
	}
}

static void acpi_reset(void)
{
	if (!reset_reg.address)
		return;
	if (reset_reg.space == ACPI_SPACE_IO && reset_reg.address <= 0xffff)
		outb((uint16_t)reset_reg.address, reset_value);
	else if (reset_reg.space == ACPI_SPACE_MEMORY)
		*(volatile uint8_t *)reset_reg.address = reset_value;
	udelay(RESET_WAIT_US);
}

static void kbc_reset(void)
{
	for (int i = 0; i < 1000 && (inb(KBC_STATUS_PORT) & KBC_STATUS_IBF); i++)
		udelay(10);
	outb(KBC_STATUS_PORT, KBC_CMD_PULSE_RESET);
	udelay(RESET_WAIT_US);
}

void power_reset(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) null_idt = { 0, 0 };

	pr_info("power: resetting the machine\n");
	irq_disable();
	piix4_pm_quirk();
	acpi_reset();
	outb(RESET_CONTROL_PORT, RESET_CF9_SYS_RST);
	udelay(50);
	outb(RESET_CONTROL_PORT, RESET_CF9_SYS_RST | RESET_CF9_RST_CPU);
	udelay(RESET_WAIT_US);
	kbc_reset();
	__asm__ volatile("lidt %0; int3" : : "m"(null_idt));
	cpu_stop();
}
