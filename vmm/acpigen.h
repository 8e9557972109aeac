/*
 * Per-domain ACPI table generator: writes the tables a stock guest kernel
 * needs to find its CPUs, interrupt controllers, power-management registers
 * and PCI host bridge: RSDP, RSDT, XSDT, FADT, FACS, MADT and a small DSDT
 * of hand-assembled AML (\_SB.PCI0 and \_S5).
 *
 * Pure code: everything is built into a caller-provided buffer that the
 * caller then copies to guest memory at config.base_gpa; the tables hold
 * guest-physical addresses computed from that base. Table layouts and flags
 * come from kernel/acpi.h (the host parser), which the unit tests use to
 * read the result back.
 *
 * Specifications cited: ACPI 6.5 sections 5.2.5 (RSDP), 5.2.7 (RSDT),
 * 5.2.8 (XSDT), 5.2.9 (FADT), 5.2.10 (FACS), 5.2.11.1 (DSDT), 5.2.12
 * (MADT), 4.8 (fixed hardware registers), 6.4 (resource descriptors),
 * 7.4.2 (\_Sx sleep objects) and 20 (AML encoding).
 */
#ifndef KEEL_ACPIGEN_H
#define KEEL_ACPIGEN_H

#include "kernel/klib.h"

/* Local APIC ids are 0..nr_cpus-1 and the I/O APIC takes id nr_cpus; all
 * are 8-bit xAPIC ids and 0xff is the broadcast id, so 254 CPUs at most. */
#define ACPIGEN_MAX_CPUS 254u

/* Default addresses, used when the config leaves them 0. */
#define ACPIGEN_IOAPIC_DEFAULT 0xFEC00000u
#define ACPIGEN_PM_BASE_DEFAULT 0x600u

/* The PM register block the guest is told about, as offsets from pm_base
 * (ACPI 6.5 section 4.8.3): PM1a event (status + enable, 2 bytes each),
 * PM1a control, and the 32-bit PM timer. The device model that emulates
 * these ports uses the same constants. */
#define ACPIGEN_PM1_EVT_OFF 0u
#define ACPIGEN_PM1_EVT_LEN 4u
#define ACPIGEN_PM1_CNT_OFF 4u
#define ACPIGEN_PM1_CNT_LEN 2u
#define ACPIGEN_PM_TMR_OFF 8u
#define ACPIGEN_PM_TMR_LEN 4u
#define ACPIGEN_PM_BLOCK_LEN 12u

/* PM1 control register bits (ACPI 6.5 section 4.8.3.2.1, table 4.13). The
 * FADT has no SMI command port, so the guest finds SCI_EN already set. */
#define ACPIGEN_PM1_CNT_SCI_EN (1u << 0)
#define ACPIGEN_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPIGEN_PM1_CNT_SLP_TYP_MASK (7u << ACPIGEN_PM1_CNT_SLP_TYP_SHIFT)
#define ACPIGEN_PM1_CNT_SLP_EN (1u << 13)

/* The reset register: writing ACPIGEN_RESET_VALUE to I/O port
 * ACPIGEN_RESET_PORT resets the machine (the PIIX/ICH reset control
 * register; 0x06 = full reset + reset CPU). */
#define ACPIGEN_RESET_PORT 0xCF9u
#define ACPIGEN_RESET_VALUE 0x06u

/* The SCI is ISA IRQ 9, level-triggered active high (MADT override). */
#define ACPIGEN_SCI_IRQ 9u

struct acpigen_config {
	unsigned nr_cpus;	/* 1..ACPIGEN_MAX_CPUS */
	uint64_t base_gpa;	/* where buf goes: 64-byte aligned (FACS),
				 * and every table below 4 GiB */
	uint16_t pm_base;	/* I/O port of the PM block; 0 = default */
	uint32_t ioapic_addr;	/* 0 = ACPIGEN_IOAPIC_DEFAULT */
	bool i8042;		/* a PS/2 controller is emulated */
	bool vga;		/* false: tell the guest there is no VGA */
	uint8_t s5_slp_typ;	/* PM1_CNT.SLP_TYP value meaning "soft off" */
	uint32_t pci_mmio_base;	/* 32-bit PCI memory window for _CRS; */
	uint32_t pci_mmio_size;	/* size 0 = no window */
};

/* Where acpigen_build() put things: offsets into buf (= base_gpa + off). */
struct acpigen_layout {
	uint64_t rsdp_gpa;	/* = base_gpa: hand this to the guest */
	uint32_t total_len;	/* bytes of buf to copy */
	uint32_t rsdt_off;
	uint32_t xsdt_off;
	uint32_t fadt_off;
	uint32_t facs_off;
	uint32_t madt_off;
	uint32_t dsdt_off;
	uint32_t dsdt_len;
};

/* Build all tables into buf[0..size). Returns 0 and fills *out, or
 *   -E_INVAL  bad config (nr_cpus, alignment, tables above 4 GiB, window
 *             wrapping past 4 GiB)
 *   -E_RANGE  buf too small (nothing is written past buf + size)
 * Bytes of buf beyond out->total_len are left as they were. */
int acpigen_build(const struct acpigen_config *c, uint8_t *buf, size_t size,
		  struct acpigen_layout *out);

/* ------------------------------------------------ AML helpers (chapter 20)
 * Exposed for the unit tests. */

/* Largest PkgLength value: 4 bytes, 4 + 3 * 8 = 28 bits (section 20.2.4). */
#define AML_PKGLEN_MAX ((1u << 28) - 1)

/* Encode the PkgLength for a body of body_len bytes that follows it (the
 * encoded value counts the PkgLength bytes themselves). Writes 1..4 bytes
 * to out[4] and returns how many, or 0 if body_len is too long. */
size_t aml_pkglen_encode(uint32_t body_len, uint8_t out[4]);

#endif
