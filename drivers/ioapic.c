/*
 * Host I/O APIC routing (see ioapic.h). The registers are reached through
 * the identity map, like the local APIC's.
 */
#include "arch/cpu.h"
#include "drivers/ioapic.h"
#include "kernel/acpi.h"
#include "kernel/errno.h"
#include "kernel/klib.h"

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
#define DEFAULT_IOAPIC		0xfec00000u
#define ISA_IRQS		16

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

/* Without a MADT (firmware that publishes no ACPI tables, as OVMF under
 * Bochs), the PC default: one I/O APIC at 0xFEC00000 with GSI n = IRQ n,
 * and the 8259s present - if its version register looks like one. */
static bool default_ioapic(struct acpi_madt_info *m)
{
	uint32_t ver = ioapic_read(DEFAULT_IOAPIC, IOAPIC_VER);
	uint32_t max = (ver >> VER_MAX_REDIR_SHIFT) & 0xff;

	if (ver == ~0u || max < ISA_IRQS - 1)
		return false;
	memset(m, 0, sizeof(*m));
	m->present = true;
	m->pcat_compat = true;
	m->nr_ioapics = 1;
	m->ioapics[0] = (struct acpi_ioapic){ .address = DEFAULT_IOAPIC };
	return true;
}

int ioapic_route_isa(const struct acpi_info *acpi, unsigned irq, uint8_t vector,
		     uint32_t apic_id)
{
	static struct acpi_madt_info fallback;
	const struct acpi_madt_info *m = acpi ? &acpi->madt : NULL;
	uint32_t gsi = irq, low = vector;
	uint16_t flags = 0;

	if (!m || !m->present) {
		if (!default_ioapic(&fallback))
			return -E_NOENT;
		m = &fallback;
	}
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
