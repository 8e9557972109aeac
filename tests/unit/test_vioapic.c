/* Unit tests for the guest I/O APIC model (vmm/vioapic.c). Register
 * values are the 82093AA data sheet's (section 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vioapic.h"
#include "tests/unit/test_rng.h"

#define IOREGSEL	0x00
#define IOWIN		0x10
#define REG_ID		0x00
#define REG_VER		0x01
#define REG_ARB		0x02
#define REDIR_LO(p)	(0x10 + 2 * (p))
#define REDIR_HI(p)	(0x11 + 2 * (p))

#define RTE_DM(m)	((uint32_t)(m) << 8)
#define RTE_LOGICAL	(1u << 11)
#define RTE_DELIVS	(1u << 12)
#define RTE_ACTIVE_LOW	(1u << 13)
#define RTE_IRR		(1u << 14)
#define RTE_LEVEL	(1u << 15)
#define RTE_MASKED	(1u << 16)
#define RTE_LO_RW	0x0001afffu	/* writable bits of the low dword */
#define RTE_HI_RW	0xff000000u

#define MAX_MSGS	64

struct fixture {
	struct vioapic io;
	struct ioapic_msg msg[MAX_MSGS];
	unsigned n;
	/* Re-entrancy test: EOI from inside deliver(), this many times. */
	unsigned eoi_from_deliver;
};

static void deliver(void *ctx, const struct ioapic_msg *m)
{
	struct fixture *f = ctx;

	if (f->n < MAX_MSGS)
		f->msg[f->n] = *m;
	f->n++;
	if (f->eoi_from_deliver) {
		f->eoi_from_deliver--;
		vioapic_eoi(&f->io, m->vector);	/* must not deadlock */
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	vioapic_init(&f->io, 4, deliver, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint64_t mmio_read(struct fixture *f, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vioapic_ops.read(&f->io, off, size, &v), 0);
	return v;
}

static void mmio_write(struct fixture *f, uint64_t off, unsigned size, uint64_t v)
{
	assert_int_equal(vioapic_ops.write(&f->io, off, size, v), 0);
}

static uint32_t rd(struct fixture *f, unsigned reg)
{
	mmio_write(f, IOREGSEL, 4, reg);
	return (uint32_t)mmio_read(f, IOWIN, 4);
}

static void wr(struct fixture *f, unsigned reg, uint32_t v)
{
	mmio_write(f, IOREGSEL, 4, reg);
	mmio_write(f, IOWIN, 4, v);
}

static void program(struct fixture *f, unsigned pin, uint32_t lo, uint8_t dest)
{
	wr(f, REDIR_HI(pin), (uint32_t)dest << 24);
	wr(f, REDIR_LO(pin), lo);
}

static void assert_msg(const struct ioapic_msg *m, uint8_t vector, uint8_t dm, bool logical,
		       uint8_t dest, bool level)
{
	assert_int_equal(m->vector, vector);
	assert_int_equal(m->delivery_mode, dm);
	assert_int_equal(m->logical, logical);
	assert_int_equal(m->dest, dest);
	assert_int_equal(m->level_trigger, level);
}

static void test_id_version_arb(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, REG_ID), 4u << 24);
	assert_int_equal(rd(f, REG_VER), 0x00170011);	/* 24 entries, version 0x11 */
	assert_int_equal(rd(f, REG_ARB), 4u << 24);
	wr(f, REG_ID, 0xc8ffffff);
	assert_int_equal(rd(f, REG_ID), 0xc8u << 24);	/* only bits 31:24 stick */
	assert_int_equal(rd(f, REG_ARB), 0xc8u << 24);
	wr(f, REG_VER, 0);
	wr(f, REG_ARB, 0);
	assert_int_equal(rd(f, REG_VER), 0x00170011);
	assert_int_equal(rd(f, REG_ARB), 0xc8u << 24);
	mmio_write(f, IOREGSEL, 4, 0xffffff3f);
	assert_int_equal(mmio_read(f, IOREGSEL, 4), 0x3f);	/* 8-bit index */
}

static void test_redir_defaults_and_ro_bits(void **state)
{
	struct fixture *f = *state;

	for (unsigned p = 0; p < VIOAPIC_PINS; p++) {
		assert_int_equal(rd(f, REDIR_LO(p)), RTE_MASKED);
		assert_int_equal(rd(f, REDIR_HI(p)), 0);
	}
	wr(f, REDIR_LO(5), 0xffffffff);
	wr(f, REDIR_HI(5), 0xffffffff);
	/* Delivery status, Remote IRR and reserved bits cannot be written. */
	assert_int_equal(rd(f, REDIR_LO(5)), RTE_LO_RW);
	assert_int_equal(rd(f, REDIR_HI(5)), RTE_HI_RW);
	wr(f, REDIR_LO(5), 0);
	assert_int_equal(rd(f, REDIR_LO(5)), 0);
	assert_int_equal(rd(f, REDIR_HI(5)), RTE_HI_RW);	/* halves independent */
	assert_int_equal(rd(f, REDIR_LO(4)), RTE_MASKED);	/* neighbours untouched */
	assert_int_equal(rd(f, REDIR_LO(6)), RTE_MASKED);
	assert_int_equal(f->n, 0);
}

static void test_edge_delivery(void **state)
{
	struct fixture *f = *state;

	program(f, 2, 0x30 | RTE_DM(IOAPIC_DM_FIXED), 1);
	vioapic_set_irq(&f->io, 2, true);
	assert_int_equal(f->n, 1);
	assert_msg(&f->msg[0], 0x30, IOAPIC_DM_FIXED, false, 1, false);
	vioapic_set_irq(&f->io, 2, true);	/* no edge */
	vioapic_set_irq(&f->io, 2, false);
	assert_int_equal(f->n, 1);
	vioapic_set_irq(&f->io, 2, true);
	assert_int_equal(f->n, 2);
	/* Edge entries never set Remote IRR, and EOIs change nothing. */
	assert_int_equal(rd(f, REDIR_LO(2)) & (RTE_IRR | RTE_DELIVS), 0);
	vioapic_eoi(&f->io, 0x30);
	assert_int_equal(f->n, 2);
}

static void test_masked_edge_is_lost(void **state)
{
	struct fixture *f = *state;

	program(f, 3, 0x31 | RTE_MASKED, 0);
	vioapic_set_irq(&f->io, 3, true);
	assert_int_equal(f->n, 0);
	wr(f, REDIR_LO(3), 0x31);		/* unmask while high: edge gone */
	assert_int_equal(f->n, 0);
	vioapic_set_irq(&f->io, 3, false);
	vioapic_set_irq(&f->io, 3, true);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->msg[0].vector, 0x31);
}

static void test_level_remote_irr_and_eoi(void **state)
{
	struct fixture *f = *state;

	program(f, 9, 0x39 | RTE_LEVEL | RTE_LOGICAL | RTE_DM(IOAPIC_DM_LOWEST), 0x0f);
	vioapic_set_irq(&f->io, 9, true);
	assert_int_equal(f->n, 1);
	assert_msg(&f->msg[0], 0x39, IOAPIC_DM_LOWEST, true, 0x0f, true);
	assert_true(rd(f, REDIR_LO(9)) & RTE_IRR);
	vioapic_set_irq(&f->io, 9, true);	/* waiting for EOI */
	assert_int_equal(f->n, 1);
	vioapic_eoi(&f->io, 0x38);		/* another vector */
	assert_int_equal(f->n, 1);
	assert_true(rd(f, REDIR_LO(9)) & RTE_IRR);
	vioapic_eoi(&f->io, 0x39);		/* still asserted: again */
	assert_int_equal(f->n, 2);
	assert_true(rd(f, REDIR_LO(9)) & RTE_IRR);
	vioapic_set_irq(&f->io, 9, false);
	assert_true(rd(f, REDIR_LO(9)) & RTE_IRR);	/* until the EOI */
	vioapic_eoi(&f->io, 0x39);
	assert_int_equal(f->n, 2);
	assert_false(rd(f, REDIR_LO(9)) & RTE_IRR);
	vioapic_set_irq(&f->io, 9, true);
	assert_int_equal(f->n, 3);
}

static void test_level_unmask_delivers(void **state)
{
	struct fixture *f = *state;

	program(f, 10, 0x40 | RTE_LEVEL | RTE_MASKED, 2);
	vioapic_set_irq(&f->io, 10, true);
	assert_int_equal(f->n, 0);
	assert_false(rd(f, REDIR_LO(10)) & RTE_IRR);
	wr(f, REDIR_LO(10), 0x40 | RTE_LEVEL);
	assert_int_equal(f->n, 1);
	assert_true(rd(f, REDIR_LO(10)) & RTE_IRR);
	/* Masking keeps Remote IRR; an EOI while masked sends nothing. */
	wr(f, REDIR_LO(10), 0x40 | RTE_LEVEL | RTE_MASKED);
	vioapic_eoi(&f->io, 0x40);
	assert_int_equal(f->n, 1);
	wr(f, REDIR_LO(10), 0x40 | RTE_LEVEL);
	assert_int_equal(f->n, 2);
}

static void test_edge_switch_clears_irr(void **state)
{
	struct fixture *f = *state;

	program(f, 11, 0x41 | RTE_LEVEL, 0);
	vioapic_set_irq(&f->io, 11, true);
	assert_int_equal(f->n, 1);
	/* Linux's EOI for I/O APICs without an EOI register. */
	wr(f, REDIR_LO(11), 0x41 | RTE_MASKED);
	assert_false(rd(f, REDIR_LO(11)) & RTE_IRR);
	wr(f, REDIR_LO(11), 0x41 | RTE_LEVEL);	/* still asserted */
	assert_int_equal(f->n, 2);
}

static void test_polarity(void **state)
{
	struct fixture *f = *state;

	/* Active-low level: an idle (high) line sends nothing. */
	vioapic_set_irq(&f->io, 12, true);
	program(f, 12, 0x50 | RTE_LEVEL | RTE_ACTIVE_LOW, 0);
	assert_int_equal(f->n, 0);
	vioapic_set_irq(&f->io, 12, false);
	assert_int_equal(f->n, 1);
	vioapic_set_irq(&f->io, 12, true);
	vioapic_eoi(&f->io, 0x50);
	assert_int_equal(f->n, 1);

	/* Active-low edge: the falling edge asserts. */
	vioapic_set_irq(&f->io, 13, true);
	program(f, 13, 0x51 | RTE_ACTIVE_LOW, 0);
	vioapic_set_irq(&f->io, 13, true);
	assert_int_equal(f->n, 1);
	vioapic_set_irq(&f->io, 13, false);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->msg[1].vector, 0x51);
	vioapic_set_irq(&f->io, 13, true);
	assert_int_equal(f->n, 2);

	/* An active-low level entry on a line held low fires on unmask. */
	program(f, 14, 0x52 | RTE_LEVEL | RTE_ACTIVE_LOW, 0);
	assert_int_equal(f->n, 3);
}

static void test_delivery_modes(void **state)
{
	struct fixture *f = *state;
	unsigned sent = 0;

	for (unsigned dm = 0; dm < 8; dm++) {
		program(f, 0, 0x60 | RTE_DM(dm), 0xff);
		vioapic_set_irq(&f->io, 0, true);
		vioapic_set_irq(&f->io, 0, false);
		if (dm == 3 || dm == 6) {
			assert_int_equal(f->n, sent);	/* reserved: nothing */
			continue;
		}
		assert_int_equal(f->n, ++sent);
		assert_msg(&f->msg[sent - 1], 0x60, (uint8_t)dm, false, 0xff, false);
	}
}

static void test_reentrant_deliver(void **state)
{
	struct fixture *f = *state;

	program(f, 16, 0x70 | RTE_LEVEL, 0);
	f->eoi_from_deliver = 5;
	vioapic_set_irq(&f->io, 16, true);
	/* Each EOI from inside deliver() re-sends: bounded by the EOIs. */
	assert_int_equal(f->n, 6);
	assert_true(rd(f, REDIR_LO(16)) & RTE_IRR);
}

static void test_several_pins_one_eoi(void **state)
{
	struct fixture *f = *state;

	program(f, 17, 0x80 | RTE_LEVEL, 0);
	program(f, 18, 0x80 | RTE_LEVEL, 1);
	vioapic_set_irq(&f->io, 17, true);
	vioapic_set_irq(&f->io, 18, true);
	assert_int_equal(f->n, 2);
	vioapic_eoi(&f->io, 0x80);	/* shared vector: both again */
	assert_int_equal(f->n, 4);
	assert_int_equal(f->msg[2].dest, 0);
	assert_int_equal(f->msg[3].dest, 1);
}

static void test_hostile_accesses(void **state)
{
	struct fixture *f = *state;
	static const uint64_t offs[] = { 0x01, 0x04, 0x08, 0x0c, 0x11, 0x14, 0x20, 0x40, 0xffc };
	static const unsigned sizes[] = { 1, 2, 8 };

	program(f, 1, 0x21, 3);
	/* Wrong sizes at the two registers: reads 0, writes ignored. */
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		mmio_write(f, IOREGSEL, 4, REDIR_LO(1));
		mmio_write(f, IOREGSEL, sizes[i], REG_VER);
		mmio_write(f, IOWIN, sizes[i], 0);
		assert_int_equal(mmio_read(f, IOREGSEL, sizes[i]), 0);
		assert_int_equal(mmio_read(f, IOWIN, sizes[i]), 0);
		assert_int_equal(mmio_read(f, IOWIN, 4), 0x21);
	}
	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		mmio_write(f, offs[i], 4, 0);
		assert_int_equal(mmio_read(f, offs[i], 4), 0);
	}
	assert_int_equal(rd(f, REDIR_LO(1)), 0x21);
	/* Every index: undefined ones read 0 and ignore writes. */
	for (unsigned reg = 0x40; reg < 0x100; reg++) {
		wr(f, reg, 0xffffffff);
		assert_int_equal(rd(f, reg), 0);
	}
	for (unsigned reg = 0x03; reg < 0x10; reg++) {
		wr(f, reg, 0xffffffff);
		assert_int_equal(rd(f, reg), 0);
	}
	assert_int_equal(rd(f, REDIR_LO(1)), 0x21);
	assert_int_equal(rd(f, REDIR_HI(1)), 3u << 24);
	assert_int_equal(rd(f, REDIR_LO(23)), RTE_MASKED);
	/* Pins past the last are ignored. */
	vioapic_set_irq(&f->io, 24, true);
	vioapic_set_irq(&f->io, 1000, true);
	vioapic_set_irq(&f->io, ~0u, true);
	assert_int_equal(f->io.pin_high, 0);
	assert_int_equal(f->n, 0);
}

/* Random register writes, pin changes and EOIs: the read-only and reserved
 * bits stay clear, Remote IRR only ever shows on level entries, and no call
 * sends more than one message per pin. */
static void test_fuzz(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 200000; i++) {
		unsigned pin = (unsigned)rng_below(VIOAPIC_PINS + 2);
		unsigned before = f->n;

		switch (rng_below(6)) {
		case 0:
			mmio_write(f, rng_below(0x1000), 1u << rng_below(4), rng());
			break;
		case 1:
			mmio_read(f, rng_below(0x1000), 1u << rng_below(4));
			break;
		case 2:
			wr(f, (unsigned)rng_below(0x100), (uint32_t)rng());
			break;
		case 3:
			vioapic_set_irq(&f->io, pin, rng() & 1);
			break;
		case 4:
			vioapic_eoi(&f->io, (uint8_t)rng());
			break;
		default:
			wr(f, REDIR_LO(pin % VIOAPIC_PINS), (uint32_t)rng() & ~RTE_MASKED);
			break;
		}
		assert_true(f->n - before <= VIOAPIC_PINS);
		for (unsigned p = 0; p < VIOAPIC_PINS; p++) {
			uint64_t e = f->io.redir[p];

			assert_int_equal(e & RTE_DELIVS, 0);
			assert_int_equal(e & ~(uint64_t)(RTE_LO_RW | RTE_IRR) &
					 ~((uint64_t)RTE_HI_RW << 32), 0);
			if (e & RTE_IRR)
				assert_true(e & RTE_LEVEL);
		}
		if (f->n > MAX_MSGS / 2)
			f->n = 0;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_version_arb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redir_defaults_and_ro_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masked_edge_is_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_remote_irr_and_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_unmask_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_switch_clears_irr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_polarity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_pins_one_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests_name("vioapic", tests, NULL, NULL);
}
