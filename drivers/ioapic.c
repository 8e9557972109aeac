/*
 * Host I/O APIC routing (see ioapic.h). The registers are reached through
 * the identity map, like the local APIC's.
 */
#include "arch/cpu.h"
#include "drivers/ioapic.h"
#include "kernel/acpi.h"
#include "kernel/errno.h"

#define IOREGSEL		0x00
#define IOWIN			0x10
#define IOAPIC_VER		0x01
#define IOAPIC_REDTBL		0x10	/* entry n: 0x10 + 2n (low), + 1 (high) */
#define VER_MAX_REDIR_SHIFT	16
#define REDIR_POLARITY_LOW	(1u << 13)
#define REDIR_LEVEL		(1u << 15)
#define REDIR_DEST_SHIFT	24	/* in the high dword: physical APIC ID */
#define PIC1_DATA		0x21
#define PIC2_DATA		0xa1
#define PIC_ALL_MASKED		0xff

static uint32_t ioapic_read(uint32_t base, uint8_t reg)
{
	volatile uint32_t *io = (volatile uint32_t *)(uint64_t)base;

	io[IOREGSEL / 4] = reg;
	return io[IOWIN / 4];
}

static void ioapic_write(uint32_t base, uint8_t reg, uint32_t val)
{
	volatile uint32_t *io = (volatile uint32_t *)(uint64_t)base;

	io[IOREGSEL / 4] = reg;
	io[IOWIN / 4] = val;
}

int ioapic_route_isa(const struct acpi_info *acpi, unsigned irq, uint8_t vector,
		     uint32_t apic_id)
{
	const struct acpi_madt_info *m = &acpi->madt;
	uint32_t gsi = irq, low = vector;
	uint16_t flags = 0;

	if (!m->present)
		return -E_NOENT;
	for (uint32_t i = 0; i < m->nr_overrides; i++) {
		if (m->overrides[i].bus == 0 && m->overrides[i].irq == irq) {
			gsi = m->overrides[i].gsi;
			flags = m->overrides[i].flags;
		}
	}
	if ((flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_POLARITY_LOW)
		low |= REDIR_POLARITY_LOW;
	if ((flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_TRIGGER_LEVEL)
		low |= REDIR_LEVEL;
	if (m->pcat_compat) {	/* the 8259s must not deliver it as well */
		outb(PIC1_DATA, PIC_ALL_MASKED);
		outb(PIC2_DATA, PIC_ALL_MASKED);
	}
	for (uint32_t i = 0; i < m->nr_ioapics; i++) {
		const struct acpi_ioapic *io = &m->ioapics[i];
		uint32_t entries = ((ioapic_read(io->address, IOAPIC_VER) >> VER_MAX_REDIR_SHIFT) &
				    0xff) + 1;
		uint32_t pin = gsi - io->gsi_base;

		if (gsi < io->gsi_base || pin >= entries)
			continue;
		ioapic_write(io->address, (uint8_t)(IOAPIC_REDTBL + 2 * pin + 1),
			     apic_id << REDIR_DEST_SHIFT);
		ioapic_write(io->address, (uint8_t)(IOAPIC_REDTBL + 2 * pin), low);
		return 0;
	}
	return -E_NOENT;
}
