/*
 * PCI configuration space and enumeration (PCI Local Bus 3.0, PCIe 4.0
 * 7.2.2 for ECAM). Config space is reached through ECAM where the ACPI MCFG
 * table names it, through ports 0xCF8/0xCFC otherwise.
 */
#ifndef KEEL_DRIVERS_PCI_H
#define KEEL_DRIVERS_PCI_H

#include <stdint.h>

struct acpi_info;

#define PCI_MAX_DEVICES 256

struct pci_dev {
	uint16_t segment;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass, prog_if, header_type;
};

extern struct pci_dev pci_devs[PCI_MAX_DEVICES];
extern unsigned pci_dev_count;

void pci_init(const struct acpi_info *acpi);
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);
const char *pci_access_method(void);

#endif
