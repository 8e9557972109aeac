/* Unit tests for the per-domain ACPI table generator (vmm/acpigen.c). The
 * generated tables are read back with the host's parser (kernel/acpi.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/acpi.h"
#include "kernel/errno.h"
#include "vmm/acpigen.h"

#define BASE_GPA 0xE0000u
#define BUF_SIZE 8192u
#define MMIO_BASE 0xC0000000u
#define MMIO_SIZE 0x3EC00000u	/* up to just below the I/O APIC */
#define S5_TYP 5u

static uint8_t buf[BUF_SIZE];
static struct acpi_info info;

static struct acpigen_config config(unsigned nr_cpus)
{
	return (struct acpigen_config){
		.nr_cpus = nr_cpus,
		.base_gpa = BASE_GPA,
		.pm_base = 0x600,
		.ioapic_addr = 0xFEC00000u,
		.i8042 = false,
		.vga = false,
		.s5_slp_typ = S5_TYP,
		.pci_mmio_base = MMIO_BASE,
		.pci_mmio_size = MMIO_SIZE,
	};
}

static struct acpigen_layout build(const struct acpigen_config *c)
{
	struct acpigen_layout l;

	memset(buf, 0xAA, sizeof(buf));
	assert_int_equal(acpigen_build(c, buf, sizeof(buf), &l), 0);
	assert_int_equal(l.rsdp_gpa, c->base_gpa);
	assert_true(l.total_len <= sizeof(buf));
	return l;
}

/* ------------------------------------------------------------ parser glue */

struct guest {
	const uint8_t *buf;
	uint64_t base;
	size_t len;
};

static const void *map(uint64_t phys, size_t len, void *ctx)
{
	const struct guest *g = ctx;

	if (phys < g->base || phys - g->base > g->len ||
	    len > g->len - (phys - g->base))
		return NULL;
	return g->buf + (phys - g->base);
}

static void parse(const struct acpigen_config *c,
		  const struct acpigen_layout *l)
{
	struct guest g = { buf, c->base_gpa, l->total_len };

	assert_int_equal(acpi_parse(l->rsdp_gpa, map, &g, &info), 0);
	assert_int_equal(info.malformed, 0);
	assert_int_equal(info.truncated, 0);
	assert_int_equal(info.nr_bad_tables, 0);
	assert_int_equal(info.rsdp_revision, 2);
	assert_true(info.xsdt_used);
}

static struct acpi_sdt_header header_at(uint32_t off)
{
	struct acpi_sdt_header h;

	memcpy(&h, buf + off, sizeof(h));
	return h;
}

static struct acpi_fadt fadt_at(const struct acpigen_layout *l)
{
	struct acpi_fadt f;

	memcpy(&f, buf + l->fadt_off, sizeof(f));
	return f;
}

/* ------------------------------------------------------------ round trip */

static void check_madt(const struct acpigen_config *c)
{
	const struct acpi_madt_info *m = &info.madt;

	assert_true(m->present);
	assert_true(m->pcat_compat);
	assert_int_equal(m->lapic_address, 0xFEE00000u);
	assert_int_equal(m->nr_cpus, c->nr_cpus);
	for (unsigned i = 0; i < c->nr_cpus; i++) {
		assert_int_equal(m->cpus[i].apic_id, i);
		assert_int_equal(m->cpus[i].acpi_uid, i);
		assert_true(m->cpus[i].enabled);
		assert_false(m->cpus[i].x2apic_entry);
	}
	assert_int_equal(m->nr_ioapics, 1);
	assert_int_equal(m->ioapics[0].id, c->nr_cpus);
	assert_int_equal(m->ioapics[0].address, 0xFEC00000u);
	assert_int_equal(m->ioapics[0].gsi_base, 0);
	assert_int_equal(m->nr_overrides, 2);
	assert_int_equal(m->overrides[0].bus, 0);
	assert_int_equal(m->overrides[0].irq, 0);
	assert_int_equal(m->overrides[0].gsi, 2);
	assert_int_equal(m->overrides[0].flags & ACPI_MPS_TRIGGER_MASK,
			 ACPI_MPS_TRIGGER_EDGE);
	assert_int_equal(m->overrides[1].irq, 9);
	assert_int_equal(m->overrides[1].gsi, 9);
	assert_int_equal(m->overrides[1].flags,
			 ACPI_MPS_TRIGGER_LEVEL | ACPI_MPS_POLARITY_HIGH);
}

static void check_fadt_info(const struct acpigen_layout *l)
{
	const struct acpi_fadt_info *f = &info.fadt;

	assert_true(f->present);
	assert_int_equal(f->revision, 6);
	assert_false(f->hw_reduced);
	assert_int_equal(f->sci_irq, 9);
	assert_int_equal(f->pm_timer.space, ACPI_SPACE_IO);
	assert_int_equal(f->pm_timer.address, 0x608);
	assert_int_equal(f->pm_timer.bit_width, 32);
	assert_int_equal(f->pm_timer_bits, 32);
	assert_int_equal(f->pm1a_cnt.space, ACPI_SPACE_IO);
	assert_int_equal(f->pm1a_cnt.address, 0x604);
	assert_int_equal(f->pm1a_cnt.bit_width, 16);
	assert_int_equal(f->pm1b_cnt.address, 0);
	assert_true(f->reset_supported);
	assert_int_equal(f->reset_reg.space, ACPI_SPACE_IO);
	assert_int_equal(f->reset_reg.address, 0xCF9);
	assert_int_equal(f->reset_reg.bit_width, 8);
	assert_int_equal(f->reset_value, 0x06);
	assert_true(f->boot_arch_valid);
	assert_int_equal(f->boot_arch,
			 ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_VGA_NOT_PRESENT);
	assert_int_equal(f->dsdt, BASE_GPA + l->dsdt_off);
}

static void round_trip(unsigned nr_cpus)
{
	struct acpigen_config c = config(nr_cpus);
	struct acpigen_layout l = build(&c);
	const struct acpi_table_ref *dsdt;

	parse(&c, &l);
	check_madt(&c);
	check_fadt_info(&l);
	/* XSDT, FACP, APIC, DSDT: all found and good. */
	assert_int_equal(info.nr_tables, 4);
	assert_int_equal(info.root_phys, BASE_GPA + l.xsdt_off);
	assert_non_null(acpi_find(&info, "FACP"));
	assert_non_null(acpi_find(&info, "APIC"));
	dsdt = acpi_find(&info, "DSDT");
	assert_non_null(dsdt);
	assert_int_equal(dsdt->length, l.dsdt_len);
	assert_string_equal(dsdt->oem_id, "KEEL  ");
}

static void test_round_trip_1_cpu(void **state)
{
	(void)state;
	round_trip(1);
}

static void test_round_trip_2_cpus(void **state)
{
	(void)state;
	round_trip(2);
}

static void test_round_trip_64_cpus(void **state)
{
	(void)state;
	round_trip(64);
}

static void test_round_trip_max_cpus(void **state)
{
	(void)state;
	round_trip(ACPIGEN_MAX_CPUS);
}

/* Also through the RSDT: break the XSDT and the parser falls back. */
static void test_rsdt_fallback(void **state)
{
	struct acpigen_config c = config(4);
	struct acpigen_layout l = build(&c);
	struct guest g = { buf, c.base_gpa, l.total_len };

	(void)state;
	buf[l.xsdt_off + offsetof(struct acpi_sdt_header, checksum)] ^= 1;
	assert_int_equal(acpi_parse(l.rsdp_gpa, map, &g, &info), 0);
	assert_false(info.xsdt_used);
	assert_int_equal(info.malformed, ACPI_BAD_ROOT);
	assert_int_equal(info.madt.nr_cpus, 4);
	assert_true(info.fadt.present);
}

/* ------------------------------------------------------------ raw layout */

static void check_table(uint32_t off, const char *sig, uint32_t max_end)
{
	struct acpi_sdt_header h = header_at(off);

	assert_memory_equal(h.signature, sig, ACPI_SIG_LEN);
	assert_true(h.length >= sizeof(h));
	assert_true(off + h.length <= max_end);
	assert_int_equal(acpi_checksum(buf + off, h.length), 0);
	assert_int_equal(off % 16, 0);
}

static void test_checksums_and_lengths(void **state)
{
	struct acpigen_config c = config(3);
	struct acpigen_layout l = build(&c);
	struct acpi_rsdp r;

	(void)state;
	memcpy(&r, buf, sizeof(r));
	assert_memory_equal(r.signature, "RSD PTR ", 8);
	assert_int_equal(r.revision, 2);
	assert_int_equal(r.length, 36);
	assert_int_equal(acpi_checksum(buf, 20), 0);
	assert_int_equal(acpi_checksum(buf, 36), 0);
	/* Each table ends before the next starts, in this order. */
	check_table(l.rsdt_off, "RSDT", l.xsdt_off);
	check_table(l.xsdt_off, "XSDT", l.fadt_off);
	check_table(l.fadt_off, "FACP", l.facs_off);
	check_table(l.madt_off, "APIC", l.dsdt_off);
	check_table(l.dsdt_off, "DSDT", l.total_len);
	assert_int_equal(header_at(l.fadt_off).length, sizeof(struct acpi_fadt));
	assert_int_equal(header_at(l.madt_off).length, 44 + 3 * 8 + 12 + 2 * 10);
	assert_int_equal(header_at(l.dsdt_off).length, l.dsdt_len);
	assert_int_equal(l.dsdt_off + l.dsdt_len, l.total_len);
	assert_true(l.rsdt_off >= 36);
	/* FACS: 64-byte aligned in guest memory, 64 bytes, version 2. */
	assert_int_equal((BASE_GPA + l.facs_off) % 64, 0);
	assert_memory_equal(buf + l.facs_off, "FACS", 4);
	assert_int_equal(buf[l.facs_off + 4], 64);
	assert_int_equal(buf[l.facs_off + 32], 2);
	assert_true(l.facs_off + 64 <= l.madt_off);
	/* Nothing written past total_len. */
	assert_int_equal(buf[l.total_len], 0xAA);
}

static void test_root_entries_point_at_tables(void **state)
{
	struct acpigen_config c = config(2);
	struct acpigen_layout l;
	struct acpi_rsdp r;
	uint64_t x[2];
	uint32_t rs[2];

	(void)state;
	c.base_gpa = 0x7FF00000u;	/* anywhere below 4 GiB */
	l = build(&c);
	memcpy(&r, buf, sizeof(r));
	assert_int_equal(r.xsdt_address, c.base_gpa + l.xsdt_off);
	assert_int_equal(r.rsdt_address, c.base_gpa + l.rsdt_off);
	assert_int_equal(header_at(l.xsdt_off).length, 36 + 2 * 8);
	assert_int_equal(header_at(l.rsdt_off).length, 36 + 2 * 4);
	memcpy(x, buf + l.xsdt_off + 36, sizeof(x));
	memcpy(rs, buf + l.rsdt_off + 36, sizeof(rs));
	assert_int_equal(x[0], c.base_gpa + l.fadt_off);
	assert_int_equal(x[1], c.base_gpa + l.madt_off);
	assert_int_equal(rs[0], x[0]);
	assert_int_equal(rs[1], x[1]);
	assert_memory_equal(buf + (x[0] - c.base_gpa), "FACP", 4);
	assert_memory_equal(buf + (x[1] - c.base_gpa), "APIC", 4);
	parse(&c, &l);
	assert_int_equal(info.madt.nr_cpus, 2);
}

static void test_fadt_raw_fields(void **state)
{
	struct acpigen_config c = config(1);
	struct acpigen_layout l;
	struct acpi_fadt f;

	(void)state;
	c.i8042 = true;
	c.vga = true;
	l = build(&c);
	f = fadt_at(&l);
	assert_int_equal(f.minor_version, 5);
	assert_int_equal(f.sci_int, 9);
	assert_int_equal(f.smi_cmd, 0);
	assert_int_equal(f.acpi_enable, 0);
	assert_int_equal(f.pm1a_evt_blk, 0x600);
	assert_int_equal(f.pm1_evt_len, 4);
	assert_int_equal(f.pm1a_cnt_blk, 0x604);
	assert_int_equal(f.pm1_cnt_len, 2);
	assert_int_equal(f.pm_tmr_blk, 0x608);
	assert_int_equal(f.pm_tmr_len, 4);
	assert_int_equal(f.pm1b_evt_blk, 0);
	assert_int_equal(f.gpe0_blk, 0);
	/* X_ blocks agree with the legacy ones. */
	assert_int_equal(f.x_pm1a_evt_blk.address, f.pm1a_evt_blk);
	assert_int_equal(f.x_pm1a_evt_blk.bit_width, 8 * f.pm1_evt_len);
	assert_int_equal(f.x_pm1a_evt_blk.space_id, ACPI_SPACE_IO);
	assert_int_equal(f.x_pm1a_cnt_blk.address, f.pm1a_cnt_blk);
	assert_int_equal(f.x_pm1a_cnt_blk.bit_width, 8 * f.pm1_cnt_len);
	assert_int_equal(f.x_pm_tmr_blk.address, f.pm_tmr_blk);
	assert_int_equal(f.x_pm_tmr_blk.bit_width, 8 * f.pm_tmr_len);
	assert_int_equal(f.x_pm1b_evt_blk.address, 0);
	assert_int_equal(f.dsdt, BASE_GPA + l.dsdt_off);
	assert_int_equal(f.x_dsdt, f.dsdt);
	assert_int_equal(f.firmware_ctrl, BASE_GPA + l.facs_off);
	assert_int_equal(f.x_firmware_ctrl, 0);
	/* Flags: fixed power button (bit 4 clear), 32-bit timer, reset
	 * register, not hardware-reduced. */
	assert_int_equal(f.flags & (1u << 4), 0);
	assert_true(f.flags & ACPI_FADT_TMR_VAL_EXT);
	assert_true(f.flags & ACPI_FADT_RESET_REG_SUP);
	assert_false(f.flags & ACPI_FADT_HW_REDUCED);
	assert_int_equal(f.iapc_boot_arch,
			 ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_8042);
	assert_true(f.p_lvl2_lat > 100);
	assert_true(f.p_lvl3_lat > 1000);
}

static void test_defaults(void **state)
{
	struct acpigen_config c = config(1);
	struct acpigen_layout l;

	(void)state;
	c.pm_base = 0;
	c.ioapic_addr = 0;
	l = build(&c);
	parse(&c, &l);
	assert_int_equal(fadt_at(&l).pm1a_evt_blk, ACPIGEN_PM_BASE_DEFAULT);
	assert_int_equal(info.madt.ioapics[0].address, ACPIGEN_IOAPIC_DEFAULT);

	c.pm_base = 0xB000;
	l = build(&c);
	parse(&c, &l);
	assert_int_equal(info.fadt.pm_timer.address, 0xB000 + ACPIGEN_PM_TMR_OFF);
	assert_int_equal(info.fadt.pm1a_cnt.address, 0xB000 + ACPIGEN_PM1_CNT_OFF);
}

/* ------------------------------------------------------------ errors */

/* Every size short of the total fails, writing nothing past the end:
 * each buffer is a separate exact-size allocation for valgrind. */
static void too_small_at_every_size(const struct acpigen_config *c)
{
	struct acpigen_layout l = build(c), l2;
	uint8_t *want = malloc(l.total_len);

	assert_non_null(want);
	memcpy(want, buf, l.total_len);
	for (size_t size = 0; size < l.total_len; size++) {
		uint8_t *b = malloc(size ? size : 1);

		assert_non_null(b);
		assert_int_equal(acpigen_build(c, b, size, &l2), -E_RANGE);
		free(b);
	}
	for (size_t size = l.total_len; size < l.total_len + 2; size++) {
		uint8_t *b = malloc(size);

		assert_non_null(b);
		assert_int_equal(acpigen_build(c, b, size, &l2), 0);
		assert_int_equal(l2.total_len, l.total_len);
		assert_memory_equal(b, want, l.total_len);
		free(b);
	}
	free(want);
}

static void test_buffer_too_small(void **state)
{
	struct acpigen_config c = config(2);

	(void)state;
	too_small_at_every_size(&c);
	c.pci_mmio_size = 0;
	too_small_at_every_size(&c);
}

static void test_bad_config(void **state)
{
	struct acpigen_config c;
	struct acpigen_layout l;

	(void)state;
	c = config(0);
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), &l), -E_INVAL);
	c = config(ACPIGEN_MAX_CPUS + 1);
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), &l), -E_INVAL);
	c = config(1);
	c.base_gpa = BASE_GPA + 16;	/* FACS would be misaligned */
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), &l), -E_INVAL);
	c.base_gpa = 0x100000000ull;
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), &l), -E_INVAL);
	c.base_gpa = 0x100000000ull - 64;	/* DSDT would cross 4 GiB */
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), &l), -E_INVAL);
	c = config(1);
	c.pci_mmio_base = 0xF0000000u;
	c.pci_mmio_size = 0x20000000u;
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), &l), -E_INVAL);
	c = config(1);
	assert_int_equal(acpigen_build(NULL, buf, sizeof(buf), &l), -E_INVAL);
	assert_int_equal(acpigen_build(&c, NULL, sizeof(buf), &l), -E_INVAL);
	assert_int_equal(acpigen_build(&c, buf, sizeof(buf), NULL), -E_INVAL);
}

/* ------------------------------------------------------------ AML */

/* Decode a PkgLength at p (section 20.2.4); *n gets its byte count. */
static uint32_t pkglen_decode(const uint8_t *p, size_t *n)
{
	uint32_t follow = p[0] >> 6;
	uint32_t v;

	*n = follow + 1;
	if (follow == 0)
		return p[0] & 0x3F;
	assert_int_equal(p[0] & 0x30, 0);	/* reserved bits */
	v = p[0] & 0x0F;
	for (uint32_t i = 1; i <= follow; i++)
		v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

static void check_pkglen(uint32_t body, const uint8_t *want, size_t want_n)
{
	uint8_t out[4];
	size_t n = aml_pkglen_encode(body, out), dn;

	assert_int_equal(n, want_n);
	assert_memory_equal(out, want, n);
	assert_int_equal(pkglen_decode(out, &dn), body + n);
	assert_int_equal(dn, n);
}

static void test_pkglen_encoding(void **state)
{
	uint8_t out[4];

	(void)state;
	check_pkglen(0, (const uint8_t[]){ 0x01 }, 1);
	check_pkglen(62, (const uint8_t[]){ 0x3F }, 1);
	check_pkglen(63, (const uint8_t[]){ 0x41, 0x04 }, 2);	/* 65 */
	check_pkglen(4093, (const uint8_t[]){ 0x4F, 0xFF }, 2);	/* 0xFFF */
	check_pkglen(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);
	check_pkglen(0xFFFFF - 3, (const uint8_t[]){ 0x8F, 0xFF, 0xFF }, 3);
	check_pkglen(0xFFFFF - 2, (const uint8_t[]){ 0xC1, 0x00, 0x00, 0x01 },
		     4);
	check_pkglen(AML_PKGLEN_MAX - 4,
		     (const uint8_t[]){ 0xCF, 0xFF, 0xFF, 0xFF }, 4);
	assert_int_equal(aml_pkglen_encode(AML_PKGLEN_MAX - 3, out), 0);
	assert_int_equal(aml_pkglen_encode(UINT32_MAX, out), 0);
	/* Shortest encoding and exact round trip over a range. */
	for (uint32_t body = 0; body < 0x12000; body++) {
		size_t n = aml_pkglen_encode(body, out), dn;
		size_t want = body + 1 <= 0x3F ? 1 : body + 2 <= 0xFFF ? 2 : 3;

		assert_int_equal(n, want);
		assert_int_equal(pkglen_decode(out, &dn), body + n);
	}
}

/* Parse "PkgLength ..." at *at; returns where the object ends. */
static size_t pkg_end(const uint8_t *t, size_t *at)
{
	size_t n, start = *at;
	uint32_t len = pkglen_decode(t + start, &n);

	*at = start + n;
	return start + len;
}

static const uint8_t *find(const uint8_t *t, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(t + i, s, n) == 0)
			return t + i;
	return NULL;
}

/* Walk a resource template to its end tag; returns the memory window
 * descriptor count. */
static int check_template(const uint8_t *r, size_t len, uint32_t mmio_base,
			  uint32_t mmio_size)
{
	size_t at = 0;
	int mem = 0;

	while (at < len) {
		uint8_t tag = r[at];

		if (tag == 0x79) {
			assert_int_equal(at + 2, len);
			assert_int_equal(acpi_checksum(r, len), 0);
			return mem;
		}
		if (tag & 0x80) {
			uint16_t l;

			memcpy(&l, r + at + 1, 2);
			if (tag == 0x87 && r[at + 3] == 0) {
				uint32_t v[5];

				memcpy(v, r + at + 6, sizeof(v));
				assert_int_equal(v[1], mmio_base);
				assert_int_equal(v[2], mmio_base + mmio_size - 1);
				assert_int_equal(v[4], mmio_size);
				mem++;
			}
			at += 3 + l;
		} else {
			at += 1 + (tag & 7);
		}
	}
	fail_msg("no end tag");
	return -1;
}

static void check_crs(const uint8_t *t, size_t end,
		      const struct acpigen_config *c)
{
	const uint8_t *crs = find(t, end, "_CRS");
	size_t at, buf_end;
	uint32_t size;

	assert_non_null(crs);
	at = (size_t)(crs - t) + 4;
	assert_int_equal(t[at++], 0x11);		/* BufferOp */
	buf_end = pkg_end(t, &at);
	assert_true(buf_end <= end);
	if (t[at] == 0x0A) {				/* BytePrefix */
		size = t[at + 1];
		at += 2;
	} else {
		fail_msg("buffer size not a byte");
	}
	assert_int_equal(at + size, buf_end);
	assert_int_equal(check_template(t + at, size, c->pci_mmio_base,
					c->pci_mmio_size),
			 c->pci_mmio_size ? 1 : 0);
}

/* DefinitionBlock { Scope(\_SB) { Device(PCI0) {...} } Name(\_S5, ...) } */
static void check_dsdt(const struct acpigen_config *c,
		       const struct acpigen_layout *l)
{
	const uint8_t *t = buf + l->dsdt_off;
	struct acpi_sdt_header h = header_at(l->dsdt_off);
	size_t at = sizeof(h), scope_end, dev_end, pkg;
	static const uint8_t pnp0a03[] = { 0x0C, 0x41, 0xD0, 0x0A, 0x03 };

	assert_memory_equal(h.signature, "DSDT", 4);
	assert_int_equal(h.length, l->dsdt_len);
	assert_int_equal(h.revision, 2);
	assert_int_equal(acpi_checksum(t, h.length), 0);

	assert_int_equal(t[at++], 0x10);		/* ScopeOp */
	scope_end = pkg_end(t, &at);
	assert_memory_equal(t + at, "\\_SB_", 5);
	at += 5;
	assert_int_equal(t[at++], 0x5B);		/* DeviceOp */
	assert_int_equal(t[at++], 0x82);
	dev_end = pkg_end(t, &at);
	assert_int_equal(dev_end, scope_end);
	assert_memory_equal(t + at, "PCI0", 4);
	assert_memory_equal(t + at + 4, "\x08_HID", 5);
	assert_memory_equal(t + at + 9, pnp0a03, sizeof(pnp0a03));
	assert_non_null(find(t + at, dev_end - at, "\x08_CID\x0C\x41\xD0\x0A\x03"));
	assert_non_null(find(t + at, dev_end - at, "\x08_UID"));
	assert_non_null(find(t + at, dev_end - at, "\x08_BBN"));
	check_crs(t, dev_end, c);

	at = scope_end;
	assert_memory_equal(t + at, "\x08\\_S5_", 6);
	at += 6;
	assert_int_equal(t[at++], 0x12);		/* PackageOp */
	pkg = pkg_end(t, &at);
	assert_int_equal(pkg, h.length);		/* nothing after it */
	assert_int_equal(t[at++], 4);			/* NumElements */
	assert_int_equal(t[at++], 0x0A);		/* BytePrefix */
	assert_int_equal(t[at++], S5_TYP);
	assert_int_equal(t[at++], 0x0A);
	assert_int_equal(t[at++], S5_TYP);
	assert_int_equal(t[at++], 0x00);
	assert_int_equal(t[at++], 0x00);
	assert_int_equal(at, pkg);
}

static void test_dsdt_well_formed(void **state)
{
	struct acpigen_config c = config(2);
	struct acpigen_layout l = build(&c);

	(void)state;
	assert_non_null(find(buf + l.dsdt_off, l.dsdt_len, "_S5_"));
	assert_non_null(find(buf + l.dsdt_off, l.dsdt_len, "PCI0"));
	check_dsdt(&c, &l);
	c.pci_mmio_size = 0;
	l = build(&c);
	check_dsdt(&c, &l);
	c.s5_slp_typ = 0;			/* ZeroOp, not BytePrefix */
	l = build(&c);
	assert_non_null(find(buf + l.dsdt_off, l.dsdt_len,
			     "\x08\\_S5_\x12\x06\x04"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_1_cpu),
		cmocka_unit_test(test_round_trip_2_cpus),
		cmocka_unit_test(test_round_trip_64_cpus),
		cmocka_unit_test(test_round_trip_max_cpus),
		cmocka_unit_test(test_rsdt_fallback),
		cmocka_unit_test(test_checksums_and_lengths),
		cmocka_unit_test(test_root_entries_point_at_tables),
		cmocka_unit_test(test_fadt_raw_fields),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_pkglen_encoding),
		cmocka_unit_test(test_dsdt_well_formed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
