/*
 * Per-domain ACPI tables (see vmm/acpigen.h). Owns the guest's table layout
 * (RSDP, RSDT, XSDT, FADT, FACS, MADT, DSDT, in that order in one buffer)
 * and the AML of the DSDT. The config is ours, not the guest's, but it is
 * still checked: a bad one fails cleanly and the buffer is never overrun.
 *
 * Layout in guest memory, all at base_gpa + offset:
 *
 *   +0     RSDP (36 bytes; Linux finds it by scanning 16-byte boundaries
 *          in 0xE0000-0xFFFFF, or is told its address)
 *   +48    RSDT, XSDT: two entries each, FADT and MADT
 *          FADT -> FACS (64-byte aligned), DSDT
 *          MADT
 *          DSDT (variable length, last so its size need not be known early)
 *
 * Tables are 16-byte aligned; the FACS must be 64-byte aligned (ACPI 6.5
 * section 5.2.10), which is why base_gpa must be too.
 */
#include "vmm/acpigen.h"
#include "kernel/acpi.h"
#include "kernel/errno.h"
#include "kernel/klib.h"

/* ------------------------------------------------------------ identity */

/* OEM fields of every header (section 5.2.6), space padded. */
#define OEM_ID "KEEL  "
#define OEM_TABLE_ID "KEELVM  "
#define OEM_REVISION 1u
#define CREATOR_ID "KEEL"
#define CREATOR_REVISION 1u

/* Table revisions. FADT 6.5 is major 6 minor 5 (section 5.2.9); MADT 5
 * is ACPI 6.3+ (section 5.2.12); DSDT revision 2 makes AML integers 64-bit
 * (section 5.2.11.1); RSDT/XSDT are revision 1 (sections 5.2.7, 5.2.8). */
#define RSDP_REVISION ACPI_RSDP_REV_EXTENDED
#define ROOT_REVISION 1u
#define FADT_REVISION 6u
#define FADT_MINOR_VERSION 5u
#define MADT_REVISION ACPI_MADT_REV_ONLINE_CAPABLE
#define DSDT_REVISION 2u

#define TABLE_ALIGN 16u
#define FACS_ALIGN 64u
#define LIMIT_32BIT (4ULL * GiB)
#define BITS_PER_BYTE 8u

/* Tables named by the root tables (the DSDT and FACS hang off the FADT). */
#define NR_ROOT_ENTRIES 2u
#define MADT_NR_ISOS 2u

/* ------------------------------------------------------------ FACS */

/* Firmware ACPI Control Structure, ACPI 6.5 section 5.2.10 (table 5.14).
 * Required unless the FADT says hardware-reduced; we leave every field but
 * the identity zero: no waking vector (no S3/S4), no global lock owner. */
#define FACS_SIGNATURE "FACS"
#define FACS_VERSION 2u

struct acpi_facs {
	char signature[ACPI_SIG_LEN];
	uint32_t length;
	uint32_t hw_signature;
	uint32_t fw_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_fw_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");
_Static_assert(offsetof(struct acpi_facs, version) == 32, "FACS version");

/* ------------------------------------------------------------ FADT */

/* Fixed feature flags, section 5.2.9 table 5.10, beyond those in acpi.h.
 * PWR_BUTTON stays clear: the power button is a fixed-feature button
 * (PM1 status/enable bit 8), which is what the guest's device model
 * raises to ask for an orderly shutdown. */
#define FADT_WBINVD (1u << 0)		/* WBINVD works: always on x86 */
#define FADT_PROC_C1 (1u << 2)		/* HLT-based C1 on all CPUs */
#define FADT_PWR_BUTTON (1u << 4)	/* set = control-method button */
#define FADT_SLP_BUTTON (1u << 5)	/* set = no fixed sleep button */
#define FADT_FIX_RTC (1u << 6)		/* set = no RTC wake status bit */

#define FADT_FLAGS (FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |           \
		    FADT_FIX_RTC | ACPI_FADT_TMR_VAL_EXT |                     \
		    ACPI_FADT_RESET_REG_SUP)

/* Preferred_PM_Profile (section 5.2.9): 0 = unspecified. */
#define FADT_PM_PROFILE_UNSPECIFIED 0u
/* SMI_CMD = 0: no SMI command port, the machine is always in ACPI mode
 * (section 5.2.9, SMI_CMD). ACPI_ENABLE/ACPI_DISABLE are then unused. */
#define FADT_NO_SMI_CMD 0u
/* A C2 latency above 100 us or a C3 latency above 1000 us means the state
 * is not supported (section 5.2.9, P_LVL2_LAT/P_LVL3_LAT). */
#define FADT_P_LVL2_LAT_NONE 101u
#define FADT_P_LVL3_LAT_NONE 1001u

/* Generic Address Structure access sizes, section 5.2.3.2 (table 5.2). */
#define GAS_ACCESS_BYTE 1u
#define GAS_ACCESS_WORD 2u
#define GAS_ACCESS_DWORD 3u

/* PM1 event/control registers are 16 bits wide, the timer 32. */
#define PM1_ACCESS GAS_ACCESS_WORD
#define PM_TMR_ACCESS GAS_ACCESS_DWORD
#define RESET_REG_BITS 8u

/* ------------------------------------------------------------ MADT */

#define MADT_LAPIC_ADDRESS 0xFEE00000u
#define ISA_BUS 0u
#define ISA_IRQ_PIT 0u
#define GSI_PIT 2u		/* the PIT is wired to I/O APIC pin 2 */
#define IOAPIC_GSI_BASE 0u

/* ------------------------------------------------------------ AML
 * Encodings from ACPI 6.5 chapter 20 (section 20.2 grammar, 20.3 opcode
 * table). */
#define AML_ZERO_OP 0x00u
#define AML_ONE_OP 0x01u
#define AML_NAME_OP 0x08u
#define AML_BYTE_PREFIX 0x0Au
#define AML_WORD_PREFIX 0x0Bu
#define AML_DWORD_PREFIX 0x0Cu
#define AML_QWORD_PREFIX 0x0Eu
#define AML_SCOPE_OP 0x10u
#define AML_BUFFER_OP 0x11u
#define AML_PACKAGE_OP 0x12u
#define AML_EXT_OP_PREFIX 0x5Bu
#define AML_DEVICE_OP 0x82u	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR 0x5Cu	/* '\' */
#define AML_NAMESEG_LEN 4u

/* PkgLength, section 20.2.4: one byte holds up to 63 in bits 0-5; longer
 * encodings put the count of following bytes in bits 6-7 of the lead byte,
 * the low nibble in bits 0-3, then 8 bits per following byte. */
#define PKGLEN_MAX_BYTES 4u
#define PKGLEN_1BYTE_BITS 6u
#define PKGLEN_LEAD_NIBBLE_BITS 4u
#define PKGLEN_LEAD_NIBBLE_MASK 0x0Fu
#define PKGLEN_COUNT_SHIFT 6u

/* Resource descriptors, section 6.4. A small item's tag byte is
 * 0 | name << 3 | length (6.4.2); a large item's is 1 << 7 | name, then a
 * 16-bit length of what follows the 3-byte header (6.4.3). */
#define RES_SMALL_TAG(name, len) ((uint8_t)(((name) << 3) | (len)))
#define RES_LARGE_TAG(name) ((uint8_t)(0x80u | (name)))
#define RES_IO_NAME 0x08u		/* 6.4.2.5 I/O Port */
#define RES_IO_LEN 7u
#define RES_IO_DECODE16 (1u << 0)
#define RES_IO_ALIGN 1u			/* fixed range: byte alignment */
#define RES_END_NAME 0x0Fu		/* 6.4.2.9 End Tag */
#define RES_END_LEN 1u
#define RES_DWORD_ADDR_NAME 0x07u	/* 6.4.3.5.2 DWord Address Space */
#define RES_DWORD_ADDR_LEN 23u
#define RES_WORD_ADDR_NAME 0x08u	/* 6.4.3.5.3 Word Address Space */
#define RES_WORD_ADDR_LEN 13u

/* Address space descriptor fields (6.4.3.5, tables 6.44-6.47). */
#define RES_TYPE_MEMORY 0u
#define RES_TYPE_IO 1u
#define RES_TYPE_BUS 2u
#define RES_GEN_MIN_FIXED (1u << 2)
#define RES_GEN_MAX_FIXED (1u << 3)	/* producer, positive decode: 0 */
#define RES_GEN_FLAGS (RES_GEN_MIN_FIXED | RES_GEN_MAX_FIXED)
#define RES_IO_RNG_ENTIRE 3u		/* _RNG: ISA and non-ISA ranges */
#define RES_MEM_RW (1u << 0)		/* _RW; _MEM 0 = non-cacheable */

/* What the PCI host bridge decodes: all 256 buses, the 0xCF8-0xCFF
 * configuration mechanism #1 ports (PCI Local Bus 3.0 section 3.2.2.3.2),
 * and all other I/O ports as two windows around them. */
#define PCI_BUS_MIN 0u
#define PCI_BUS_MAX 255u
#define PCI_CFG_PORT 0xCF8u
#define PCI_CFG_PORT_LEN 8u
#define PCI_IO_WIN0_MIN 0x0000u
#define PCI_IO_WIN0_MAX 0x0CF7u
#define PCI_IO_WIN1_MIN 0x0D00u
#define PCI_IO_WIN1_MAX 0xFFFFu
#define RES_TEMPLATE_MAX 128u

/* _S5 package: SLP_TYPa, SLP_TYPb, two reserved (section 7.4.2.5). */
#define S5_PACKAGE_ELEMENTS 4u

/* EISA id "PNP0A03": PCI host bridge (PCI Firmware Specification 3.2
 * section 4.1.1). */
#define EISA_VENDOR_PNP "PNP"
#define EISA_PRODUCT_PCI_HOST 0x0A03u
#define EISA_VENDOR_LEN 3u
#define EISA_CHAR_BITS 5u
#define EISA_CHAR_BASE ('A' - 1)

/* ------------------------------------------------------------ helpers */

static uint32_t gpa32(const struct acpigen_config *c, uint32_t off)
{
	return (uint32_t)(c->base_gpa + off);
}

/* Fill a standard header (section 5.2.6); the checksum comes last. */
static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	struct acpi_sdt_header h;

	memset(&h, 0, sizeof(h));
	memcpy(h.signature, sig, ACPI_SIG_LEN);
	h.length = len;
	h.revision = rev;
	memcpy(h.oem_id, OEM_ID, ACPI_OEM_ID_LEN);
	memcpy(h.oem_table_id, OEM_TABLE_ID, ACPI_OEM_TABLE_ID_LEN);
	h.oem_revision = OEM_REVISION;
	memcpy(&h.creator_id, CREATOR_ID, sizeof(h.creator_id));
	h.creator_revision = CREATOR_REVISION;
	memcpy(t, &h, sizeof(h));
}

/* Make all 'length' bytes of the table at t sum to zero. */
static void sdt_checksum(uint8_t *t)
{
	struct acpi_sdt_header h;
	size_t at = offsetof(struct acpi_sdt_header, checksum);

	memcpy(&h, t, sizeof(h));
	t[at] = 0;
	t[at] = (uint8_t)-acpi_checksum(t, h.length);
}

/* ------------------------------------------------------------ layout */

static uint32_t root_len(size_t entry_size)
{
	return (uint32_t)(sizeof(struct acpi_sdt_header) +
			  NR_ROOT_ENTRIES * entry_size);
}

static uint32_t madt_len(unsigned nr_cpus)
{
	return (uint32_t)(sizeof(struct acpi_madt) +
			  nr_cpus * sizeof(struct acpi_madt_lapic) +
			  sizeof(struct acpi_madt_ioapic) +
			  MADT_NR_ISOS * sizeof(struct acpi_madt_iso));
}

/* Offsets of everything before the DSDT; all sizes there are fixed. */
static void plan(const struct acpigen_config *c, struct acpigen_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->rsdp_gpa = c->base_gpa;
	l->rsdt_off = ALIGN_UP((uint32_t)sizeof(struct acpi_rsdp), TABLE_ALIGN);
	l->xsdt_off = ALIGN_UP(l->rsdt_off + root_len(ACPI_RSDT_ENTRY_SIZE),
			       TABLE_ALIGN);
	l->fadt_off = ALIGN_UP(l->xsdt_off + root_len(ACPI_XSDT_ENTRY_SIZE),
			       TABLE_ALIGN);
	l->facs_off = ALIGN_UP(l->fadt_off + (uint32_t)sizeof(struct acpi_fadt),
			       FACS_ALIGN);
	l->madt_off = ALIGN_UP(l->facs_off + (uint32_t)sizeof(struct acpi_facs),
			       TABLE_ALIGN);
	l->dsdt_off = ALIGN_UP(l->madt_off + madt_len(c->nr_cpus), TABLE_ALIGN);
}

static int check_config(const struct acpigen_config *c)
{
	if (c->nr_cpus == 0 || c->nr_cpus > ACPIGEN_MAX_CPUS)
		return -E_INVAL;
	if (c->base_gpa % FACS_ALIGN != 0 || c->base_gpa >= LIMIT_32BIT)
		return -E_INVAL;
	if ((uint64_t)c->pci_mmio_base + c->pci_mmio_size > LIMIT_32BIT)
		return -E_INVAL;
	return 0;
}

/* ------------------------------------------------------------ RSDP, roots */

static void build_rsdp(const struct acpigen_config *c,
		       const struct acpigen_layout *l, uint8_t *buf)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIG_LEN);
	memcpy(r.oem_id, OEM_ID, ACPI_OEM_ID_LEN);
	r.revision = RSDP_REVISION;
	r.rsdt_address = gpa32(c, l->rsdt_off);
	r.length = sizeof(r);
	r.xsdt_address = c->base_gpa + l->xsdt_off;
	/* The 1.0 checksum covers the first 20 bytes only; the extended one
	 * covers all of them, including the first checksum (5.2.5.3). */
	r.checksum = (uint8_t)-acpi_checksum(&r, ACPI_RSDP_V1_LEN);
	r.extended_checksum = (uint8_t)-acpi_checksum(&r, sizeof(r));
	memcpy(buf, &r, sizeof(r));
}

/* RSDT (32-bit entries) or XSDT (64-bit): both list the FADT and MADT. */
static void build_root(const struct acpigen_config *c,
		       const struct acpigen_layout *l, uint8_t *t,
		       const char *sig, size_t esize)
{
	const uint32_t offs[NR_ROOT_ENTRIES] = { l->fadt_off, l->madt_off };
	uint8_t *e = t + sizeof(struct acpi_sdt_header);

	sdt_header(t, sig, root_len(esize), ROOT_REVISION);
	for (size_t i = 0; i < NR_ROOT_ENTRIES; i++, e += esize) {
		uint64_t addr = c->base_gpa + offs[i];

		memcpy(e, &addr, esize);	/* low bytes: little-endian */
	}
	sdt_checksum(t);
}

/* ------------------------------------------------------------ FADT, FACS */

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = ACPI_SPACE_IO,
		.bit_width = (uint8_t)(bytes * BITS_PER_BYTE),
		.access_size = access,
		.address = port,
	};
}

static uint16_t boot_arch(const struct acpigen_config *c)
{
	/* The 8259s, PIT and RTC are always emulated: legacy devices. */
	uint16_t arch = ACPI_BOOT_LEGACY_DEVICES;

	if (c->i8042)
		arch |= ACPI_BOOT_8042;
	if (!c->vga)
		arch |= ACPI_BOOT_VGA_NOT_PRESENT;
	return arch;
}

/* PM register blocks: the legacy port fields and their X_ twins agree, as
 * ACPICA checks (section 5.2.9: X_ wins when both are set). */
static void fadt_pm_blocks(struct acpi_fadt *f, uint16_t pm)
{
	f->pm1a_evt_blk = pm + ACPIGEN_PM1_EVT_OFF;
	f->pm1a_cnt_blk = pm + ACPIGEN_PM1_CNT_OFF;
	f->pm_tmr_blk = pm + ACPIGEN_PM_TMR_OFF;
	f->pm1_evt_len = ACPIGEN_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPIGEN_PM1_CNT_LEN;
	f->pm_tmr_len = ACPIGEN_PM_TMR_LEN;
	f->x_pm1a_evt_blk = gas_io((uint16_t)f->pm1a_evt_blk,
				   ACPIGEN_PM1_EVT_LEN, PM1_ACCESS);
	f->x_pm1a_cnt_blk = gas_io((uint16_t)f->pm1a_cnt_blk,
				   ACPIGEN_PM1_CNT_LEN, PM1_ACCESS);
	f->x_pm_tmr_blk = gas_io((uint16_t)f->pm_tmr_blk, ACPIGEN_PM_TMR_LEN,
				 PM_TMR_ACCESS);
}

static void build_fadt(const struct acpigen_config *c,
		       const struct acpigen_layout *l, uint8_t *t)
{
	struct acpi_fadt f;
	uint16_t pm = c->pm_base ? c->pm_base : ACPIGEN_PM_BASE_DEFAULT;

	memset(&f, 0, sizeof(f));
	f.firmware_ctrl = gpa32(c, l->facs_off);
	f.dsdt = gpa32(c, l->dsdt_off);
	f.preferred_pm_profile = FADT_PM_PROFILE_UNSPECIFIED;
	f.sci_int = ACPIGEN_SCI_IRQ;
	f.smi_cmd = FADT_NO_SMI_CMD;
	f.p_lvl2_lat = FADT_P_LVL2_LAT_NONE;
	f.p_lvl3_lat = FADT_P_LVL3_LAT_NONE;
	f.iapc_boot_arch = boot_arch(c);
	f.flags = FADT_FLAGS;
	f.reset_reg = gas_io(ACPIGEN_RESET_PORT, RESET_REG_BITS / BITS_PER_BYTE,
			     GAS_ACCESS_BYTE);
	f.reset_value = ACPIGEN_RESET_VALUE;
	f.minor_version = FADT_MINOR_VERSION;
	/* X_FIRMWARE_CTRL must be 0 when FIRMWARE_CTRL is set (table 5.9);
	 * X_DSDT may duplicate DSDT and then wins. */
	f.x_firmware_ctrl = 0;
	f.x_dsdt = c->base_gpa + l->dsdt_off;
	fadt_pm_blocks(&f, pm);
	memcpy(t, &f, sizeof(f));
	sdt_header(t, "FACP", sizeof(f), FADT_REVISION);
	sdt_checksum(t);
}

static void build_facs(uint8_t *t)
{
	struct acpi_facs f;

	memset(&f, 0, sizeof(f));
	memcpy(f.signature, FACS_SIGNATURE, ACPI_SIG_LEN);
	f.length = sizeof(f);
	f.version = FACS_VERSION;
	memcpy(t, &f, sizeof(f));	/* the FACS has no checksum */
}

/* ------------------------------------------------------------ MADT */

static uint8_t *madt_lapics(uint8_t *e, unsigned nr_cpus)
{
	for (unsigned i = 0; i < nr_cpus; i++) {
		struct acpi_madt_lapic l = {
			.e = { ACPI_MADT_LAPIC, sizeof(l) },
			.acpi_uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = ACPI_LAPIC_ENABLED,
		};

		memcpy(e, &l, sizeof(l));
		e += sizeof(l);
	}
	return e;
}

/* ISA IRQ0 (PIT) arrives on GSI 2, edge; the SCI is level, active high,
 * unlike ISA's default edge (section 5.2.12.5). */
static void madt_isos(uint8_t *e)
{
	const struct acpi_madt_iso isos[MADT_NR_ISOS] = {
		{ .e = { ACPI_MADT_ISO, sizeof(isos[0]) }, .bus = ISA_BUS,
		  .source = ISA_IRQ_PIT, .gsi = GSI_PIT,
		  .flags = ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_EDGE },
		{ .e = { ACPI_MADT_ISO, sizeof(isos[0]) }, .bus = ISA_BUS,
		  .source = ACPIGEN_SCI_IRQ, .gsi = ACPIGEN_SCI_IRQ,
		  .flags = ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_LEVEL },
	};

	memcpy(e, isos, sizeof(isos));
}

static void build_madt(const struct acpigen_config *c, uint8_t *t)
{
	struct acpi_madt m = {
		.lapic_address = MADT_LAPIC_ADDRESS,
		.flags = ACPI_MADT_PCAT_COMPAT,	/* the 8259s are emulated */
	};
	struct acpi_madt_ioapic io = {
		.e = { ACPI_MADT_IOAPIC, sizeof(io) },
		.ioapic_id = (uint8_t)c->nr_cpus,
		.address = c->ioapic_addr ? c->ioapic_addr :
					    ACPIGEN_IOAPIC_DEFAULT,
		.gsi_base = IOAPIC_GSI_BASE,
	};
	uint8_t *e;

	memcpy(t, &m, sizeof(m));
	sdt_header(t, "APIC", madt_len(c->nr_cpus), MADT_REVISION);
	e = madt_lapics(t + sizeof(m), c->nr_cpus);
	memcpy(e, &io, sizeof(io));
	madt_isos(e + sizeof(io));
	sdt_checksum(t);
}

/* ------------------------------------------------------------ AML writer
 * Writes into buf[0..cap); the first write that does not fit sets
 * 'overflow' and every later call does nothing. */

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || a->cap - a->len < n) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, sizeof(b));
}

static void aml_u16(struct aml *a, uint16_t v)
{
	aml_bytes(a, &v, sizeof(v));
}

static void aml_u32(struct aml *a, uint32_t v)
{
	aml_bytes(a, &v, sizeof(v));
}

size_t aml_pkglen_encode(uint32_t body_len, uint8_t out[4])
{
	for (uint32_t n = 1; n <= PKGLEN_MAX_BYTES; n++) {
		uint32_t bits = n == 1 ? PKGLEN_1BYTE_BITS :
					 PKGLEN_LEAD_NIBBLE_BITS +
						 (n - 1) * BITS_PER_BYTE;
		uint32_t max = (1u << bits) - 1;
		uint32_t v = body_len + n;

		if (body_len > max - n)
			continue;
		if (n == 1) {
			out[0] = (uint8_t)v;
			return 1;
		}
		out[0] = (uint8_t)(((n - 1) << PKGLEN_COUNT_SHIFT) |
				   (v & PKGLEN_LEAD_NIBBLE_MASK));
		for (uint32_t i = 1; i < n; i++)
			out[i] = (uint8_t)(v >> (PKGLEN_LEAD_NIBBLE_BITS +
						 (i - 1) * BITS_PER_BYTE));
		return n;
	}
	return 0;
}

/* A PkgLength-prefixed object: remember where its body starts, write the
 * body, then insert the PkgLength in front of it once its size is known. */
static size_t aml_open(const struct aml *a)
{
	return a->len;
}

static void aml_close(struct aml *a, size_t start)
{
	size_t body = a->len - start;
	uint8_t enc[PKGLEN_MAX_BYTES];
	size_t n;

	if (a->overflow)
		return;
	n = body > AML_PKGLEN_MAX ? 0 : aml_pkglen_encode((uint32_t)body, enc);
	if (n == 0 || a->cap - a->len < n) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, enc, n);
	a->len += n;
}

static void aml_nameseg(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, AML_NAMESEG_LEN);
}

/* Integer in its shortest encoding (section 20.2.3 ComputationalData). */
static void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= UINT8_MAX) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, (uint8_t)v);
	} else if (v <= UINT16_MAX) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_u16(a, (uint16_t)v);
	} else if (v <= UINT32_MAX) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_u32(a, (uint32_t)v);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_bytes(a, &v, sizeof(v));
	}
}

/* EisaId("VVVdddd") as ASL compiles it: three letters of 5 bits and four
 * hex digits, stored big-endian (section 6.1.5, _HID). The result is the
 * little-endian integer whose bytes are in that order. */
static uint32_t eisa_id(const char *vendor, uint16_t product)
{
	uint16_t v = 0;
	uint8_t b[sizeof(uint32_t)];
	uint32_t id;

	for (size_t i = 0; i < EISA_VENDOR_LEN; i++)
		v = (uint16_t)((v << EISA_CHAR_BITS) |
			       (uint16_t)(vendor[i] - EISA_CHAR_BASE));
	b[0] = (uint8_t)(v >> BITS_PER_BYTE);
	b[1] = (uint8_t)v;
	b[2] = (uint8_t)(product >> BITS_PER_BYTE);
	b[3] = (uint8_t)product;
	memcpy(&id, b, sizeof(id));
	return id;
}

/* Name(seg, Integer) */
static void aml_name_int(struct aml *a, const char *seg, uint64_t v)
{
	aml_byte(a, AML_NAME_OP);
	aml_nameseg(a, seg);
	aml_int(a, v);
}

/* ------------------------------------------------------------ _CRS */

/* Word Address Space Descriptor (6.4.3.5.3): a producer range min..max. */
static void res_word(struct aml *r, uint8_t type, uint8_t type_flags,
		     uint16_t min, uint16_t max)
{
	aml_byte(r, RES_LARGE_TAG(RES_WORD_ADDR_NAME));
	aml_u16(r, RES_WORD_ADDR_LEN);
	aml_byte(r, type);
	aml_byte(r, RES_GEN_FLAGS);
	aml_byte(r, type_flags);
	aml_u16(r, 0);			/* granularity */
	aml_u16(r, min);
	aml_u16(r, max);
	aml_u16(r, 0);			/* translation offset */
	aml_u16(r, (uint16_t)(max - min + 1));
}

/* DWord Address Space Descriptor (6.4.3.5.2) for a memory window. */
static void res_dword_mem(struct aml *r, uint32_t base, uint32_t size)
{
	aml_byte(r, RES_LARGE_TAG(RES_DWORD_ADDR_NAME));
	aml_u16(r, RES_DWORD_ADDR_LEN);
	aml_byte(r, RES_TYPE_MEMORY);
	aml_byte(r, RES_GEN_FLAGS);
	aml_byte(r, RES_MEM_RW);
	aml_u32(r, 0);			/* granularity */
	aml_u32(r, base);
	aml_u32(r, base + size - 1);
	aml_u32(r, 0);			/* translation offset */
	aml_u32(r, size);
}

/* I/O Port Descriptor (6.4.2.5): a fixed range the bridge consumes. */
static void res_io(struct aml *r, uint16_t port, uint8_t len)
{
	aml_byte(r, RES_SMALL_TAG(RES_IO_NAME, RES_IO_LEN));
	aml_byte(r, RES_IO_DECODE16);
	aml_u16(r, port);
	aml_u16(r, port);
	aml_byte(r, RES_IO_ALIGN);
	aml_byte(r, len);
}

/* End Tag (6.4.2.9): its checksum makes the whole template sum to 0. */
static void res_end(struct aml *r)
{
	aml_byte(r, RES_SMALL_TAG(RES_END_NAME, RES_END_LEN));
	if (!r->overflow)
		aml_byte(r, (uint8_t)-acpi_checksum(r->buf, r->len));
}

/* Name(_CRS, ResourceTemplate() { ... }) for PCI0: a Buffer object. */
static void pci0_crs(struct aml *a, const struct acpigen_config *c)
{
	uint8_t tmpl[RES_TEMPLATE_MAX];
	struct aml r = { .buf = tmpl, .cap = sizeof(tmpl) };
	size_t pkg;

	res_word(&r, RES_TYPE_BUS, 0, PCI_BUS_MIN, PCI_BUS_MAX);
	res_io(&r, PCI_CFG_PORT, PCI_CFG_PORT_LEN);
	res_word(&r, RES_TYPE_IO, RES_IO_RNG_ENTIRE, PCI_IO_WIN0_MIN,
		 PCI_IO_WIN0_MAX);
	res_word(&r, RES_TYPE_IO, RES_IO_RNG_ENTIRE, PCI_IO_WIN1_MIN,
		 PCI_IO_WIN1_MAX);
	if (c->pci_mmio_size)
		res_dword_mem(&r, c->pci_mmio_base, c->pci_mmio_size);
	res_end(&r);
	/* RES_TEMPLATE_MAX holds every descriptor above: cannot overflow. */

	aml_byte(a, AML_NAME_OP);
	aml_nameseg(a, "_CRS");
	aml_byte(a, AML_BUFFER_OP);
	pkg = aml_open(a);
	aml_int(a, r.len);
	aml_bytes(a, tmpl, r.len);
	aml_close(a, pkg);
}

/* ------------------------------------------------------------ DSDT */

/* Scope(\_SB) { Device(PCI0) { _HID, _CID, _UID, _BBN, _CRS } } */
static void dsdt_sb(struct aml *a, const struct acpigen_config *c)
{
	uint32_t pnp0a03 = eisa_id(EISA_VENDOR_PNP, EISA_PRODUCT_PCI_HOST);
	size_t scope, dev;

	aml_byte(a, AML_SCOPE_OP);
	scope = aml_open(a);
	aml_byte(a, AML_ROOT_CHAR);
	aml_nameseg(a, "_SB_");
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	dev = aml_open(a);
	aml_nameseg(a, "PCI0");
	aml_name_int(a, "_HID", pnp0a03);
	aml_name_int(a, "_CID", pnp0a03);
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_BBN", PCI_BUS_MIN);
	pci0_crs(a, c);
	aml_close(a, dev);
	aml_close(a, scope);
}

/* Name(\_S5, Package() { SLP_TYPa, SLP_TYPb, 0, 0 }): soft off. */
static void dsdt_s5(struct aml *a, const struct acpigen_config *c)
{
	size_t pkg;

	aml_byte(a, AML_NAME_OP);
	aml_byte(a, AML_ROOT_CHAR);
	aml_nameseg(a, "_S5_");
	aml_byte(a, AML_PACKAGE_OP);
	pkg = aml_open(a);
	aml_byte(a, S5_PACKAGE_ELEMENTS);
	aml_int(a, c->s5_slp_typ);
	aml_int(a, c->s5_slp_typ);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_close(a, pkg);
}

/* The DSDT at buf[0..cap): returns its length, or 0 if it did not fit. */
static uint32_t build_dsdt(const struct acpigen_config *c, uint8_t *t,
			   size_t cap)
{
	struct aml a = { .buf = t, .cap = cap };
	uint8_t hdr[sizeof(struct acpi_sdt_header)];

	memset(hdr, 0, sizeof(hdr));
	aml_bytes(&a, hdr, sizeof(hdr));	/* filled in below */
	dsdt_sb(&a, c);
	dsdt_s5(&a, c);
	if (a.overflow)
		return 0;
	sdt_header(t, "DSDT", (uint32_t)a.len, DSDT_REVISION);
	sdt_checksum(t);
	return (uint32_t)a.len;
}

/* ------------------------------------------------------------ entry */

int acpigen_build(const struct acpigen_config *c, uint8_t *buf, size_t size,
		  struct acpigen_layout *out)
{
	struct acpigen_layout l;
	int err;

	if (!c || !buf || !out)
		return -E_INVAL;
	err = check_config(c);
	if (err)
		return err;
	plan(c, &l);
	if (size < l.dsdt_off)
		return -E_RANGE;
	memset(buf, 0, l.dsdt_off);	/* padding between tables */
	l.dsdt_len = build_dsdt(c, buf + l.dsdt_off, size - l.dsdt_off);
	if (l.dsdt_len == 0)
		return -E_RANGE;
	l.total_len = l.dsdt_off + l.dsdt_len;
	if (c->base_gpa + l.total_len > LIMIT_32BIT)
		return -E_INVAL;
	build_rsdp(c, &l, buf);
	build_root(c, &l, buf + l.rsdt_off, "RSDT", ACPI_RSDT_ENTRY_SIZE);
	build_root(c, &l, buf + l.xsdt_off, "XSDT", ACPI_XSDT_ENTRY_SIZE);
	build_fadt(c, &l, buf + l.fadt_off);
	build_facs(buf + l.facs_off);
	build_madt(c, buf + l.madt_off);
	*out = l;
	return 0;
}
