/* Unit tests for the guest PCI bus (vmm/vpci.c): configuration mechanism #1
 * as PCI Local Bus 3.0 section 3.2.2.3.2 describes it, the type 0 header,
 * BAR sizing and decoding in the MMIO registry, capabilities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vpci.h"
#include "tests/unit/test_rng.h"

#define ALL_ONES 0xffffffffu
#define WIN_END (VPCI_MMIO_BASE + VPCI_MMIO_SIZE)

/* A BAR's device: answers reads with a pattern of the offset and records
 * the last access. */
struct bar_dev {
	unsigned reads, writes;
	uint64_t offset, val;
	unsigned size;
};

static int bar_read(void *ctx, uint64_t offset, unsigned size, uint64_t *val)
{
	struct bar_dev *d = ctx;

	d->reads++;
	d->offset = offset;
	d->size = size;
	*val = 0x5a000000 + offset;
	return 0;
}

static int bar_write(void *ctx, uint64_t offset, unsigned size, uint64_t val)
{
	struct bar_dev *d = ctx;

	d->writes++;
	d->offset = offset;
	d->size = size;
	d->val = val;
	return 0;
}

static const struct io_ops bar_ops = { bar_read, bar_write };

struct env {
	struct iospace mmio;
	struct vpci bus;
	struct vpci_func f[VPCI_NR_DEVS];
	struct bar_dev bd[VPCI_NR_BARS];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	vpci_init(&e->bus, &e->mmio);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* ---- port helpers: the ops the integrator registers at 0xCF8 and 0xCFC. */

static uint64_t cf8_in(struct vpci *bus, unsigned off, unsigned size)
{
	uint64_t v = 0x1234;

	assert_int_equal(vpci_cf8_ops.read(bus, off, size, &v), 0);
	return v;
}

static void cf8_out(struct vpci *bus, unsigned off, unsigned size, uint64_t v)
{
	assert_int_equal(vpci_cf8_ops.write(bus, off, size, v), 0);
}

static uint64_t cfc_in(struct vpci *bus, unsigned off, unsigned size)
{
	uint64_t v = 0x1234;

	assert_int_equal(vpci_cfc_ops.read(bus, off, size, &v), 0);
	return v;
}

static void cfc_out(struct vpci *bus, unsigned off, unsigned size, uint64_t v)
{
	assert_int_equal(vpci_cfc_ops.write(bus, off, size, v), 0);
}

static uint32_t addr_of(unsigned dev, unsigned reg)
{
	return VPCI_ADDR_ENABLE | dev << 11 | (reg & 0xfc);
}

/* Configuration read/write of 'size' bytes at 'reg' of bus 0 'dev'. */
static uint32_t cfg_rd(struct vpci *bus, unsigned dev, unsigned reg, unsigned size)
{
	cf8_out(bus, 0, 4, addr_of(dev, reg));
	return (uint32_t)cfc_in(bus, reg & 3, size);
}

static void cfg_wr(struct vpci *bus, unsigned dev, unsigned reg, unsigned size, uint32_t v)
{
	cf8_out(bus, 0, 4, addr_of(dev, reg));
	cfc_out(bus, reg & 3, size, v);
}

static void func_basic(struct vpci_func *f, uint16_t device)
{
	const struct vpci_id id = {
		.vendor = 0x1af4, .device = device, .subsys_vendor = 0x1af4,
		.subsys_id = 0x1100, .class_code = 0x018000, .revision = 1, .irq_pin = 1,
	};

	vpci_func_init(f, &id);
	f->name = "test";
}

static uint64_t bar_base(struct vpci *bus, unsigned dev, unsigned idx, bool is64)
{
	uint64_t base = cfg_rd(bus, dev, PCI_BAR0 + 4 * idx, 4) & ~0xfULL;

	if (is64)
		base |= (uint64_t)cfg_rd(bus, dev, PCI_BAR0 + 4 * idx + 4, 4) << 32;
	return base;
}

/* ---------------------------------------------------------------- tests */

static void test_host_bridge(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;

	assert_int_equal(cfg_rd(bus, 0, PCI_VENDOR_ID, 4), 0x12378086);
	assert_int_equal(cfg_rd(bus, 0, PCI_REVISION_ID, 4), 0x06000002);
	assert_int_equal(cfg_rd(bus, 0, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_rd(bus, 0, PCI_BAR0, 4), 0);
	assert_int_equal(cfg_rd(bus, 0, PCI_INTERRUPT_PIN, 1), 0);
	/* Read-only identity. */
	cfg_wr(bus, 0, PCI_VENDOR_ID, 4, 0);
	cfg_wr(bus, 0, PCI_REVISION_ID, 4, 0);
	assert_int_equal(cfg_rd(bus, 0, PCI_VENDOR_ID, 4), 0x12378086);
	assert_int_equal(cfg_rd(bus, 0, PCI_REVISION_ID, 4), 0x06000002);
	/* Every other slot and function is empty: all ones, like Linux's
	 * probe expects. */
	for (unsigned dev = 1; dev < VPCI_NR_DEVS; dev++)
		assert_int_equal(cfg_rd(bus, dev, PCI_VENDOR_ID, 4), ALL_ONES);
	for (unsigned fn = 1; fn < 8; fn++) {
		cf8_out(bus, 0, 4, VPCI_ADDR_ENABLE | fn << 8);
		assert_int_equal(cfc_in(bus, 0, 4), ALL_ONES);
	}
	assert_int_equal(e->mmio.nr, 0);
}

static void test_config_address(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;

	assert_int_equal(cf8_in(bus, 0, 4), 0);
	/* Reserved bits 30:24 and 1:0 read as 0. */
	cf8_out(bus, 0, 4, 0xffffffff);
	assert_int_equal(cf8_in(bus, 0, 4), 0x80fffffc);
	/* Linux's pci_check_type1: a byte to 0xCFB, then the dword round trip. */
	cf8_out(bus, 3, 1, 0x01);
	assert_int_equal(cf8_in(bus, 0, 4), 0x80fffffc);
	cf8_out(bus, 0, 4, 0x80000000);
	assert_int_equal(cf8_in(bus, 0, 4), 0x80000000);
	/* Byte and word accesses are not CONFIG_ADDRESS. */
	cf8_out(bus, 0, 2, 0xffff);
	cf8_out(bus, 0, 1, 0xff);
	cf8_out(bus, 2, 2, 0xffff);
	assert_int_equal(cf8_in(bus, 0, 4), 0x80000000);
	assert_int_equal(cf8_in(bus, 0, 1), 0xff);
	assert_int_equal(cf8_in(bus, 2, 2), 0xffff);
	assert_int_equal(cf8_in(bus, 1, 1), 0xff);	/* no 0xCF9 device given */
	cf8_out(bus, 1, 1, 0x06);
	assert_int_equal(cf8_in(bus, 0, 4), 0x80000000);
}

static void test_cf9_forward(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct bar_dev rst = { 0 };

	vpci_set_cf9(bus, &bar_ops, &rst);
	cf8_out(bus, 1, 1, 0x106);	/* only the byte gets through */
	assert_int_equal(rst.writes, 1);
	assert_int_equal(rst.offset, 0);
	assert_int_equal(rst.size, 1);
	assert_int_equal(rst.val, 0x06);
	assert_int_equal(cf8_in(bus, 1, 1), 0x5a000000);
	assert_int_equal(rst.reads, 1);
	/* Other widths and offsets never reach it. */
	cf8_out(bus, 0, 1, 1);
	cf8_out(bus, 0, 2, 1);
	cf8_out(bus, 2, 1, 1);
	cf8_out(bus, 0, 4, 0x80000000);
	assert_int_equal(cf8_in(bus, 0, 2), 0xffff);
	assert_int_equal(rst.writes, 1);
	assert_int_equal(rst.reads, 1);
	assert_int_equal(cf8_in(bus, 0, 4), 0x80000000);
}

static void test_enable_bus_and_function(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	uint64_t dropped;

	/* The enable bit clear: no configuration cycle. */
	cf8_out(bus, 0, 4, 0x00000000);
	assert_int_equal(cfc_in(bus, 0, 4), ALL_ONES);
	assert_int_equal(cfc_in(bus, 2, 2), 0xffff);
	assert_int_equal(cfc_in(bus, 3, 1), 0xff);
	/* Bus 1 does not exist. */
	cf8_out(bus, 0, 4, VPCI_ADDR_ENABLE | 1 << 16);
	assert_int_equal(cfc_in(bus, 0, 4), ALL_ONES);
	/* Writes without a target vanish: Interrupt Line stays 0. */
	cf8_out(bus, 0, 4, PCI_INTERRUPT_LINE);
	cfc_out(bus, 0, 1, 0x0b);
	cf8_out(bus, 0, 4, VPCI_ADDR_ENABLE | 1 << 16 | PCI_INTERRUPT_LINE);
	cfc_out(bus, 0, 1, 0x0b);
	cf8_out(bus, 0, 4, VPCI_ADDR_ENABLE | 1 << 8 | PCI_INTERRUPT_LINE);
	cfc_out(bus, 0, 1, 0x0b);
	assert_int_equal(cfg_rd(bus, 0, PCI_INTERRUPT_LINE, 1), 0);
	cfg_wr(bus, 0, PCI_INTERRUPT_LINE, 1, 0x0b);
	assert_int_equal(cfg_rd(bus, 0, PCI_INTERRUPT_LINE, 1), 0x0b);
	/* Widths the data port cannot take read all ones. */
	dropped = bus->dropped;
	cf8_out(bus, 0, 4, addr_of(0, 0));
	assert_int_equal(cfc_in(bus, 0, 3), 0xffffff);
	assert_true(cfc_in(bus, 0, 8) == ~0ULL);
	assert_int_equal(cfc_in(bus, 4, 1), 0xff);
	assert_int_equal(cfc_in(bus, 2, 4), ALL_ONES);
	assert_int_equal(bus->dropped, dropped + 4);
}

static void test_unaligned_data(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;

	cf8_out(bus, 0, 4, addr_of(0, PCI_VENDOR_ID));
	assert_int_equal(cfc_in(bus, 0, 1), 0x86);
	assert_int_equal(cfc_in(bus, 1, 1), 0x80);
	assert_int_equal(cfc_in(bus, 2, 1), 0x37);
	assert_int_equal(cfc_in(bus, 3, 1), 0x12);
	assert_int_equal(cfc_in(bus, 0, 2), 0x8086);
	assert_int_equal(cfc_in(bus, 1, 2), 0x3780);
	assert_int_equal(cfc_in(bus, 2, 2), 0x1237);
	/* The port offset adds to the dword CONFIG_ADDRESS names. */
	cf8_out(bus, 0, 4, addr_of(0, PCI_REVISION_ID));
	assert_int_equal(cfc_in(bus, 3, 1), 0x06);	/* base class */
	assert_int_equal(cfc_in(bus, 0, 1), 0x02);	/* revision */
	/* Byte writes inside the dword: Interrupt Line at 0x3C. */
	cf8_out(bus, 0, 4, addr_of(0, PCI_INTERRUPT_LINE));
	cfc_out(bus, 0, 1, 0x0a);
	cfc_out(bus, 1, 1, 0x04);	/* Interrupt Pin is read-only */
	assert_int_equal(cfc_in(bus, 0, 4), 0x0000000a);
	cfc_out(bus, 0, 2, 0xff0e);
	assert_int_equal(cfc_in(bus, 0, 2), 0x000e);
}

static void test_header_masks(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct vpci_func *f = &e->f[0];

	func_basic(f, 0x1042);
	assert_int_equal(vpci_add(bus, f), 0);
	assert_int_equal(f->dev, 1);
	assert_int_equal(cfg_rd(bus, 1, PCI_VENDOR_ID, 4), 0x10421af4);
	assert_int_equal(cfg_rd(bus, 1, PCI_REVISION_ID, 4), 0x01800001);
	assert_int_equal(cfg_rd(bus, 1, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	assert_int_equal(cfg_rd(bus, 1, PCI_INTERRUPT_PIN, 1), 1);
	/* With no BARs, vpci_add leaves Command alone apart from MEM. */
	assert_int_equal(cfg_rd(bus, 1, PCI_COMMAND, 2), PCI_COMMAND_MEM);
	/* Only MEM, bus master and INTx disable are writable in Command;
	 * Status is read-only. */
	cfg_wr(bus, 1, PCI_COMMAND, 4, 0xffffffff);
	assert_int_equal(cfg_rd(bus, 1, PCI_COMMAND, 4),
			 PCI_COMMAND_MEM | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	cfg_wr(bus, 1, PCI_COMMAND, 2, 0);
	assert_int_equal(cfg_rd(bus, 1, PCI_COMMAND, 2), 0);
	/* Identity, class, header type, subsystem, pin, ROM: read-only. */
	for (unsigned reg = 0; reg < 0x40; reg += 4)
		if (reg != PCI_COMMAND && reg != PCI_INTERRUPT_LINE)
			cfg_wr(bus, 1, reg, 4, 0xffffffff);
	assert_int_equal(cfg_rd(bus, 1, PCI_VENDOR_ID, 4), 0x10421af4);
	assert_int_equal(cfg_rd(bus, 1, PCI_REVISION_ID, 4), 0x01800001);
	assert_int_equal(cfg_rd(bus, 1, 0x0c, 4), 0);
	assert_int_equal(cfg_rd(bus, 1, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	assert_int_equal(cfg_rd(bus, 1, PCI_ROM_ADDRESS, 4), 0);	/* no ROM */
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0, 4), 0);		/* no BAR */
	cfg_wr(bus, 1, PCI_INTERRUPT_LINE, 4, 0xffffffff);
	assert_int_equal(cfg_rd(bus, 1, PCI_INTERRUPT_LINE, 4), 0x000001ff);
	/* The rest of the space is zero and read-only. */
	cfg_wr(bus, 1, 0x80, 4, 0x12345678);
	assert_int_equal(cfg_rd(bus, 1, 0x80, 4), 0);
	assert_int_equal(cfg_rd(bus, 1, 0xfc, 4), 0);
}

/* A function with a 32-bit 8 KiB BAR 0 and a 64-bit prefetchable 16 KiB
 * BAR 2 (slots 2 and 3). */
static void add_two_bar_func(struct env *e, struct vpci_func *f)
{
	func_basic(f, 0x1041);
	assert_int_equal(vpci_func_set_bar(f, 0, 8192, 0, &bar_ops, &e->bd[0]), 0);
	assert_int_equal(vpci_func_set_bar(f, 2, 16384, VPCI_BAR_64 | VPCI_BAR_PREFETCHABLE,
					   &bar_ops, &e->bd[2]), 0);
	assert_int_equal(vpci_add(&e->bus, f), 0);
}

static void test_bar_assignment(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	uint64_t b0, b2, val;

	add_two_bar_func(e, &e->f[0]);
	b0 = bar_base(bus, 1, 0, false);
	b2 = bar_base(bus, 1, 2, true);
	assert_true(b0 >= VPCI_MMIO_BASE && b0 + 8192 <= WIN_END);
	assert_true(b2 >= VPCI_MMIO_BASE && b2 + 16384 <= WIN_END);
	assert_int_equal(b0 % 8192, 0);
	assert_int_equal(b2 % 16384, 0);
	assert_true(b0 + 8192 <= b2 || b2 + 16384 <= b0);
	/* Type bits: 32-bit non-prefetchable; 64-bit prefetchable. */
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0, 4) & 0xf, 0);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0 + 8, 4) & 0xf, PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
	assert_int_equal(cfg_rd(bus, 1, PCI_COMMAND, 2) & PCI_COMMAND_MEM, PCI_COMMAND_MEM);
	/* Both decode, with offsets relative to the BAR. */
	assert_int_equal(e->mmio.nr, 2);
	assert_int_equal(io_access(&e->mmio, b0 + 0x1ffc, 4, false, &val), 0);
	assert_int_equal(e->bd[0].offset, 0x1ffc);
	assert_int_equal(val, 0x5a001ffc);
	val = 0x77;
	assert_int_equal(io_access(&e->mmio, b2 + 0x3000, 8, true, &val), 0);
	assert_int_equal(e->bd[2].offset, 0x3000);
	assert_int_equal(e->bd[2].size, 8);
	assert_int_equal(e->bd[2].val, 0x77);
	/* A second function's BARs come after the first's. */
	add_two_bar_func(e, &e->f[1]);
	assert_int_equal(e->f[1].dev, 2);
	assert_true(bar_base(bus, 2, 0, false) >= b0 + 8192);
	assert_true(bar_base(bus, 2, 2, true) >= b2 + 16384);
	assert_int_equal(e->mmio.nr, 4);
	assert_int_equal(bus->unmapped_bars, 0);
}

static void test_bar_sizing(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	uint64_t b0, b2;

	add_two_bar_func(e, &e->f[0]);
	b0 = bar_base(bus, 1, 0, false);
	b2 = bar_base(bus, 1, 2, true);
	/* As Linux does: decode off, write all ones, read the mask, restore. */
	cfg_wr(bus, 1, PCI_COMMAND, 2, 0);
	assert_int_equal(e->mmio.nr, 0);
	assert_null(io_find(&e->mmio, b0, 4));
	cfg_wr(bus, 1, PCI_BAR0, 4, ALL_ONES);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0, 4), 0xffffe000);
	cfg_wr(bus, 1, PCI_BAR0 + 8, 4, ALL_ONES);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0 + 8, 4), 0xffffc00c);
	cfg_wr(bus, 1, PCI_BAR0 + 12, 4, ALL_ONES);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0 + 12, 4), ALL_ONES);
	/* Unused slots size as 0: not implemented. */
	cfg_wr(bus, 1, PCI_BAR0 + 4, 4, ALL_ONES);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0 + 4, 4), 0);
	cfg_wr(bus, 1, PCI_BAR0 + 16, 4, ALL_ONES);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0 + 16, 4), 0);
	cfg_wr(bus, 1, PCI_BAR0, 4, (uint32_t)b0);
	cfg_wr(bus, 1, PCI_BAR0 + 8, 4, (uint32_t)b2);
	cfg_wr(bus, 1, PCI_BAR0 + 12, 4, 0);
	assert_int_equal(e->mmio.nr, 0);
	cfg_wr(bus, 1, PCI_COMMAND, 2, PCI_COMMAND_MEM);
	assert_int_equal(e->mmio.nr, 2);
	assert_non_null(io_find(&e->mmio, b0, 4));
	assert_non_null(io_find(&e->mmio, b2 + 16380, 4));
	assert_null(io_find(&e->mmio, b2 + 16384, 1));
	assert_int_equal(bus->unmapped_bars, 0);
	/* Sizing with decode on (a sloppy guest) is no crash either. */
	cfg_wr(bus, 1, PCI_BAR0, 4, ALL_ONES);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0, 4), 0xffffe000);
	assert_non_null(io_find(&e->mmio, 0xffffe000, 4));
	cfg_wr(bus, 1, PCI_BAR0, 4, (uint32_t)b0);
	assert_null(io_find(&e->mmio, 0xffffe000, 4));
	assert_non_null(io_find(&e->mmio, b0, 4));
}

static void test_bar_remap(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	uint64_t b0, b2, val;

	add_two_bar_func(e, &e->f[0]);
	b0 = bar_base(bus, 1, 0, false);
	b2 = bar_base(bus, 1, 2, true);
	/* Move BAR 0 with decode on: the old range goes, the new one comes. */
	cfg_wr(bus, 1, PCI_BAR0, 4, 0xd0000000);
	assert_null(io_find(&e->mmio, b0, 1));
	assert_ptr_equal(io_find(&e->mmio, 0xd0000000, 4)->ctx, &e->bd[0]);
	assert_int_equal(io_access(&e->mmio, 0xd0001000, 2, false, &val), 0);
	assert_int_equal(e->bd[0].offset, 0x1000);
	/* The low bits of the address are read-only: 0xd0000fff -> 0xd0000000. */
	cfg_wr(bus, 1, PCI_BAR0, 4, 0xd0001fff);
	assert_int_equal(cfg_rd(bus, 1, PCI_BAR0, 4), 0xd0000000);
	assert_int_equal(e->mmio.nr, 2);
	/* The 64-bit BAR above 4 GiB, programmed half by half. */
	cfg_wr(bus, 1, PCI_BAR0 + 12, 4, 0x10);
	assert_non_null(io_find(&e->mmio, 0x1000000000ULL + b2, 4));
	assert_null(io_find(&e->mmio, b2, 4));
	cfg_wr(bus, 1, PCI_BAR0 + 8, 4, 0x4000);
	assert_ptr_equal(io_find(&e->mmio, 0x1000004000ULL, 8)->ctx, &e->bd[2]);
	assert_int_equal(e->mmio.nr, 2);
	/* Byte writes to a BAR remap too. */
	cfg_wr(bus, 1, PCI_BAR0 + 3, 1, 0xe0);
	assert_non_null(io_find(&e->mmio, 0xe0000000, 4));
	assert_null(io_find(&e->mmio, 0xd0000000, 4));
	/* Command.MEM off unmaps everything, on maps it back. */
	cfg_wr(bus, 1, PCI_COMMAND, 1, PCI_COMMAND_MASTER);
	assert_int_equal(e->mmio.nr, 0);
	val = 0;
	assert_int_equal(io_access(&e->mmio, 0xe0000000, 4, false, &val), 1);
	assert_int_equal(val, ALL_ONES);
	cfg_wr(bus, 1, PCI_COMMAND, 1, PCI_COMMAND_MASTER | PCI_COMMAND_MEM);
	assert_int_equal(e->mmio.nr, 2);
	assert_non_null(io_find(&e->mmio, 0xe0000000, 4));
	assert_non_null(io_find(&e->mmio, 0x1000004000ULL, 4));
	assert_int_equal(bus->unmapped_bars, 0);
}

static void test_bar_bad_addresses(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct bar_dev other = { 0 };

	add_two_bar_func(e, &e->f[0]);
	assert_int_equal(io_register(&e->mmio, 0xfee00000, 0x1000, &bar_ops, &other, "lapic"), 0);
	/* Zero: not decoded. */
	cfg_wr(bus, 1, PCI_BAR0, 4, 0);
	assert_int_equal(bus->unmapped_bars, 1);
	assert_int_equal(e->mmio.nr, 2);
	/* Over someone else's range: refused, theirs untouched. */
	cfg_wr(bus, 1, PCI_BAR0, 4, 0xfee00000);
	assert_int_equal(bus->unmapped_bars, 2);
	assert_ptr_equal(io_find(&e->mmio, 0xfee00000, 4)->ctx, &other);
	/* Over its own sibling BAR: refused. */
	cfg_wr(bus, 1, PCI_BAR0, 4, (uint32_t)bar_base(bus, 1, 2, true));
	assert_int_equal(bus->unmapped_bars, 3);
	assert_ptr_equal(io_find(&e->mmio, bar_base(bus, 1, 2, true), 4)->ctx, &e->bd[2]);
	/* Rewriting the same refused value counts once per change only. */
	cfg_wr(bus, 1, PCI_COMMAND, 2, PCI_COMMAND_MEM);
	assert_int_equal(bus->unmapped_bars, 3);
	/* A 64-bit BAR that would end at 2^64. */
	cfg_wr(bus, 1, PCI_BAR0 + 12, 4, ALL_ONES);
	cfg_wr(bus, 1, PCI_BAR0 + 8, 4, 0xffffc000);
	assert_int_equal(bar_base(bus, 1, 2, true), 0xffffffffffffc000ULL);
	assert_false(e->f[0].bar[2].mapped);
	assert_int_equal(e->mmio.nr, 1);
	/* Good addresses map again. */
	cfg_wr(bus, 1, PCI_BAR0, 4, 0xc8000000);
	cfg_wr(bus, 1, PCI_BAR0 + 12, 4, 0);
	cfg_wr(bus, 1, PCI_BAR0 + 8, 4, 0xc9000000);
	assert_int_equal(e->mmio.nr, 3);
	assert_ptr_equal(io_find(&e->mmio, 0xc8000000, 4)->ctx, &e->bd[0]);
	assert_ptr_equal(io_find(&e->mmio, 0xc9003ffc, 4)->ctx, &e->bd[2]);
}

static void test_set_bar_invalid(void **state)
{
	struct vpci_func f;
	struct bar_dev d;

	(void)state;
	func_basic(&f, 1);
	assert_int_equal(vpci_func_set_bar(&f, 6, 4096, 0, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 5, 4096, VPCI_BAR_64, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 0, 2048, 0, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 0, 12288, 0, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 0, 0, 0, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 0, 4 * GiB, 0, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 0, 4096, 0x80, &bar_ops, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 0, 4096, 0, NULL, &d), -E_INVAL);
	assert_int_equal(vpci_func_set_bar(&f, 1, 4096, VPCI_BAR_64, &bar_ops, &d), 0);
	/* Both slots of the 64-bit BAR are taken. */
	assert_int_equal(vpci_func_set_bar(&f, 1, 4096, 0, &bar_ops, &d), -E_EXIST);
	assert_int_equal(vpci_func_set_bar(&f, 2, 4096, 0, &bar_ops, &d), -E_EXIST);
	assert_int_equal(vpci_func_set_bar(&f, 0, 4096, VPCI_BAR_64, &bar_ops, &d), -E_EXIST);
	assert_int_equal(vpci_func_set_bar(&f, 3, 4096, 0, &bar_ops, &d), 0);
	assert_int_equal(vpci_func_set_bar(&f, 0, 4096, 0, &bar_ops, &d), 0);
}

static void test_add_errors(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct vpci_func *big = malloc(sizeof(*big)), *fs = calloc(32, sizeof(*fs));
	struct bar_dev d;
	uint64_t next;

	/* A BAR the window cannot hold: nothing changes. */
	func_basic(big, 2);
	assert_int_equal(vpci_func_set_bar(big, 0, 2 * GiB, 0, &bar_ops, &d), 0);
	assert_int_equal(vpci_add(bus, big), -E_NOMEM);
	assert_null(big->bus);
	assert_int_equal(e->mmio.nr, 0);
	assert_int_equal(bus->next_mmio, VPCI_MMIO_BASE);
	/* The window's start already claimed by someone: refused, rolled back. */
	assert_int_equal(io_register(&e->mmio, VPCI_MMIO_BASE + 0x2000, 1, &bar_ops, &d, "x"), 0);
	func_basic(&fs[0], 3);
	assert_int_equal(vpci_func_set_bar(&fs[0], 0, 4096, 0, &bar_ops, &d), 0);
	assert_int_equal(vpci_func_set_bar(&fs[0], 1, 8192, 0, &bar_ops, &d), 0);
	assert_int_equal(vpci_add(bus, &fs[0]), -E_EXIST);
	assert_null(fs[0].bus);
	assert_int_equal(e->mmio.nr, 1);
	assert_int_equal(bus->unmapped_bars, 0);
	assert_int_equal(cfg_rd(bus, 1, PCI_VENDOR_ID, 4), ALL_ONES);
	assert_int_equal(vpci_func_read(&fs[0], PCI_BAR0, 4), 0);
	assert_int_equal(vpci_func_read(&fs[0], PCI_COMMAND, 2), 0);
	assert_int_equal(io_unregister(&e->mmio, VPCI_MMIO_BASE + 0x2000), 0);
	/* Slots 1..31, then full; adding twice is refused. */
	for (unsigned i = 0; i < 31; i++) {
		func_basic(&fs[i], (uint16_t)i);
		assert_int_equal(vpci_func_set_bar(&fs[i], 0, 4096, 0, &bar_ops, &d), 0);
		assert_int_equal(vpci_add(bus, &fs[i]), 0);
		assert_int_equal(fs[i].dev, i + 1);
	}
	assert_int_equal(vpci_add(bus, &fs[3]), -E_EXIST);
	func_basic(&fs[31], 99);
	next = bus->next_mmio;
	assert_int_equal(vpci_add(bus, &fs[31]), -E_NOMEM);
	assert_int_equal(bus->next_mmio, next);
	for (unsigned i = 0; i < 31; i++)
		assert_int_equal(cfg_rd(bus, i + 1, PCI_DEVICE_ID, 2), i);
	assert_int_equal(e->mmio.nr, 31);
	free(big);
	free(fs);
}

static void test_capabilities(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct vpci_func *f = &e->f[0];
	int a, b, c;

	func_basic(f, 1);
	assert_int_equal(vpci_func_read(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	a = vpci_func_add_cap(f, 0x11, 12);
	b = vpci_func_add_cap(f, 0x09, 17);	/* the next one is dword aligned */
	c = vpci_func_add_cap(f, 0x09, 20);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x4c);
	assert_int_equal(c, 0x60);
	vpci_func_set(f, b + 4, 4, 0xabcd1234, 0x0000ffff);
	/* Too long for what is left of the 256 bytes. */
	assert_int_equal(vpci_func_add_cap(f, 0x09, 0x100 - 0x74 + 1), -E_NOMEM);
	assert_int_equal(vpci_func_add_cap(f, 0x09, 1), -E_NOMEM);
	assert_int_equal(vpci_func_add_cap(f, 0x09, 0x100 - 0x74), 0x74);
	assert_int_equal(vpci_func_add_cap(f, 0x09, 2), -E_NOMEM);
	assert_int_equal(vpci_add(bus, f), 0);
	assert_int_equal(cfg_rd(bus, 1, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_rd(bus, 1, PCI_CAP_PTR, 1), 0x40);
	assert_int_equal(cfg_rd(bus, 1, 0x40, 2), 0x4c11);
	assert_int_equal(cfg_rd(bus, 1, 0x4c, 2), 0x6009);
	assert_int_equal(cfg_rd(bus, 1, 0x60, 2), 0x7409);
	assert_int_equal(cfg_rd(bus, 1, 0x74, 2), 0x0009);
	/* The list is read-only; the field shaped with a mask is half writable. */
	cfg_wr(bus, 1, 0x40, 4, 0);
	cfg_wr(bus, 1, PCI_CAP_PTR, 1, 0);
	assert_int_equal(cfg_rd(bus, 1, 0x40, 2), 0x4c11);
	assert_int_equal(cfg_rd(bus, 1, PCI_CAP_PTR, 1), 0x40);
	cfg_wr(bus, 1, b + 4, 4, 0x00005678);
	assert_int_equal(cfg_rd(bus, 1, b + 4, 4), 0xabcd5678);
}

/* Hooks: record what they see and make one register read back live. */
struct hook_log {
	unsigned reads, writes, off, size;
	uint32_t val;
};

static void hook_read(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
	struct hook_log *h = ctx;

	h->reads++;
	h->off = off;
	h->size = size;
	if (off == 0x80)
		*val = 0xfeedf00d;
}

static void hook_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
	struct hook_log *h = ctx;

	h->writes++;
	h->off = off;
	h->size = size;
	h->val = val;
}

static void test_hooks(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct vpci_func *f = &e->f[0];
	struct hook_log h = { 0 };

	func_basic(f, 1);
	f->cfg_read = hook_read;
	f->cfg_write = hook_write;
	f->hook_ctx = &h;
	assert_int_equal(vpci_add(bus, f), 0);
	assert_int_equal(cfg_rd(bus, 1, 0x80, 4), 0xfeedf00d);
	assert_int_equal(cfg_rd(bus, 1, 0x42, 2), 0);
	assert_int_equal(h.reads, 2);
	assert_int_equal(h.off, 0x42);
	assert_int_equal(h.size, 2);
	cfg_wr(bus, 1, PCI_INTERRUPT_LINE + 1, 1, 0x1ff);
	assert_int_equal(h.writes, 1);
	assert_int_equal(h.off, PCI_INTERRUPT_PIN);
	assert_int_equal(h.size, 1);
	assert_int_equal(h.val, 0xff);
	/* No hook for accesses that reach nothing. */
	cfg_rd(bus, 2, 0, 4);
	cfg_wr(bus, 2, 0, 4, 0);
	assert_int_equal(h.reads + h.writes, 3);
	/* poke ignores the mask; read has no hooks. */
	vpci_func_poke(f, PCI_STATUS, 2, PCI_STATUS_INTX);
	assert_int_equal(vpci_func_read(f, PCI_STATUS, 2), PCI_STATUS_INTX);
	assert_int_equal(h.reads, 2);
	assert_int_equal(vpci_func_read(f, 0xff, 2), 0);	/* crosses the end */
}

/* Hostile guest: random CONFIG_ADDRESS values and random data accesses.
 * Read-only fields never change, and the MMIO registry always agrees
 * with the BARs' state. */
static void check_registry(struct env *e, unsigned nfuncs, unsigned nforeign)
{
	unsigned mapped = 0;

	for (unsigned i = 1; i < e->mmio.nr; i++)
		assert_true(e->mmio.ranges[i - 1].base + e->mmio.ranges[i - 1].len <=
			    e->mmio.ranges[i].base);
	for (unsigned n = 0; n < nfuncs; n++) {
		struct vpci_func *f = &e->f[n];
		bool mem = f->cfg[PCI_COMMAND] & PCI_COMMAND_MEM;

		for (unsigned i = 0; i < VPCI_NR_BARS; i++) {
			const struct io_range *r;

			if (!f->bar[i].size)
				continue;
			assert_true(!f->bar[i].mapped || mem);
			if (!f->bar[i].mapped)
				continue;
			mapped++;
			r = io_find(&e->mmio, f->bar[i].want_base, 1);
			assert_non_null(r);
			assert_int_equal(r->base, f->bar[i].want_base);
			assert_int_equal(r->len, f->bar[i].size);
			assert_ptr_equal(r->ctx, f->bar[i].ctx);
		}
	}
	assert_int_equal(e->mmio.nr, mapped + nforeign);
}

static void test_fuzz(void **state)
{
	struct env *e = *state;
	struct vpci *bus = &e->bus;
	struct bar_dev other = { 0 };
	static const unsigned sizes[] = { 1, 2, 4, 8, 3 };

	rng_state = 0x5eed0001;
	add_two_bar_func(e, &e->f[0]);
	add_two_bar_func(e, &e->f[1]);
	func_basic(&e->f[2], 0x1043);
	assert_int_equal(vpci_func_set_bar(&e->f[2], 5, 4096, 0, &bar_ops, &e->bd[5]), 0);
	assert_int_equal(vpci_add(bus, &e->f[2]), 0);
	assert_int_equal(io_register(&e->mmio, 0xfec00000, 0x1000, &bar_ops, &other, "ioapic"), 0);
	for (unsigned n = 0; n < 200000; n++) {
		unsigned op = (unsigned)rng_below(8);
		unsigned size = sizes[rng_below(ARRAY_SIZE(sizes))];
		uint64_t v = rng();

		if (rng_below(4) == 0)	/* mostly all ones or small: like sizing */
			v = rng_below(2) ? ~0ULL : rng_below(0x100);
		switch (op) {
		case 0:		/* a plausible CONFIG_ADDRESS: devices 0-3 */
			cf8_out(bus, 0, 4, VPCI_ADDR_ENABLE | rng_below(4) << 11 |
				(rng_below(0x40) << 2) | (rng_below(16) == 0 ? rng() : 0));
			break;
		case 1:
			cf8_out(bus, (unsigned)rng_below(4), size, v);
			break;
		case 2:
			cf8_in(bus, (unsigned)rng_below(4), size);
			break;
		case 3: case 4: case 5:
			cfc_out(bus, (unsigned)rng_below(5), size, v);
			break;
		default: {
			uint64_t got = cfc_in(bus, (unsigned)rng_below(5), size);

			assert_true(got <= io_all_ones(size));
		}
		}
		assert_int_equal(vpci_func_read(&e->f[0], PCI_VENDOR_ID, 4), 0x10411af4);
		assert_int_equal(vpci_func_read(&bus->host, PCI_VENDOR_ID, 4), 0x12378086);
		assert_int_equal(vpci_func_read(&e->f[1], PCI_BAR0, 4) & 0x1fff, 0);
		assert_int_equal(vpci_func_read(&e->f[0], PCI_BAR0 + 8, 4) & 0x3fff,
				 PCI_BAR_MEM_64 | PCI_BAR_PREFETCH);
		assert_int_equal(vpci_func_read(&e->f[2], PCI_STATUS, 2), 0);
		assert_int_equal(cf8_in(bus, 0, 4) & ~VPCI_ADDR_WRITABLE, 0);
		if (n % 64 == 0)
			check_registry(e, 3, 1);
	}
	check_registry(e, 3, 1);
	assert_ptr_equal(io_find(&e->mmio, 0xfec00000, 4)->ctx, &other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cf9_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_bus_and_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_assignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_remap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_bad_addresses, setup, teardown),
		cmocka_unit_test(test_set_bar_invalid),
		cmocka_unit_test_setup_teardown(test_add_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capabilities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests_name("vpci", tests, NULL, NULL);
}
