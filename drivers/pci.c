/*
 * PCI enumeration: a brute-force scan of every bus, device and function of
 * segment 0 (256 x 32 x 8 reads of the vendor id at most), which finds
 * devices behind bridges without walking them, and is fast enough once
 * per boot.
 */
#include "arch/cpu.h"
#include "drivers/pci.h"
#include "kernel/acpi.h"
#include "kernel/log.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_ENABLE		(1u << 31)
#define PCI_VENDOR_NONE		0xffff
#define PCI_HDR_MULTIFUNCTION	0x80
#define PCI_OFF_ID		0x00
#define PCI_OFF_CLASS		0x08
#define PCI_OFF_HEADER		0x0c

struct pci_dev pci_devs[PCI_MAX_DEVICES];
unsigned pci_dev_count;
static uint64_t ecam_base;	/* segment 0, bus 0; 0 = use ports */
static uint8_t ecam_start_bus, ecam_end_bus;

static volatile uint32_t *ecam_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return (volatile uint32_t *)(ecam_base + ((uint64_t)(bus - ecam_start_bus) << 20) +
				     ((uint64_t)dev << 15) + ((uint64_t)fn << 12) + (off & 0xffc));
}

static bool use_ecam(uint8_t bus)
{
	return ecam_base && bus >= ecam_start_bus && bus <= ecam_end_bus;
}

static uint32_t cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	if (use_ecam(bus))
		return *ecam_addr(bus, dev, fn, off);
	if (off >= 256)
		return 0xffffffff;
	outl(PCI_CONFIG_ADDRESS, PCI_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
				 (uint32_t)fn << 8 | (off & 0xfc));
	return inl(PCI_CONFIG_DATA);
}

static void cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t v)
{
	if (use_ecam(bus)) {
		*ecam_addr(bus, dev, fn, off) = v;
		return;
	}
	if (off >= 256)
		return;
	outl(PCI_CONFIG_ADDRESS, PCI_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
				 (uint32_t)fn << 8 | (off & 0xfc));
	outl(PCI_CONFIG_DATA, v);
}

uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
	return cfg_read(d->bus, d->dev, d->fn, off);
}

void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
	cfg_write(d->bus, d->dev, d->fn, off, v);
}

const char *pci_access_method(void)
{
	return ecam_base ? "ECAM" : "ports 0xcf8/0xcfc";
}

static void record(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	uint32_t cls = cfg_read(bus, dev, fn, PCI_OFF_CLASS);
	struct pci_dev *d;

	if (pci_dev_count >= PCI_MAX_DEVICES)
		return;
	d = &pci_devs[pci_dev_count++];
	*d = (struct pci_dev){
		.bus = bus, .dev = dev, .fn = fn,
		.vendor = id & 0xffff, .device = id >> 16,
		.class = cls >> 24, .subclass = (cls >> 16) & 0xff, .prog_if = (cls >> 8) & 0xff,
		.header_type = (cfg_read(bus, dev, fn, PCI_OFF_HEADER) >> 16) & 0xff,
	};
	pr_info("pci: 0000:%02x:%02x.%x %04x:%04x class %02x%02x\n", bus, dev, fn,
		d->vendor, d->device, d->class, d->subclass);
}

static void scan_device(uint8_t bus, uint8_t dev)
{
	uint32_t id = cfg_read(bus, dev, 0, PCI_OFF_ID);
	unsigned nfn;

	if ((id & 0xffff) == PCI_VENDOR_NONE)
		return;
	nfn = (cfg_read(bus, dev, 0, PCI_OFF_HEADER) >> 16) & PCI_HDR_MULTIFUNCTION ? 8 : 1;
	record(bus, dev, 0, id);
	for (uint8_t fn = 1; fn < nfn; fn++) {
		id = cfg_read(bus, dev, fn, PCI_OFF_ID);
		if ((id & 0xffff) != PCI_VENDOR_NONE)
			record(bus, dev, fn, id);
	}
}

static void choose_access(const struct acpi_info *acpi)
{
	if (!acpi)
		return;
	for (uint32_t i = 0; i < acpi->mcfg.nr_ecam; i++) {
		const struct acpi_ecam *e = &acpi->mcfg.ecam[i];

		if (e->segment == 0 && e->start_bus == 0 && e->base) {
			ecam_base = e->base;
			ecam_start_bus = e->start_bus;
			ecam_end_bus = e->end_bus;
			return;
		}
	}
}

void pci_init(const struct acpi_info *acpi)
{
	choose_access(acpi);
	for (unsigned bus = 0; bus < 256; bus++)
		for (uint8_t dev = 0; dev < 32; dev++)
			scan_device((uint8_t)bus, dev);
	pr_info("pci: %u functions found (config access through %s)\n",
		pci_dev_count, pci_access_method());
}
