/*
 * The host's I/O APICs, just enough to route one ISA interrupt (the serial
 * console's) to the boot CPU: Intel 82093AA data sheet, section 3 (IOREGSEL
 * and IOWIN, the redirection table); the MADT's interrupt source overrides
 * say where an ISA IRQ really goes (ACPI 6.5 section 5.2.12.5).
 */
#ifndef KEEL_DRIVERS_IOAPIC_H
#define KEEL_DRIVERS_IOAPIC_H

#include <stdint.h>

struct acpi_info;

/* Deliver ISA IRQ 'irq' as 'vector' to the CPU with 'apic_id', with the
 * polarity and trigger the MADT gives it (ISA default: edge, high). Masks
 * the 8259 pair first when the MADT says there is one. 'acpi' may be NULL
 * or have no MADT: then the PC default (an I/O APIC at 0xFEC00000) is used
 * if one answers there. 0, or -E_NOENT (no I/O APIC has that interrupt). */
int ioapic_route_isa(const struct acpi_info *acpi, unsigned irq, uint8_t vector,
		     uint32_t apic_id);

#endif
