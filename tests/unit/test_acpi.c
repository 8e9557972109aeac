/*
 * Unit tests for the ACPI table parser (kernel/acpi.c). Tables are built in
 * memory by a small builder that fills headers and fixes checksums, placed
 * in a fake physical memory, and served by a map callback that hands out a
 * fresh heap copy of exactly the requested bytes (the previous copy is
 * poisoned and freed), so that under valgrind any overread or use of a
 * pointer past the next map call is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/acpi.h"
#include "kernel/errno.h"

#define UNUSED __attribute__((unused))

/* ------------------------------------------------------------ fake memory */

#define MAX_REGIONS 160
#define POISON 0xa5

struct region {
	uint64_t phys;
	size_t size;
	uint8_t *bytes;
	bool unreadable;
};

struct fake_mem {
	struct region r[MAX_REGIONS];
	int n;
	uint8_t *window;	/* copy handed out by the last map call */
	size_t window_len;
	unsigned calls;
};

static struct region *region_add(struct fake_mem *m, uint64_t phys,
				 const void *bytes, size_t size)
{
	struct region *r;

	assert_true(m->n < MAX_REGIONS);
	r = &m->r[m->n++];
	r->phys = phys;
	r->size = size;
	r->bytes = calloc(1, size);
	assert_non_null(r->bytes);
	if (bytes)
		memcpy(r->bytes, bytes, size);
	return r;
}

static struct region *region_at(struct fake_mem *m, uint64_t phys)
{
	for (int i = 0; i < m->n; i++)
		if (m->r[i].phys == phys)
			return &m->r[i];
	return NULL;
}

static void drop_window(struct fake_mem *m)
{
	if (m->window)
		memset(m->window, POISON, m->window_len);
	free(m->window);
	m->window = NULL;
	m->window_len = 0;
}

static const void *fake_map(uint64_t phys, size_t len, void *ctx)
{
	struct fake_mem *m = ctx;

	m->calls++;
	drop_window(m);
	for (int i = 0; i < m->n; i++) {
		struct region *r = &m->r[i];

		if (r->unreadable || phys < r->phys ||
		    phys - r->phys > r->size || len > r->size - (phys - r->phys))
			continue;
		m->window = malloc(len ? len : 1);
		assert_non_null(m->window);
		memcpy(m->window, r->bytes + (phys - r->phys), len);
		m->window_len = len;
		return m->window;
	}
	return NULL;
}

static void fake_free(struct fake_mem *m)
{
	drop_window(m);
	for (int i = 0; i < m->n; i++)
		free(m->r[i].bytes);
	m->n = 0;
}

/* ------------------------------------------------------------ builder */

#define TB_MAX 16384
#define HDR_LEN 36

struct tb {
	uint8_t buf[TB_MAX];
	size_t len;
};

/* Independent of acpi_checksum(), so a broken one cannot hide itself. */
static uint8_t sum8(const uint8_t *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s += p[i];
	return (uint8_t)s;
}

static void put_le(uint8_t *at, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		at[i] = (uint8_t)(v >> (8 * i));
}

static void tb_init(struct tb *t, const char *sig, uint8_t rev)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->buf, sig, 4);
	t->buf[8] = rev;
	memcpy(t->buf + 10, "KEELOE", 6);
	memcpy(t->buf + 16, "KEELTEST", 8);
	t->len = HDR_LEN;
}

static void tb_bytes(struct tb *t, const void *p, size_t n)
{
	assert_true(t->len + n <= TB_MAX);
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void tb_int(struct tb *t, uint64_t v, size_t n)
{
	assert_true(t->len + n <= TB_MAX);
	put_le(t->buf + t->len, v, n);
	t->len += n;
}

#define tb_u8(t, v) tb_int(t, v, 1)
#define tb_u16(t, v) tb_int(t, v, 2)
#define tb_u32(t, v) tb_int(t, v, 4)
#define tb_u64(t, v) tb_int(t, v, 8)

/* Set the length field (to the bytes written) and fix the checksum. */
static void tb_finish(struct tb *t)
{
	put_le(t->buf + 4, t->len, 4);
	t->buf[9] = 0;
	t->buf[9] = (uint8_t)-sum8(t->buf, t->len);
}

static struct region *tb_place(struct fake_mem *m, uint64_t phys, struct tb *t)
{
	tb_finish(t);
	return region_add(m, phys, t->buf, t->len);
}

/* Root table (RSDT if esize 4, XSDT if 8) listing n addresses. */
static void place_root(struct fake_mem *m, uint64_t phys, const char *sig,
		       size_t esize, const uint64_t *addrs, size_t n)
{
	struct tb t;

	tb_init(&t, sig, 1);
	for (size_t i = 0; i < n; i++)
		tb_int(&t, addrs[i], esize);
	tb_place(m, phys, &t);
}

static struct region *place_rsdp(struct fake_mem *m, uint64_t phys,
				 uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t r[36] = { 0 };

	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "KEELFW", 6);
	r[15] = rev;
	put_le(r + 16, rsdt, 4);
	put_le(r + 20, sizeof(r), 4);
	put_le(r + 24, xsdt, 8);
	r[8] = (uint8_t)-sum8(r, 20);
	r[32] = (uint8_t)-sum8(r, 36);
	return region_add(m, phys, r, rev >= 2 ? sizeof(r) : 20);
}

static void fix_checksum(struct region *r)
{
	r->bytes[9] = 0;
	r->bytes[9] = (uint8_t)-sum8(r->bytes, r->size);
}

/* Addresses of the fake platform. */
#define RSDP 0xe0000ull
#define XSDT 0x7ffe0000ull
#define RSDT 0x7ffe1000ull
#define MADT 0x7ffe2000ull
#define FADT 0x7ffe3000ull
#define MCFG 0x7ffe4000ull
#define HPET 0x7ffe5000ull
#define DSDT 0x7ffe6000ull
#define SSDT 0x7ffe7000ull
#define MADT2 0x7ffe8000ull
#define FADT2 0x7ffe9000ull
#define FAR_TABLE 0x100000000ull	/* above 4 GiB: XSDT only */

/* MADT entry emitters. */
static void madt_begin(struct tb *t, uint8_t rev, uint32_t lapic, uint32_t flags)
{
	tb_init(t, "APIC", rev);
	tb_u32(t, lapic);
	tb_u32(t, flags);
}

static void e_lapic(struct tb *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	tb_u8(t, 0); tb_u8(t, 8); tb_u8(t, uid); tb_u8(t, id); tb_u32(t, flags);
}

static void e_x2apic(struct tb *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	tb_u8(t, 9); tb_u8(t, 16); tb_u16(t, 0);
	tb_u32(t, id); tb_u32(t, flags); tb_u32(t, uid);
}

static void e_ioapic(struct tb *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	tb_u8(t, 1); tb_u8(t, 12); tb_u8(t, id); tb_u8(t, 0);
	tb_u32(t, addr); tb_u32(t, gsi);
}

static void e_iso(struct tb *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	tb_u8(t, 2); tb_u8(t, 10); tb_u8(t, 0); tb_u8(t, irq);
	tb_u32(t, gsi); tb_u16(t, flags);
}

static void e_lapic_override(struct tb *t, uint64_t addr)
{
	tb_u8(t, 5); tb_u8(t, 12); tb_u16(t, 0); tb_u64(t, addr);
}

/* FADT: a full 276-byte table with named fields set through offsets. */
#define FADT_LEN 276
#define F_DSDT 40
#define F_SCI 46
#define F_PM1A_CNT 64
#define F_PM1B_CNT 68
#define F_PM_TMR 76
#define F_PM1_CNT_LEN 89
#define F_PM_TMR_LEN 91
#define F_CENTURY 108
#define F_BOOT_ARCH 109
#define F_FLAGS 112
#define F_RESET_REG 116
#define F_RESET_VAL 128
#define F_X_DSDT 140
#define F_X_PM1A_CNT 172
#define F_X_PM_TMR 208

static void fadt_begin(struct tb *t, uint8_t rev, size_t len)
{
	tb_init(t, "FACP", rev);
	assert_true(len >= HDR_LEN);
	t->len = len;
}

static void fset(struct tb *t, size_t off, uint64_t v, size_t n)
{
	assert_true(off + n <= t->len);
	put_le(t->buf + off, v, n);
}

static void fset_gas(struct tb *t, size_t off, uint8_t space, uint8_t width,
		     uint64_t addr)
{
	fset(t, off, space, 1);
	fset(t, off + 1, width, 1);
	fset(t, off + 3, 3, 1);		/* dword access */
	fset(t, off + 4, addr, 8);
}

static void place_dsdt(struct fake_mem *m, uint64_t phys)
{
	struct tb t;

	tb_init(&t, "DSDT", 2);
	tb_u32(&t, 0x5f53355f);		/* a few bytes of "AML" */
	tb_place(m, phys, &t);
}

/* A platform: RSDP v2 -> XSDT -> the given tables; the caller places them. */
static void platform(struct fake_mem *m, const uint64_t *tables, size_t n)
{
	place_rsdp(m, RSDP, 2, 0, XSDT);
	place_root(m, XSDT, "XSDT", 8, tables, n);
}

static int parse(struct fake_mem *m, struct acpi_info *info)
{
	return acpi_parse(RSDP, fake_map, m, info);
}

/* The info struct is ~8 KiB; keep it off the test's stack like the kernel. */
static struct acpi_info info;

/* ------------------------------------------------------------ RSDP, roots */

static void test_rsdp_v1_rsdt(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT, FADT };
	struct tb t;

	place_rsdp(&m, RSDP, 0, RSDT, 0);
	place_root(&m, RSDT, "RSDT", 4, tables, 2);
	madt_begin(&t, 3, 0xfee00000, 1);
	e_lapic(&t, 0, 0, 1);
	tb_place(&m, MADT, &t);
	fadt_begin(&t, 1, 116);
	fset(&t, F_DSDT, DSDT, 4);
	tb_place(&m, FADT, &t);
	place_dsdt(&m, DSDT);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.rsdp_revision, 0);
	assert_string_equal(info.oem_id, "KEELFW");
	assert_false(info.xsdt_used);
	assert_int_equal(info.root_phys, RSDT);
	assert_int_equal(info.nr_tables, 4);
	assert_string_equal(info.tables[0].sig, "RSDT");
	assert_string_equal(info.tables[1].sig, "APIC");
	assert_int_equal(info.tables[1].phys, MADT);
	assert_int_equal(info.tables[1].length, 44 + 8);
	assert_int_equal(info.tables[1].revision, 3);
	assert_string_equal(info.tables[1].oem_id, "KEELOE");
	assert_string_equal(info.tables[1].oem_table_id, "KEELTEST");
	assert_string_equal(info.tables[2].sig, "FACP");
	assert_string_equal(info.tables[3].sig, "DSDT");
	assert_int_equal(info.tables[3].status, ACPI_TABLE_OK);
	assert_int_equal(info.nr_bad_tables, 0);
	assert_true(info.madt.present);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_true(info.fadt.present);
	assert_int_equal(info.fadt.dsdt, DSDT);
	assert_int_equal(info.truncated, 0);
	assert_int_equal(info.malformed, 0);
	assert_ptr_equal(acpi_find(&info, "FACP"), &info.tables[2]);
	assert_null(acpi_find(&info, "HPET"));
	fake_free(&m);
}

static void test_rsdp_v2_prefers_xsdt(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t x[] = { FAR_TABLE };
	uint64_t r[] = { MCFG };
	struct tb t;

	place_rsdp(&m, RSDP, 2, RSDT, XSDT);
	place_root(&m, XSDT, "XSDT", 8, x, 1);
	place_root(&m, RSDT, "RSDT", 4, r, 1);
	tb_init(&t, "HPET", 1);
	tb_u32(&t, 0x8086a201);
	tb_bytes(&t, (uint8_t[]){ 0, 64, 0, 0 }, 4);
	tb_u64(&t, 0xfed00000);
	tb_u8(&t, 0); tb_u16(&t, 128); tb_u8(&t, 0);
	tb_place(&m, FAR_TABLE, &t);
	tb_init(&t, "MCFG", 1);
	tb_u64(&t, 0);
	tb_place(&m, MCFG, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.rsdp_revision, 2);
	assert_true(info.xsdt_used);
	assert_int_equal(info.root_phys, XSDT);
	assert_true(info.hpet.present);
	assert_non_null(acpi_find(&info, "HPET"));
	assert_int_equal(acpi_find(&info, "HPET")->phys, FAR_TABLE);
	assert_null(acpi_find(&info, "MCFG"));	/* RSDT-only table unseen */
	assert_null(acpi_find(&info, "RSDT"));
	assert_int_equal(info.malformed, 0);
	fake_free(&m);
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t r[] = { MADT };
	struct tb t;

	place_rsdp(&m, RSDP, 2, RSDT, XSDT);
	place_root(&m, XSDT, "XSDT", 8, r, 1);
	region_at(&m, XSDT)->bytes[40] ^= 1;	/* break its checksum */
	place_root(&m, RSDT, "RSDT", 4, r, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_false(info.xsdt_used);
	assert_int_equal(info.root_phys, RSDT);
	assert_true(info.malformed & ACPI_BAD_ROOT);
	assert_int_equal(info.tables[0].status, ACPI_TABLE_BAD_CHECKSUM);
	assert_string_equal(info.tables[0].sig, "XSDT");
	assert_int_equal(info.tables[1].status, ACPI_TABLE_OK);
	assert_string_equal(info.tables[1].sig, "RSDT");
	assert_true(info.madt.present);
	assert_null(acpi_find(&info, "XSDT"));
	fake_free(&m);
}

static void test_rsdp_errors(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	struct region *r;

	/* Nothing mapped at all. */
	assert_int_equal(parse(&m, &info), -E_FAULT);
	assert_int_equal(acpi_parse(0, fake_map, &m, &info), -E_INVAL);
	assert_int_equal(acpi_parse(RSDP, NULL, &m, &info), -E_INVAL);
	assert_int_equal(acpi_parse(RSDP, fake_map, &m, NULL), -E_INVAL);

	r = place_rsdp(&m, RSDP, 0, RSDT, 0);
	r->bytes[0] = 'r';
	assert_int_equal(parse(&m, &info), -E_INVAL);	/* signature */
	r->bytes[0] = 'R';
	r->bytes[9] ^= 0x20;				/* OEM id, not re-summed */
	assert_int_equal(parse(&m, &info), -E_CHECKSUM);
	r->bytes[9] ^= 0x20;
	r->bytes[16] = 0;
	r->bytes[19] = 0;
	r->bytes[8] = 0;
	r->bytes[8] = (uint8_t)-sum8(r->bytes, 20);
	/* RSDT address now 0x00fe1000, with nothing there. */
	assert_int_equal(parse(&m, &info), -E_FAULT);
	fake_free(&m);
}

static void test_rsdp_v2_errors(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	struct region *r = place_rsdp(&m, RSDP, 2, 0, XSDT);

	/* Extended checksum wrong, 1.0 checksum right. */
	r->bytes[33] = 1;
	assert_int_equal(parse(&m, &info), -E_CHECKSUM);
	r->bytes[33] = 0;
	/* Length shorter than the structure. */
	r->bytes[20] = 20;
	r->bytes[32] = 0;
	r->bytes[32] = (uint8_t)-sum8(r->bytes, 36);
	assert_int_equal(parse(&m, &info), -E_INVAL);
	/* Length longer than what is readable. */
	r->bytes[20] = 200;
	r->bytes[32] = 0;
	r->bytes[32] = (uint8_t)-sum8(r->bytes, 36);
	assert_int_equal(parse(&m, &info), -E_FAULT);
	/* Revision 2 but only the 1.0 part readable. */
	fake_free(&m);
	r = place_rsdp(&m, RSDP, 2, 0, XSDT);
	r->size = 20;
	assert_int_equal(parse(&m, &info), -E_FAULT);
	fake_free(&m);
}

static void test_root_errors(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	struct tb t;

	/* No root table named at all. */
	place_rsdp(&m, RSDP, 0, 0, 0);
	assert_int_equal(parse(&m, &info), -E_NOENT);
	fake_free(&m);

	/* RSDT address points at a table that is not an RSDT. */
	place_rsdp(&m, RSDP, 0, RSDT, 0);
	madt_begin(&t, 3, 0, 0);
	tb_place(&m, RSDT, &t);
	assert_int_equal(parse(&m, &info), -E_INVAL);
	assert_int_equal(info.tables[0].status, ACPI_TABLE_BAD_SIGNATURE);
	fake_free(&m);

	/* XSDT unreadable and no RSDT: the XSDT's error is returned. */
	place_rsdp(&m, RSDP, 2, 0, XSDT);
	assert_int_equal(parse(&m, &info), -E_FAULT);
	assert_true(info.malformed & ACPI_BAD_ROOT);
	fake_free(&m);

	/* Root checksum bad and no fallback. */
	place_rsdp(&m, RSDP, 0, RSDT, 0);
	place_root(&m, RSDT, "RSDT", 4, NULL, 0);
	region_at(&m, RSDT)->bytes[20] ^= 0xff;
	assert_int_equal(parse(&m, &info), -E_CHECKSUM);
	fake_free(&m);
}

static void test_root_entries_odd(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { 0, MADT, 0 };
	struct tb t;

	place_rsdp(&m, RSDP, 2, 0, XSDT);
	tb_init(&t, "XSDT", 1);
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		tb_u64(&t, tables[i]);
	tb_u32(&t, 0xdeadbeef);		/* half an entry at the end */
	tb_place(&m, XSDT, &t);
	madt_begin(&t, 3, 0xfee00000, 0);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.nr_tables, 2);	/* XSDT, APIC: zeros skipped */
	assert_true(info.madt.present);
	fake_free(&m);
}

/* ------------------------------------------------------------ bad tables */

static void test_bad_checksum_table_skipped(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT, MADT2, HPET };
	struct tb t;
	struct region *r;

	platform(&m, tables, 3);
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 7, 1);
	r = tb_place(&m, MADT, &t);
	r->bytes[r->size - 1] ^= 1;		/* flags of the only CPU */
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 9, 1);
	tb_place(&m, MADT2, &t);
	tb_init(&t, "HPET", 1);			/* wrong checksum, valid else */
	tb_u32(&t, 0);
	tb_bytes(&t, (uint8_t[]){ 0, 64, 0, 0 }, 4);
	tb_u64(&t, 0xfed00000);
	tb_u32(&t, 0);
	r = tb_place(&m, HPET, &t);
	r->bytes[9]++;

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.nr_bad_tables, 2);
	assert_int_equal(info.tables[1].status, ACPI_TABLE_BAD_CHECKSUM);
	assert_string_equal(info.tables[1].sig, "APIC");
	assert_int_equal(info.tables[2].status, ACPI_TABLE_OK);
	assert_int_equal(info.tables[3].status, ACPI_TABLE_BAD_CHECKSUM);
	/* The good second MADT is the one decoded. */
	assert_true(info.madt.present);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_int_equal(info.madt.cpus[0].apic_id, 9);
	assert_ptr_equal(acpi_find(&info, "APIC"), &info.tables[2]);
	assert_false(info.hpet.present);
	assert_null(acpi_find(&info, "HPET"));
	fake_free(&m);
}

static void test_bad_length_tables(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT, MCFG, HPET };
	struct tb t;
	struct region *r;

	platform(&m, tables, 3);
	madt_begin(&t, 3, 0, 0);
	r = tb_place(&m, MADT, &t);
	put_le(r->bytes + 4, 20, 4);			/* shorter than a header */
	fix_checksum(r);
	tb_init(&t, "MCFG", 1);
	tb_u64(&t, 0);
	r = tb_place(&m, MCFG, &t);
	put_le(r->bytes + 4, 2 * 1024 * 1024, 4);	/* 2 MiB */
	tb_init(&t, "HPET", 1);
	tb_u32(&t, 0);
	r = tb_place(&m, HPET, &t);
	put_le(r->bytes + 4, 4096, 4);			/* past the readable */

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.tables[1].status, ACPI_TABLE_BAD_LENGTH);
	assert_int_equal(info.tables[1].length, 20);
	assert_int_equal(info.tables[2].status, ACPI_TABLE_BAD_LENGTH);
	assert_int_equal(info.tables[3].status, ACPI_TABLE_UNREADABLE);
	assert_int_equal(info.nr_bad_tables, 3);
	assert_false(info.madt.present);
	fake_free(&m);
}

static void test_map_null_ranges(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { SSDT, MADT, FADT };
	struct tb t;

	platform(&m, tables, 3);
	tb_init(&t, "SSDT", 2);
	tb_u32(&t, 0);
	tb_place(&m, SSDT, &t)->unreadable = true;
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	tb_place(&m, MADT, &t);
	fadt_begin(&t, 6, FADT_LEN);
	fset(&t, F_X_DSDT, DSDT, 8);		/* the DSDT is not mapped */
	tb_place(&m, FADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.nr_tables, 5);
	assert_int_equal(info.tables[1].status, ACPI_TABLE_UNREADABLE);
	assert_int_equal(info.tables[1].phys, SSDT);
	assert_string_equal(info.tables[1].sig, "");
	assert_int_equal(info.tables[4].status, ACPI_TABLE_UNREADABLE);
	assert_int_equal(info.tables[4].phys, DSDT);
	assert_true(info.madt.present);
	assert_true(info.fadt.present);
	assert_int_equal(info.fadt.dsdt, DSDT);
	assert_null(acpi_find(&info, "DSDT"));
	assert_int_equal(info.nr_bad_tables, 2);
	fake_free(&m);
}

static void test_dsdt_wrong_signature(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { FADT };
	struct tb t;

	platform(&m, tables, 1);
	fadt_begin(&t, 6, FADT_LEN);
	fset(&t, F_DSDT, SSDT, 4);
	tb_place(&m, FADT, &t);
	tb_init(&t, "SSDT", 2);
	tb_place(&m, SSDT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.tables[2].status, ACPI_TABLE_BAD_SIGNATURE);
	assert_null(acpi_find(&info, "DSDT"));
	assert_null(acpi_find(&info, "SSDT"));
	fake_free(&m);
}

static void test_strings_sanitized(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { SSDT };
	struct tb t;
	struct region *r;

	r = place_rsdp(&m, RSDP, 0, RSDT, 0);
	memcpy(r->bytes + 9, "A\x1b[2J\0", 6);	/* an escape sequence */
	r->bytes[8] = 0;
	r->bytes[8] = (uint8_t)-sum8(r->bytes, 20);
	place_root(&m, RSDT, "RSDT", 4, tables, 1);
	tb_init(&t, "SS\x07T", 2);
	memcpy(t.buf + 10, "OEM\0XX", 6);		/* NUL-padded */
	memcpy(t.buf + 16, "\x80\xff" "abcdef", 8);
	tb_place(&m, SSDT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_string_equal(info.oem_id, "A?[2J");
	assert_string_equal(info.tables[1].sig, "SS?T");
	assert_string_equal(info.tables[1].oem_id, "OEM");
	assert_string_equal(info.tables[1].oem_table_id, "??abcdef");
	fake_free(&m);
}

static void test_table_list_overflow(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[ACPI_MAX_TABLES + 10];
	size_t n = ARRAY_SIZE(tables);
	struct tb t;

	for (size_t i = 0; i < n - 1; i++) {
		tables[i] = 0x80000000ull + i * 0x1000;
		tb_init(&t, "SSDT", 2);
		tb_u32(&t, (uint32_t)i);
		tb_place(&m, tables[i], &t);
	}
	tables[n - 1] = MADT;			/* after the list is full */
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 3, 1);
	tb_place(&m, MADT, &t);
	platform(&m, tables, n);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.nr_tables, ACPI_MAX_TABLES);
	assert_true(info.truncated & ACPI_TRUNC_TABLES);
	assert_true(info.madt.present);		/* still decoded */
	assert_int_equal(info.madt.cpus[0].apic_id, 3);
	assert_null(acpi_find(&info, "APIC"));	/* but not listed */
	fake_free(&m);
}

/* ------------------------------------------------------------ MADT */

static void test_madt_cpus(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 5, 0xfee00000, 0);
	e_lapic(&t, 10, 0, ACPI_LAPIC_ENABLED);
	e_lapic(&t, 11, 1, 0);			/* neither: ignored */
	e_lapic(&t, 12, 2, ACPI_LAPIC_ONLINE_CAPABLE);
	e_lapic(&t, 13, 0xff, ACPI_LAPIC_ENABLED); /* broadcast id */
	e_x2apic(&t, 300, ACPI_LAPIC_ENABLED, 14);
	e_x2apic(&t, 0, ACPI_LAPIC_ENABLED, 99);	/* duplicate of id 0 */
	e_x2apic(&t, 0xffffffff, ACPI_LAPIC_ENABLED, 15);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 3);
	assert_int_equal(info.madt.cpus[0].apic_id, 0);
	assert_int_equal(info.madt.cpus[0].acpi_uid, 10);
	assert_true(info.madt.cpus[0].enabled);
	assert_false(info.madt.cpus[0].online_capable);
	assert_false(info.madt.cpus[0].x2apic_entry);
	assert_int_equal(info.madt.cpus[1].apic_id, 2);
	assert_int_equal(info.madt.cpus[1].acpi_uid, 12);
	assert_false(info.madt.cpus[1].enabled);
	assert_true(info.madt.cpus[1].online_capable);
	assert_int_equal(info.madt.cpus[2].apic_id, 300);
	assert_int_equal(info.madt.cpus[2].acpi_uid, 14);
	assert_true(info.madt.cpus[2].enabled);
	assert_true(info.madt.cpus[2].x2apic_entry);
	assert_int_equal(info.madt.lapic_address, 0xfee00000);
	assert_false(info.madt.pcat_compat);
	assert_int_equal(info.malformed, 0);
	fake_free(&m);
}

/* Before MADT revision 5 the online-capable bit is reserved: ignore it. */
static void test_madt_old_revision_online_capable(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 4, 0xfee00000, 0);
	e_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	e_lapic(&t, 1, 1, ACPI_LAPIC_ONLINE_CAPABLE);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_int_equal(info.madt.cpus[0].apic_id, 0);
	fake_free(&m);
}

static void test_madt_ioapic_overrides(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
	e_ioapic(&t, 0, 0xfec00000, 0);
	e_ioapic(&t, 1, 0xfec01000, 24);
	e_iso(&t, 0, 2, 0);
	e_iso(&t, 9, 9, ACPI_MPS_POLARITY_HIGH | ACPI_MPS_TRIGGER_LEVEL);
	tb_u8(&t, 4); tb_u8(&t, 6);		/* LAPIC NMI: not decoded */
	tb_u8(&t, 0xff); tb_u16(&t, 5); tb_u8(&t, 1);
	e_lapic(&t, 0, 0, 1);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_true(info.madt.pcat_compat);
	assert_int_equal(info.madt.nr_ioapics, 2);
	assert_int_equal(info.madt.ioapics[0].id, 0);
	assert_int_equal(info.madt.ioapics[0].address, 0xfec00000);
	assert_int_equal(info.madt.ioapics[0].gsi_base, 0);
	assert_int_equal(info.madt.ioapics[1].id, 1);
	assert_int_equal(info.madt.ioapics[1].address, 0xfec01000);
	assert_int_equal(info.madt.ioapics[1].gsi_base, 24);
	assert_int_equal(info.madt.nr_overrides, 2);
	assert_int_equal(info.madt.overrides[0].bus, 0);
	assert_int_equal(info.madt.overrides[0].irq, 0);
	assert_int_equal(info.madt.overrides[0].gsi, 2);
	assert_int_equal(info.madt.overrides[1].irq, 9);
	assert_int_equal(info.madt.overrides[1].gsi, 9);
	assert_int_equal(info.madt.overrides[1].flags & ACPI_MPS_TRIGGER_MASK,
			 ACPI_MPS_TRIGGER_LEVEL);
	assert_int_equal(info.madt.overrides[1].flags & ACPI_MPS_POLARITY_MASK,
			 ACPI_MPS_POLARITY_HIGH);
	assert_int_equal(info.madt.nr_cpus, 1);	/* walk went past the NMI */
	assert_int_equal(info.malformed, 0);
	fake_free(&m);
}

static void test_madt_lapic_override(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	e_lapic_override(&t, 0x1234fee00000ull);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.lapic_address, 0x1234fee00000ull);
	fake_free(&m);
}

static void test_madt_zero_length_entry(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	tb_u8(&t, 0); tb_u8(&t, 0);		/* length 0: would never advance */
	tb_u16(&t, 0); tb_u32(&t, 1);
	e_lapic(&t, 1, 1, 1);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_true(info.malformed & ACPI_BAD_MADT);
	/* Length 1 is as bad: shorter than an entry header. */
	fake_free(&m);
	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	tb_u8(&t, 0); tb_u8(&t, 1);
	e_lapic(&t, 1, 1, 1);
	tb_place(&m, MADT, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 0);
	assert_true(info.malformed & ACPI_BAD_MADT);
	fake_free(&m);
}

static void test_madt_truncated(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	/* The last entry claims 16 bytes but the table ends after 8. */
	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	e_x2apic(&t, 5, 1, 5);
	t.len -= 8;
	tb_place(&m, MADT, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_true(info.malformed & ACPI_BAD_MADT);
	fake_free(&m);

	/* One stray byte: not even an entry header. */
	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	e_lapic(&t, 0, 0, 1);
	tb_u8(&t, 0);
	tb_place(&m, MADT, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_true(info.malformed & ACPI_BAD_MADT);
	fake_free(&m);

	/* Shorter than the MADT's own fixed part. */
	platform(&m, tables, 1);
	tb_init(&t, "APIC", 3);
	tb_u32(&t, 0xfee00000);
	tb_place(&m, MADT, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_false(info.madt.present);
	assert_true(info.malformed & ACPI_BAD_MADT);
	fake_free(&m);
}

/* An entry too short for its type is skipped; the walk goes on. */
static void test_madt_short_entry(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	tb_u8(&t, 9); tb_u8(&t, 8);		/* x2APIC needs 16 */
	tb_u16(&t, 0); tb_u32(&t, 7);
	tb_u8(&t, 1); tb_u8(&t, 4); tb_u16(&t, 0);	/* IOAPIC needs 12 */
	e_lapic(&t, 2, 2, 1);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, 1);
	assert_int_equal(info.madt.cpus[0].apic_id, 2);
	assert_int_equal(info.madt.nr_ioapics, 0);
	assert_true(info.malformed & ACPI_BAD_MADT);
	fake_free(&m);
}

static void test_madt_cpu_overflow(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 44; i++)
		e_x2apic(&t, i, ACPI_LAPIC_ENABLED, i);
	e_ioapic(&t, 0, 0xfec00000, 0);		/* after the overflow */
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_cpus, ACPI_MAX_CPUS);
	assert_int_equal(info.madt.cpus[ACPI_MAX_CPUS - 1].apic_id,
			 ACPI_MAX_CPUS - 1);
	assert_int_equal(info.truncated, ACPI_TRUNC_CPUS);
	assert_int_equal(info.madt.nr_ioapics, 1);
	fake_free(&m);
}

static void test_madt_other_overflows(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MADT };
	struct tb t;

	platform(&m, tables, 1);
	madt_begin(&t, 3, 0xfee00000, 0);
	for (uint32_t i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		e_ioapic(&t, (uint8_t)i, 0xfec00000 + i * 0x1000, i * 24);
	for (uint32_t i = 0; i < ACPI_MAX_OVERRIDES + 1; i++)
		e_iso(&t, (uint8_t)i, i, 0);
	tb_place(&m, MADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.madt.nr_ioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(info.madt.nr_overrides, ACPI_MAX_OVERRIDES);
	assert_int_equal(info.truncated,
			 ACPI_TRUNC_IOAPICS | ACPI_TRUNC_OVERRIDES);
	fake_free(&m);
}

/* ------------------------------------------------------------ FADT */

/* ACPI 1.0 FADT: 116 bytes, legacy ports only, 24-bit timer, no reset. */
static void test_fadt_v1_legacy(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { FADT };
	struct tb t;

	platform(&m, tables, 1);
	fadt_begin(&t, 1, 116);
	fset(&t, F_DSDT, DSDT, 4);
	fset(&t, F_SCI, 9, 2);
	fset(&t, F_PM1A_CNT, 0x604, 4);
	fset(&t, F_PM1_CNT_LEN, 2, 1);
	fset(&t, F_PM_TMR, 0x608, 4);
	fset(&t, F_PM_TMR_LEN, 4, 1);
	fset(&t, F_CENTURY, 0x32, 1);
	fset(&t, F_BOOT_ARCH, ACPI_BOOT_8042, 2);	/* reserved in 1.0 */
	fset(&t, F_FLAGS, ACPI_FADT_RESET_REG_SUP, 4);	/* no reg to go with */
	tb_place(&m, FADT, &t);
	place_dsdt(&m, DSDT);

	assert_int_equal(parse(&m, &info), 0);
	assert_true(info.fadt.present);
	assert_int_equal(info.fadt.revision, 1);
	assert_int_equal(info.fadt.sci_irq, 9);
	assert_int_equal(info.fadt.pm_timer.space, ACPI_SPACE_IO);
	assert_int_equal(info.fadt.pm_timer.address, 0x608);
	assert_int_equal(info.fadt.pm_timer.bit_width, 32);
	assert_int_equal(info.fadt.pm_timer_bits, 24);
	assert_int_equal(info.fadt.pm1a_cnt.space, ACPI_SPACE_IO);
	assert_int_equal(info.fadt.pm1a_cnt.address, 0x604);
	assert_int_equal(info.fadt.pm1a_cnt.bit_width, 16);
	assert_int_equal(info.fadt.pm1b_cnt.address, 0);
	assert_false(info.fadt.reset_supported);
	assert_int_equal(info.fadt.century, 0x32);
	assert_false(info.fadt.boot_arch_valid);
	assert_int_equal(info.fadt.boot_arch, 0);
	assert_int_equal(info.fadt.dsdt, DSDT);
	assert_false(info.fadt.hw_reduced);
	assert_non_null(acpi_find(&info, "DSDT"));
	fake_free(&m);
}

/* ACPI 6 FADT: X_ blocks win, 32-bit timer, reset register. */
static void test_fadt_v6_extended(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { FADT };
	struct tb t;

	platform(&m, tables, 1);
	fadt_begin(&t, 6, FADT_LEN);
	fset(&t, F_DSDT, 0x1000, 4);
	fset(&t, F_X_DSDT, DSDT, 8);
	fset(&t, F_SCI, 9, 2);
	fset(&t, F_PM_TMR, 0x608, 4);
	fset(&t, F_PM_TMR_LEN, 4, 1);
	fset_gas(&t, F_X_PM_TMR, ACPI_SPACE_MEMORY, 32, 0xfed80000ull);
	fset(&t, F_PM1A_CNT, 0x604, 4);
	fset(&t, F_PM1B_CNT, 0x704, 4);
	fset(&t, F_PM1_CNT_LEN, 2, 1);
	fset_gas(&t, F_X_PM1A_CNT, ACPI_SPACE_IO, 16, 0xb004);
	fset(&t, F_FLAGS, ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP, 4);
	fset_gas(&t, F_RESET_REG, ACPI_SPACE_IO, 8, 0xcf9);
	fset(&t, F_RESET_VAL, 6, 1);
	fset(&t, F_BOOT_ARCH, ACPI_BOOT_8042 | ACPI_BOOT_LEGACY_DEVICES, 2);
	tb_place(&m, FADT, &t);
	place_dsdt(&m, DSDT);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.fadt.pm_timer.space, ACPI_SPACE_MEMORY);
	assert_int_equal(info.fadt.pm_timer.address, 0xfed80000ull);
	assert_int_equal(info.fadt.pm_timer_bits, 32);
	assert_int_equal(info.fadt.pm1a_cnt.address, 0xb004);
	assert_int_equal(info.fadt.pm1a_cnt.bit_width, 16);
	/* No X_PM1b_CNT_BLK: the legacy port is used. */
	assert_int_equal(info.fadt.pm1b_cnt.space, ACPI_SPACE_IO);
	assert_int_equal(info.fadt.pm1b_cnt.address, 0x704);
	assert_true(info.fadt.reset_supported);
	assert_int_equal(info.fadt.reset_reg.space, ACPI_SPACE_IO);
	assert_int_equal(info.fadt.reset_reg.address, 0xcf9);
	assert_int_equal(info.fadt.reset_reg.bit_width, 8);
	assert_int_equal(info.fadt.reset_value, 6);
	assert_true(info.fadt.boot_arch_valid);
	assert_int_equal(info.fadt.boot_arch,
			 ACPI_BOOT_8042 | ACPI_BOOT_LEGACY_DEVICES);
	assert_int_equal(info.fadt.dsdt, DSDT);
	assert_int_equal(info.tables[2].phys, DSDT);
	fake_free(&m);
}

static void test_fadt_reset_needs_flag(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { FADT };
	struct tb t;

	platform(&m, tables, 1);
	fadt_begin(&t, 6, FADT_LEN);
	fset_gas(&t, F_RESET_REG, ACPI_SPACE_IO, 8, 0xcf9);
	fset(&t, F_RESET_VAL, 6, 1);
	fset(&t, F_FLAGS, ACPI_FADT_HW_REDUCED, 4);
	tb_place(&m, FADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_false(info.fadt.reset_supported);
	assert_int_equal(info.fadt.reset_reg.address, 0);
	assert_true(info.fadt.hw_reduced);
	assert_int_equal(info.fadt.pm_timer.address, 0);	/* none at all */
	assert_int_equal(info.fadt.dsdt, 0);
	assert_int_equal(info.nr_tables, 2);	/* no DSDT to list */
	fake_free(&m);

	/* Flag and register, but the table ends before RESET_VALUE. */
	platform(&m, tables, 1);
	fadt_begin(&t, 2, F_RESET_VAL);
	fset_gas(&t, F_RESET_REG, ACPI_SPACE_IO, 8, 0xcf9);
	fset(&t, F_FLAGS, ACPI_FADT_RESET_REG_SUP, 4);
	tb_place(&m, FADT, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_true(info.fadt.present);
	assert_false(info.fadt.reset_supported);
	fake_free(&m);
}

/* An X_ field cut by the table's end, or in an odd address space, is not
 * used; the legacy port is. */
static void test_fadt_partial_extended(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { FADT, FADT2 };
	struct tb t;

	platform(&m, tables, 2);
	fadt_begin(&t, 4, F_X_PM_TMR + 8);	/* X_PM_TMR_BLK cut in two */
	fset(&t, F_PM_TMR, 0x608, 4);
	t.buf[F_X_PM_TMR] = ACPI_SPACE_IO;
	t.buf[F_X_PM_TMR + 1] = 32;
	memset(t.buf + F_X_PM_TMR + 4, 0x11, 4);	/* low half of address */
	fset(&t, F_FLAGS, ACPI_FADT_TMR_VAL_EXT, 4);
	tb_place(&m, FADT, &t);
	fadt_begin(&t, 6, FADT_LEN);		/* second FADT: ignored */
	fset(&t, F_PM_TMR, 0x999, 4);
	tb_place(&m, FADT2, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.fadt.revision, 4);
	assert_int_equal(info.fadt.pm_timer.space, ACPI_SPACE_IO);
	assert_int_equal(info.fadt.pm_timer.address, 0x608);
	assert_int_equal(info.fadt.pm_timer_bits, 32);
	fake_free(&m);

	platform(&m, tables, 1);
	fadt_begin(&t, 6, FADT_LEN);
	fset(&t, F_PM_TMR, 0x608, 4);
	fset_gas(&t, F_X_PM_TMR, ACPI_SPACE_PCI_CONFIG, 32, 0x1234);
	tb_place(&m, FADT, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.fadt.pm_timer.address, 0x608);
	fake_free(&m);
}

static void test_fadt_too_short(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { FADT };
	struct tb t;

	platform(&m, tables, 1);
	fadt_begin(&t, 1, 100);
	fset(&t, F_PM_TMR, 0x608, 4);
	tb_place(&m, FADT, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_false(info.fadt.present);
	assert_int_equal(info.fadt.pm_timer.address, 0);
	assert_true(info.malformed & ACPI_BAD_FADT);
	assert_non_null(acpi_find(&info, "FACP"));	/* listed, checksum ok */
	fake_free(&m);
}

/* ------------------------------------------------------------ MCFG, HPET */

static void mcfg_entry(struct tb *t, uint64_t base, uint16_t seg,
		       uint8_t start, uint8_t end)
{
	tb_u64(t, base); tb_u16(t, seg); tb_u8(t, start); tb_u8(t, end);
	tb_u32(t, 0);
}

static void test_mcfg_two_ranges(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MCFG };
	struct tb t;

	platform(&m, tables, 1);
	tb_init(&t, "MCFG", 1);
	tb_u64(&t, 0);
	mcfg_entry(&t, 0xb0000000, 0, 0, 0xff);
	mcfg_entry(&t, 0x3800000000ull, 1, 0x80, 0x9f);
	tb_place(&m, MCFG, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.mcfg.nr_ecam, 2);
	assert_int_equal(info.mcfg.ecam[0].base, 0xb0000000);
	assert_int_equal(info.mcfg.ecam[0].segment, 0);
	assert_int_equal(info.mcfg.ecam[0].start_bus, 0);
	assert_int_equal(info.mcfg.ecam[0].end_bus, 0xff);
	assert_int_equal(info.mcfg.ecam[1].base, 0x3800000000ull);
	assert_int_equal(info.mcfg.ecam[1].segment, 1);
	assert_int_equal(info.mcfg.ecam[1].start_bus, 0x80);
	assert_int_equal(info.mcfg.ecam[1].end_bus, 0x9f);
	assert_int_equal(info.malformed, 0);
	fake_free(&m);
}

static void test_mcfg_bad_entries(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { MCFG };
	struct tb t;

	platform(&m, tables, 1);
	tb_init(&t, "MCFG", 1);
	tb_u64(&t, 0);
	mcfg_entry(&t, 0xb0000000, 0, 0x10, 0x0f);	/* reversed */
	mcfg_entry(&t, 0, 0, 0, 0xff);			/* no base */
	for (int i = 0; i < ACPI_MAX_ECAM + 1; i++)
		mcfg_entry(&t, 0xc0000000ull + i * 0x10000000ull,
			   (uint16_t)i, 0, 0xff);
	tb_u32(&t, 0);					/* partial entry */
	tb_place(&m, MCFG, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.mcfg.nr_ecam, ACPI_MAX_ECAM);
	assert_int_equal(info.mcfg.ecam[0].base, 0xc0000000ull);
	assert_true(info.malformed & ACPI_BAD_MCFG);
	assert_true(info.truncated & ACPI_TRUNC_ECAM);
	fake_free(&m);

	/* Shorter than its fixed part. */
	platform(&m, tables, 1);
	tb_init(&t, "MCFG", 1);
	tb_u32(&t, 0);
	tb_place(&m, MCFG, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_int_equal(info.mcfg.nr_ecam, 0);
	assert_true(info.malformed & ACPI_BAD_MCFG);
	fake_free(&m);
}

static void test_hpet(void **state UNUSED)
{
	struct fake_mem m = { 0 };
	uint64_t tables[] = { HPET };
	struct tb t;

	platform(&m, tables, 1);
	tb_init(&t, "HPET", 1);
	tb_u32(&t, 0x8086a201);
	tb_bytes(&t, (uint8_t[]){ ACPI_SPACE_MEMORY, 64, 0, 0 }, 4);
	tb_u64(&t, 0xfed00000);
	tb_u8(&t, 2);
	tb_u16(&t, 0x80);
	tb_u8(&t, 0);
	tb_place(&m, HPET, &t);

	assert_int_equal(parse(&m, &info), 0);
	assert_true(info.hpet.present);
	assert_int_equal(info.hpet.base.space, ACPI_SPACE_MEMORY);
	assert_int_equal(info.hpet.base.bit_width, 64);
	assert_int_equal(info.hpet.base.address, 0xfed00000);
	assert_int_equal(info.hpet.number, 2);
	fake_free(&m);

	/* Too short, and then with no base address. */
	platform(&m, tables, 1);
	tb_init(&t, "HPET", 1);
	tb_u32(&t, 0x8086a201);
	tb_place(&m, HPET, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_false(info.hpet.present);
	assert_true(info.malformed & ACPI_BAD_HPET);
	fake_free(&m);

	platform(&m, tables, 1);
	tb_init(&t, "HPET", 1);
	tb_bytes(&t, (uint8_t[20]){ 0 }, 20);
	tb_place(&m, HPET, &t);
	assert_int_equal(parse(&m, &info), 0);
	assert_false(info.hpet.present);
	assert_true(info.malformed & ACPI_BAD_HPET);
	fake_free(&m);
}

/* ------------------------------------------------------------ helpers */

static void test_checksum_and_strings(void **state UNUSED)
{
	uint8_t b[5] = { 1, 2, 3, 0xff, 0 };

	assert_int_equal(acpi_checksum(b, 4), 5);
	b[4] = (uint8_t)-5;
	assert_int_equal(acpi_checksum(b, 5), 0);
	assert_int_equal(acpi_checksum(b, 0), 0);
	assert_string_equal(acpi_table_status_str(ACPI_TABLE_OK), "ok");
	assert_string_equal(acpi_table_status_str(ACPI_TABLE_BAD_CHECKSUM),
			    "bad checksum");
	assert_string_equal(acpi_table_status_str((enum acpi_table_status)99),
			    "unknown");
}

/* ------------------------------------------------------------ hostile input */

static uint32_t rng_state = 0x12345678;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random byte flips in valid MADT, FADT, MCFG and XSDT tables, with the
 * checksums fixed so the decoders see them. Nothing may crash or overread
 * (valgrind checks the latter) and the counts must stay in bounds. */
static void test_mutated_tables(void **state UNUSED)
{
	uint64_t tables[] = { MADT, FADT, MCFG };
	uint64_t victims[] = { MADT, FADT, MCFG, XSDT };

	unsigned failures = 0;

	for (int round = 0; round < 3000; round++) {
		uint64_t victim;
		int rc;
		struct fake_mem m = { 0 };
		struct tb t;
		struct region *r;

		platform(&m, tables, 3);
		madt_begin(&t, 5, 0xfee00000, 1);
		e_lapic(&t, 0, 0, 1);
		e_x2apic(&t, 1, 1, 1);
		e_ioapic(&t, 0, 0xfec00000, 0);
		e_iso(&t, 0, 2, 0);
		e_lapic_override(&t, 0xfee00000);
		tb_place(&m, MADT, &t);
		fadt_begin(&t, 6, FADT_LEN);
		tb_place(&m, FADT, &t);
		tb_init(&t, "MCFG", 1);
		tb_u64(&t, 0);
		mcfg_entry(&t, 0xb0000000, 0, 0, 0xff);
		tb_place(&m, MCFG, &t);

		victim = victims[rng() % ARRAY_SIZE(victims)];
		r = region_at(&m, victim);
		for (int k = 1 + rng() % 4; k > 0; k--)
			r->bytes[rng() % r->size] = (uint8_t)rng();
		if (rng() % 4)
			fix_checksum(r);

		/* Only a broken root table may fail the whole parse. */
		rc = parse(&m, &info);
		if (victim != XSDT)
			assert_int_equal(rc, 0);
		else if (rc != 0)
			failures++;
		assert_true(info.nr_tables <= ACPI_MAX_TABLES);
		assert_true(info.madt.nr_cpus <= ACPI_MAX_CPUS);
		assert_true(info.madt.nr_ioapics <= ACPI_MAX_IOAPICS);
		assert_true(info.madt.nr_overrides <= ACPI_MAX_OVERRIDES);
		assert_true(info.mcfg.nr_ecam <= ACPI_MAX_ECAM);
		fake_free(&m);
	}
	/* Some root mutations must have been caught, and not all of them. */
	assert_true(failures > 0 && failures < 3000 / ARRAY_SIZE(victims));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_v1_rsdt),
		cmocka_unit_test(test_rsdp_v2_prefers_xsdt),
		cmocka_unit_test(test_bad_xsdt_falls_back_to_rsdt),
		cmocka_unit_test(test_rsdp_errors),
		cmocka_unit_test(test_rsdp_v2_errors),
		cmocka_unit_test(test_root_errors),
		cmocka_unit_test(test_root_entries_odd),
		cmocka_unit_test(test_bad_checksum_table_skipped),
		cmocka_unit_test(test_bad_length_tables),
		cmocka_unit_test(test_map_null_ranges),
		cmocka_unit_test(test_dsdt_wrong_signature),
		cmocka_unit_test(test_strings_sanitized),
		cmocka_unit_test(test_table_list_overflow),
		cmocka_unit_test(test_madt_cpus),
		cmocka_unit_test(test_madt_old_revision_online_capable),
		cmocka_unit_test(test_madt_ioapic_overrides),
		cmocka_unit_test(test_madt_lapic_override),
		cmocka_unit_test(test_madt_zero_length_entry),
		cmocka_unit_test(test_madt_truncated),
		cmocka_unit_test(test_madt_short_entry),
		cmocka_unit_test(test_madt_cpu_overflow),
		cmocka_unit_test(test_madt_other_overflows),
		cmocka_unit_test(test_fadt_v1_legacy),
		cmocka_unit_test(test_fadt_v6_extended),
		cmocka_unit_test(test_fadt_reset_needs_flag),
		cmocka_unit_test(test_fadt_partial_extended),
		cmocka_unit_test(test_fadt_too_short),
		cmocka_unit_test(test_mcfg_two_ranges),
		cmocka_unit_test(test_mcfg_bad_entries),
		cmocka_unit_test(test_hpet),
		cmocka_unit_test(test_checksum_and_strings),
		cmocka_unit_test(test_mutated_tables),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
