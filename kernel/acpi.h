/*
 * ACPI table parser: from the RSDP, walks the XSDT (or RSDT) and decodes what
 * the kernel needs at boot from the MADT, FADT, MCFG and HPET tables.
 *
 * Pure code: it never dereferences a physical address itself but asks the
 * caller's map callback for each range it reads, and it treats every byte as
 * untrusted firmware output (decode, then validate). A malformed table costs
 * that table, never the kernel.
 *
 * Specifications cited: ACPI 6.5 (sections 5.2.x), PCI Firmware
 * Specification 3.2 (MCFG), IA-PC HPET Specification 1.0a (HPET).
 */
#ifndef KEEL_ACPI_H
#define KEEL_ACPI_H

#include "kernel/klib.h"

/* ------------------------------------------------------------------ layouts
 * Raw firmware layouts. They are packed and only ever read from a local copy
 * made with memcpy, never through a pointer into the mapped table.
 */

#define ACPI_SIG_LEN 4
#define ACPI_OEM_ID_LEN 6
#define ACPI_OEM_TABLE_ID_LEN 8

/* Generic Address Structure, ACPI 6.5 section 5.2.3.2. */
struct acpi_gas {
	uint8_t space_id;	/* ACPI_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;	/* 0 undefined, 1 byte ... 4 qword */
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");
_Static_assert(offsetof(struct acpi_gas, address) == 4, "GAS address");

#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO 1
#define ACPI_SPACE_PCI_CONFIG 2

/* Root System Description Pointer, ACPI 6.5 section 5.2.5.3. The first
 * 20 bytes are the ACPI 1.0 structure covered by 'checksum'; revision 2 and
 * later add the rest, covered by 'extended_checksum' over 'length' bytes. */
#define ACPI_RSDP_SIGNATURE "RSD PTR "
#define ACPI_RSDP_SIG_LEN 8
#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_REV_EXTENDED 2

struct acpi_rsdp {
	char signature[ACPI_RSDP_SIG_LEN];
	uint8_t checksum;
	char oem_id[ACPI_OEM_ID_LEN];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;		/* revision >= 2 from here on */
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LEN,
	       "RSDP 1.0 part is 20 bytes");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP XSDT");

/* System Description Table Header, ACPI 6.5 section 5.2.6. Every table
 * except the FACS starts with it; 'checksum' makes all 'length' bytes of the
 * table sum to zero. */
struct acpi_sdt_header {
	char signature[ACPI_SIG_LEN];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[ACPI_OEM_ID_LEN];
	char oem_table_id[ACPI_OEM_TABLE_ID_LEN];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header is 36 bytes");
_Static_assert(offsetof(struct acpi_sdt_header, oem_id) == 10, "SDT OEM id");

/* Largest table the parser accepts: far above any real MADT/FADT/MCFG/HPET
 * and above typical DSDTs, small enough that a corrupt length cannot make us
 * checksum gigabytes. */
#define ACPI_MAX_TABLE_LEN (1 * MiB)

/* RSDT (section 5.2.7) entries are 32-bit addresses, XSDT (5.2.8) 64-bit,
 * both following the header. */
#define ACPI_RSDT_ENTRY_SIZE 4
#define ACPI_XSDT_ENTRY_SIZE 8

/* Multiple APIC Description Table, ACPI 6.5 section 5.2.12. */
struct acpi_madt {
	struct acpi_sdt_header hdr;
	uint32_t lapic_address;
	uint32_t flags;			/* ACPI_MADT_PCAT_COMPAT */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT fixed part is 44 bytes");

#define ACPI_MADT_PCAT_COMPAT (1u << 0)	/* dual 8259s present */
/* MADT revision (ACPI 6.3) from which the online-capable flag is defined;
 * older firmware may leave junk in that reserved bit. */
#define ACPI_MADT_REV_ONLINE_CAPABLE 5

/* Interrupt controller structure header, section 5.2.12 (table 5.20). */
struct acpi_madt_entry {
	uint8_t type;
	uint8_t length;
} __attribute__((packed));

#define ACPI_MADT_LAPIC 0
#define ACPI_MADT_IOAPIC 1
#define ACPI_MADT_ISO 2
#define ACPI_MADT_LAPIC_OVERRIDE 5
#define ACPI_MADT_X2APIC 9

/* Local APIC flags, section 5.2.12.2 (shared by type 0 and type 9). */
#define ACPI_LAPIC_ENABLED (1u << 0)
#define ACPI_LAPIC_ONLINE_CAPABLE (1u << 1)

/* Processor Local APIC, section 5.2.12.2. */
struct acpi_madt_lapic {
	struct acpi_madt_entry e;
	uint8_t acpi_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC is 8 bytes");

#define ACPI_XAPIC_ID_INVALID 0xffu	/* the broadcast id is never a CPU */
#define ACPI_X2APIC_ID_INVALID 0xffffffffu

/* I/O APIC, section 5.2.12.3. */
struct acpi_madt_ioapic {
	struct acpi_madt_entry e;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC is 12 bytes");

/* Interrupt Source Override, section 5.2.12.5. */
struct acpi_madt_iso {
	struct acpi_madt_entry e;
	uint8_t bus;			/* 0 = ISA */
	uint8_t source;			/* bus-relative IRQ */
	uint32_t gsi;
	uint16_t flags;			/* ACPI_MPS_* */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO is 10 bytes");
_Static_assert(offsetof(struct acpi_madt_iso, flags) == 8, "MADT ISO flags");

/* MPS INTI flags, section 5.2.12.5 (table 5.26). */
#define ACPI_MPS_POLARITY_MASK 0x3u
#define ACPI_MPS_POLARITY_CONFORMS 0x0u
#define ACPI_MPS_POLARITY_HIGH 0x1u
#define ACPI_MPS_POLARITY_LOW 0x3u
#define ACPI_MPS_TRIGGER_MASK 0xcu
#define ACPI_MPS_TRIGGER_CONFORMS 0x0u
#define ACPI_MPS_TRIGGER_EDGE 0x4u
#define ACPI_MPS_TRIGGER_LEVEL 0xcu

/* Local APIC Address Override, section 5.2.12.8. */
struct acpi_madt_lapic_override {
	struct acpi_madt_entry e;
	uint16_t reserved;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12,
	       "MADT LAPIC override is 12 bytes");

/* Processor Local x2APIC, section 5.2.12.12. */
struct acpi_madt_x2apic {
	struct acpi_madt_entry e;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t acpi_uid;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC is 16 bytes");

/* Fixed ACPI Description Table ("FACP"), ACPI 6.5 section 5.2.9. Older
 * firmware supplies a shorter table; fields past its length read as zero. */
struct acpi_fadt {
	struct acpi_sdt_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "FADT PM1a_CNT");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, pm1_cnt_len) == 89, "FADT PM1_CNT_LEN");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "FADT CENTURY");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT 6.x is 276 bytes");

/* Shortest FADT accepted: the ACPI 1.0 table ends right after 'flags'. */
#define ACPI_FADT_V1_LEN offsetof(struct acpi_fadt, reset_reg)
/* FADT header revision from which IAPC_BOOT_ARCH is defined (ACPI 2.0). */
#define ACPI_FADT_REV_BOOT_ARCH 3

/* FADT fixed feature flags, section 5.2.9 (table 5.10). */
#define ACPI_FADT_TMR_VAL_EXT (1u << 8)
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED (1u << 20)

/* IA-PC boot architecture flags, section 5.2.9.3. */
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_8042 (1u << 1)
#define ACPI_BOOT_VGA_NOT_PRESENT (1u << 2)
#define ACPI_BOOT_MSI_NOT_SUPPORTED (1u << 3)
#define ACPI_BOOT_PCIE_ASPM_CONTROLS (1u << 4)
#define ACPI_BOOT_CMOS_RTC_NOT_PRESENT (1u << 5)

/* MCFG, PCI Firmware Specification 3.2 section 4.1.2: header, 8 reserved
 * bytes, then one allocation per ECAM range. */
struct acpi_mcfg {
	struct acpi_sdt_header hdr;
	uint64_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG fixed part is 44 bytes");

struct acpi_mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG entry is 16 bytes");

/* HPET description table, IA-PC HPET Specification 1.0a section 3.2.4. */
struct acpi_hpet {
	struct acpi_sdt_header hdr;
	uint32_t event_timer_block_id;
	struct acpi_gas base;
	uint8_t hpet_number;
	uint16_t min_tick;
	uint8_t page_protection;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_hpet, base) == 40, "HPET base address");
_Static_assert(offsetof(struct acpi_hpet, hpet_number) == 52, "HPET number");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET table is 56 bytes");

/* ------------------------------------------------------------------ results
 * What acpi_parse() decodes. The whole struct is filled by acpi_parse() and
 * read-only afterwards; it is about 7 KiB, so keep it static, not on a stack.
 */

#define ACPI_MAX_TABLES 64
#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 32
#define ACPI_MAX_ECAM 8

/* acpi_info.truncated: which arrays were full when more entries came. */
#define ACPI_TRUNC_TABLES (1u << 0)
#define ACPI_TRUNC_CPUS (1u << 1)
#define ACPI_TRUNC_IOAPICS (1u << 2)
#define ACPI_TRUNC_OVERRIDES (1u << 3)
#define ACPI_TRUNC_ECAM (1u << 4)

/* acpi_info.malformed: tables in which something was ignored as broken. */
#define ACPI_BAD_ROOT (1u << 0)	/* XSDT unusable, RSDT used instead */
#define ACPI_BAD_MADT (1u << 1)	/* bad entry: walk stopped or entry skipped */
#define ACPI_BAD_FADT (1u << 2)	/* shorter than ACPI 1.0 */
#define ACPI_BAD_MCFG (1u << 3)	/* bus range reversed or base 0 */
#define ACPI_BAD_HPET (1u << 4)	/* too short */

/* A decoded register address: a Generic Address Structure, or a legacy
 * FADT I/O port converted into one. address == 0 means absent. */
struct acpi_addr {
	uint8_t space;		/* ACPI_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
};

enum acpi_table_status {
	ACPI_TABLE_OK,
	ACPI_TABLE_UNREADABLE,	/* the map callback refused its range */
	ACPI_TABLE_BAD_LENGTH,	/* < header size or > ACPI_MAX_TABLE_LEN */
	ACPI_TABLE_BAD_CHECKSUM,
	ACPI_TABLE_BAD_SIGNATURE, /* root table or DSDT with the wrong name */
};

/* One table found through the root table (plus the root table itself and
 * the DSDT), for acpi_find() and the boot log. Strings are NUL-terminated
 * with non-printable bytes replaced by '?'. A table that is not
 * ACPI_TABLE_OK was not decoded. */
struct acpi_table_ref {
	char sig[ACPI_SIG_LEN + 1];
	char oem_id[ACPI_OEM_ID_LEN + 1];
	char oem_table_id[ACPI_OEM_TABLE_ID_LEN + 1];
	uint8_t revision;
	uint32_t length;
	uint64_t phys;
	enum acpi_table_status status;
};

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t acpi_uid;
	bool enabled;		/* present now: start it at boot */
	bool online_capable;	/* absent now, may be hot-added later */
	bool x2apic_entry;	/* described by a type 9 (x2APIC) entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t address;
	uint32_t gsi_base;
};

struct acpi_override {
	uint8_t bus;
	uint8_t irq;		/* bus-relative source */
	uint32_t gsi;
	uint16_t flags;		/* ACPI_MPS_* */
};

struct acpi_madt_info {
	bool present;
	bool pcat_compat;	/* 8259 pair present: mask them */
	uint64_t lapic_address;	/* after any type 5 override */
	uint32_t nr_cpus;	/* usable CPUs: enabled or online-capable */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	uint32_t nr_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t nr_overrides;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
};

struct acpi_fadt_info {
	bool present;
	uint8_t revision;
	bool hw_reduced;
	uint16_t sci_irq;
	struct acpi_addr pm_timer;	/* address 0: no PM timer */
	uint8_t pm_timer_bits;		/* 24 or 32 */
	bool reset_supported;		/* reset_reg/reset_value valid */
	struct acpi_addr reset_reg;
	uint8_t reset_value;
	struct acpi_addr pm1a_cnt;
	struct acpi_addr pm1b_cnt;	/* address 0: no PM1b block */
	uint8_t century;		/* CMOS index; 0 = not supported */
	bool boot_arch_valid;		/* false: ACPI 1.0 FADT, no such field */
	uint16_t boot_arch;		/* ACPI_BOOT_* */
	uint64_t dsdt;			/* X_DSDT if set, else DSDT */
};

struct acpi_ecam {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
};

struct acpi_mcfg_info {
	uint32_t nr_ecam;
	struct acpi_ecam ecam[ACPI_MAX_ECAM];
};

struct acpi_hpet_info {
	bool present;
	struct acpi_addr base;
	uint8_t number;
};

struct acpi_info {
	uint8_t rsdp_revision;
	char oem_id[ACPI_OEM_ID_LEN + 1];
	bool xsdt_used;			/* else the RSDT */
	uint64_t root_phys;
	uint32_t nr_tables;		/* entries in tables[] */
	uint32_t nr_bad_tables;		/* of all found, even past tables[] */
	struct acpi_table_ref tables[ACPI_MAX_TABLES];
	struct acpi_madt_info madt;
	struct acpi_fadt_info fadt;
	struct acpi_mcfg_info mcfg;
	struct acpi_hpet_info hpet;
	uint32_t truncated;		/* ACPI_TRUNC_* */
	uint32_t malformed;		/* ACPI_BAD_* */
};

/* ------------------------------------------------------------------ calls */

/* Return a readable pointer to len bytes at physical address phys, or NULL
 * if that range cannot be read. The parser uses each pointer only until its
 * next call to the callback, so a single temporary mapping window will do. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len, void *ctx);

/* Parse the tables reached from the RSDP at rsdp_phys into *out (which is
 * cleared first). Returns 0, even if some tables were bad (see
 * out->tables[].status, out->malformed, out->truncated), or:
 *   -E_INVAL    bad arguments or RSDP signature/length, bad root signature
 *   -E_FAULT    RSDP or root table unreadable through map
 *   -E_CHECKSUM RSDP or root table checksum wrong
 *   -E_NOENT    the RSDP names no root table
 * When both an XSDT and an RSDT exist the XSDT wins; the RSDT is used only
 * if the XSDT is unusable (then ACPI_BAD_ROOT is set). Of several tables
 * with the same signature, the first good one is decoded. */
int acpi_parse(uint64_t rsdp_phys, acpi_map_fn map, void *ctx,
	       struct acpi_info *out);

/* The first good table with signature sig (4 chars, e.g. "SSDT"), or NULL. */
const struct acpi_table_ref *acpi_find(const struct acpi_info *info,
				       const char sig[ACPI_SIG_LEN]);

/* Sum of len bytes modulo 256: 0 for a correctly checksummed table. Also
 * for code that builds tables, to compute the checksum byte. */
uint8_t acpi_checksum(const void *p, size_t len);

/* Short text for a table status, for the boot log. */
const char *acpi_table_status_str(enum acpi_table_status status);

#endif
