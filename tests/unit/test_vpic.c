/* Unit tests for the guest 8259A pair and ELCR (vmm/vpic.c). Command
 * bytes are the 8259A data sheet's; the init sequence is Linux's
 * (arch/x86/kernel/i8259.c, init_8259A). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vpic.h"
#include "tests/unit/test_rng.h"

#define M_CMD	0x20
#define M_DATA	0x21
#define S_CMD	0xa0
#define S_DATA	0xa1
#define ELCR1	0x4d0
#define ELCR2	0x4d1

#define EOI		0x20
#define SPECIFIC_EOI	0x60
#define ROTATE_EOI	0xa0
#define ROTATE_SPECIFIC	0xe0
#define SET_PRIORITY	0xc0
#define AEOI_ROTATE_ON	0x80
#define READ_IRR	0x0a
#define READ_ISR	0x0b
#define POLL		0x0c
#define SMM_ON		0x68
#define SMM_OFF		0x48

#define MBASE	0x30	/* Linux's ISA_IRQ_VECTOR(0) */
#define SBASE	0x38

struct fix {
	struct vpic p;
	unsigned calls;
	bool level;
	bool log[64];
	bool ack_in_callback;	/* re-enter the model from the callback */
	int acked;
	unsigned depth, max_depth;	/* calls in progress: never nested */
};

static void output(void *ctx, bool level)
{
	struct fix *f = ctx;

	if (f->calls < ARRAY_SIZE(f->log))
		f->log[f->calls] = level;
	f->calls++;
	f->level = level;
	f->depth++;
	f->max_depth = MAX(f->max_depth, f->depth);
	if (f->ack_in_callback && level)
		f->acked = vpic_ack(&f->p);
	f->depth--;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	vpic_init(&f->p, output, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static const struct io_ops *range_of(unsigned port, uint64_t *off)
{
	if (port >= ELCR1) {
		*off = port - ELCR1;
		return &vpic_elcr_ops;
	}
	if (port >= S_CMD) {
		*off = port - S_CMD;
		return &vpic_slave_ops;
	}
	*off = port - M_CMD;
	return &vpic_master_ops;
}

static void out(struct fix *f, unsigned port, unsigned size, uint64_t v)
{
	uint64_t off;
	const struct io_ops *ops = range_of(port, &off);

	assert_int_equal(ops->write(&f->p, off, size, v), 0);
}

static uint64_t in(struct fix *f, unsigned port, unsigned size)
{
	uint64_t off, v = 0xdeadbeef;
	const struct io_ops *ops = range_of(port, &off);

	assert_int_equal(ops->read(&f->p, off, size, &v), 0);
	return v;
}

static void outb(struct fix *f, unsigned port, uint8_t v)
{
	out(f, port, 1, v);
}

static uint8_t inb(struct fix *f, unsigned port)
{
	return (uint8_t)in(f, port, 1);
}

/* init_8259A(): ICW1 edge + ICW4, ICW2, ICW3, ICW4 (8086, maybe AEOI). */
static void linux_init(struct fix *f, bool aeoi)
{
	outb(f, M_DATA, 0xff);
	outb(f, S_DATA, 0xff);
	outb(f, M_CMD, 0x11);
	outb(f, M_DATA, MBASE);
	outb(f, M_DATA, 1u << 2);
	outb(f, M_DATA, aeoi ? 0x03 : 0x01);
	outb(f, S_CMD, 0x11);
	outb(f, S_DATA, SBASE);
	outb(f, S_DATA, 2);
	outb(f, S_DATA, 0x01);
	outb(f, M_DATA, 0x00);
	outb(f, S_DATA, 0x00);
}

static void pulse(struct fix *f, unsigned irq)
{
	vpic_set_irq(&f->p, irq, true);
	vpic_set_irq(&f->p, irq, false);
}

/* ---------------------------------------------------------------- tests */

static void test_reset_state(void **state)
{
	struct fix *f = *state;

	assert_int_equal(inb(f, M_DATA), 0xff);
	assert_int_equal(inb(f, S_DATA), 0xff);
	assert_int_equal(inb(f, ELCR1), 0);
	assert_int_equal(inb(f, ELCR2), 0);
	pulse(f, 0);
	pulse(f, 12);
	assert_false(vpic_has_interrupt(&f->p));
	assert_int_equal(f->calls, 0);
	assert_int_equal(inb(f, M_CMD), 0x01);	/* the slave's INT is masked off */
	assert_int_equal(inb(f, S_CMD), 0x10);
	/* Linux's probe: the mask register holds what is written. */
	outb(f, M_DATA, 0x5a);
	assert_int_equal(inb(f, M_DATA), 0x5a);
	/* Unmasking IRQ 0 on the BIOS-like defaults: vector 0x08. */
	outb(f, M_DATA, 0xfe);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), 0x08);
}

static void test_init_and_vectors(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	assert_false(vpic_has_interrupt(&f->p));
	pulse(f, 1);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(f->calls, 1);
	assert_true(f->level);
	assert_int_equal(vpic_ack(&f->p), MBASE + 1);
	assert_false(vpic_has_interrupt(&f->p));
	assert_int_equal(f->calls, 2);
	assert_false(f->level);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0x02);
	outb(f, M_CMD, EOI);
	assert_int_equal(inb(f, M_CMD), 0x00);

	/* A slave IRQ: the master grants IR2, the slave gives the vector. */
	pulse(f, 11);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), SBASE + 3);
	assert_int_equal(inb(f, M_CMD), 0x04);		/* ISR still selected */
	outb(f, S_CMD, READ_ISR);
	assert_int_equal(inb(f, S_CMD), 0x08);
	/* Linux: specific EOI to the slave, then to the cascade. */
	outb(f, S_CMD, SPECIFIC_EOI | 3);
	outb(f, M_CMD, SPECIFIC_EOI | 2);
	assert_int_equal(inb(f, S_CMD), 0);
	assert_int_equal(inb(f, M_CMD), 0);
	assert_false(vpic_has_interrupt(&f->p));

	/* Every IRQ gives its vector. */
	for (unsigned irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		pulse(f, irq);
		assert_int_equal(vpic_ack(&f->p), (irq < 8 ? MBASE : SBASE) + (irq & 7));
		if (irq >= 8)
			outb(f, S_CMD, EOI);
		outb(f, M_CMD, EOI);
	}
	assert_false(vpic_has_interrupt(&f->p));
}

static void test_imr_masking(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	outb(f, M_DATA, 0x08);		/* IRQ 3 masked */
	outb(f, S_DATA, 0x40);		/* IRQ 14 masked */
	pulse(f, 3);
	pulse(f, 14);
	assert_false(vpic_has_interrupt(&f->p));
	assert_int_equal(f->calls, 0);
	assert_int_equal(inb(f, M_CMD), 0x08);	/* IRR shows masked requests */
	assert_int_equal(inb(f, S_CMD), 0x40);
	outb(f, S_DATA, 0x00);			/* the latched edge comes through */
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), SBASE + 6);
	outb(f, S_CMD, EOI);
	outb(f, M_CMD, EOI);
	/* Masking the cascade input hides the whole slave. */
	outb(f, M_DATA, 0x0c);
	pulse(f, 9);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, M_DATA, 0x00);
	assert_int_equal(vpic_ack(&f->p), SBASE + 1);
	outb(f, S_CMD, EOI);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
}

static void test_priorities(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	pulse(f, 5);
	pulse(f, 3);
	pulse(f, 4);
	pulse(f, 9);		/* the slave sits at IR2's priority */
	assert_int_equal(vpic_ack(&f->p), SBASE + 1);
	/* IR2 in service blocks 3-5 until both EOIs. */
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, S_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	/* Nesting: a higher priority IRQ interrupts the one in service. */
	pulse(f, 0);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), MBASE + 0);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0x09);
	outb(f, M_CMD, EOI);		/* clears the highest: 0 */
	assert_int_equal(inb(f, M_CMD), 0x08);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 4);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	outb(f, M_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));

	/* IR7 in service blocks nothing but itself. */
	pulse(f, 7);
	assert_int_equal(vpic_ack(&f->p), MBASE + 7);
	pulse(f, 7);
	assert_false(vpic_has_interrupt(&f->p));
	pulse(f, 6);
	assert_int_equal(vpic_ack(&f->p), MBASE + 6);
	outb(f, M_CMD, EOI);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 7);
	outb(f, M_CMD, EOI);
	/* Rotated, IR4 lowest: 4 in service blocks nothing else; 5 in
	 * service blocks 6, 7, 0-4. */
	outb(f, M_CMD, SET_PRIORITY | 4);
	pulse(f, 4);
	assert_int_equal(vpic_ack(&f->p), MBASE + 4);
	pulse(f, 3);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	outb(f, M_CMD, EOI);
	outb(f, M_CMD, EOI);
	pulse(f, 5);
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	pulse(f, 0);
	pulse(f, 6);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 6);
}

static void test_specific_eoi(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	pulse(f, 6);
	assert_int_equal(vpic_ack(&f->p), MBASE + 6);
	pulse(f, 1);
	assert_int_equal(vpic_ack(&f->p), MBASE + 1);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0x42);
	outb(f, M_CMD, SPECIFIC_EOI | 6);	/* not the highest */
	assert_int_equal(inb(f, M_CMD), 0x02);
	outb(f, M_CMD, SPECIFIC_EOI | 5);	/* not in service: no effect */
	assert_int_equal(inb(f, M_CMD), 0x02);
	outb(f, M_CMD, EOI);
	assert_int_equal(inb(f, M_CMD), 0x00);
	outb(f, M_CMD, EOI);			/* nothing in service: harmless */
	outb(f, M_CMD, 0x40);			/* OCW2 no-op */
	assert_int_equal(inb(f, M_CMD), 0x00);
}

static void test_rotation(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	pulse(f, 3);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	outb(f, M_CMD, ROTATE_EOI);		/* 3 becomes the lowest */
	pulse(f, 3);
	pulse(f, 1);
	pulse(f, 4);
	assert_int_equal(vpic_ack(&f->p), MBASE + 4);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 1);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	outb(f, M_CMD, EOI);

	/* Set priority: 5 lowest, so 6 first; rotate on specific EOI. */
	outb(f, M_CMD, SET_PRIORITY | 5);
	pulse(f, 5);
	pulse(f, 6);
	pulse(f, 0);
	assert_int_equal(vpic_ack(&f->p), MBASE + 6);
	outb(f, M_CMD, ROTATE_SPECIFIC | 6);	/* now 7 first, 6 last */
	assert_int_equal(vpic_ack(&f->p), MBASE + 0);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	outb(f, M_CMD, EOI);
	pulse(f, 7);
	pulse(f, 6);
	assert_int_equal(vpic_ack(&f->p), MBASE + 7);
	outb(f, M_CMD, EOI);
	/* Back to fully nested mode. */
	outb(f, M_CMD, SET_PRIORITY | 7);
	pulse(f, 1);
	assert_int_equal(vpic_ack(&f->p), MBASE + 1);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 6);
}

static void test_auto_eoi(void **state)
{
	struct fix *f = *state;

	linux_init(f, true);
	pulse(f, 1);
	pulse(f, 4);
	assert_int_equal(vpic_ack(&f->p), MBASE + 1);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0);
	/* Nothing in service: the lower priority IRQ follows at once. */
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), MBASE + 4);
	assert_int_equal(inb(f, M_CMD), 0);

	/* Rotate in automatic EOI mode: each IRQ served becomes lowest. */
	outb(f, M_CMD, AEOI_ROTATE_ON);
	pulse(f, 2 + 1);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	pulse(f, 3);
	pulse(f, 5);
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	outb(f, M_CMD, 0x00);			/* rotate in AEOI off */
	outb(f, M_CMD, SET_PRIORITY | 7);
	pulse(f, 5);
	pulse(f, 3);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
}

/* The slave in AEOI with two requests: the second must not be lost while
 * the master's IR2 is still in service or after it. */
static void test_slave_aeoi_back_to_back(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	outb(f, S_CMD, 0x11);
	outb(f, S_DATA, SBASE);
	outb(f, S_DATA, 2);
	outb(f, S_DATA, 0x03);
	outb(f, S_DATA, 0x00);
	pulse(f, 9);
	pulse(f, 12);
	assert_int_equal(vpic_ack(&f->p), SBASE + 1);
	assert_false(vpic_has_interrupt(&f->p));	/* master IR2 in service */
	outb(f, M_CMD, EOI);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), SBASE + 4);
	outb(f, M_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));
}

static void test_spurious(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	/* Nothing pending at all. */
	assert_int_equal(vpic_ack(&f->p), MBASE + 7);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0);

	/* A level request withdrawn before the INTA: IRQ 7, no ISR bit. */
	outb(f, ELCR1, 0x20);
	vpic_set_irq(&f->p, 5, true);
	assert_true(vpic_has_interrupt(&f->p));
	vpic_set_irq(&f->p, 5, false);
	assert_false(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), MBASE + 7);
	assert_int_equal(inb(f, M_CMD), 0);

	/* A slave request masked after the master latched IR2: IRQ 15 with
	 * the master's IR2 in service (Linux EOIs the master for it). */
	pulse(f, 10);
	assert_true(vpic_has_interrupt(&f->p));
	outb(f, S_DATA, 0x04);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), SBASE + 7);
	assert_int_equal(inb(f, M_CMD), 0x04);
	outb(f, S_CMD, READ_ISR);
	assert_int_equal(inb(f, S_CMD), 0);
	outb(f, M_CMD, SPECIFIC_EOI | 2);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, S_DATA, 0x00);			/* the slave's own latch remains */
	assert_int_equal(vpic_ack(&f->p), SBASE + 2);
}

static void test_level_and_edge(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	/* ELCR: bits of IRQ 0, 1, 2, 8 and 13 stay 0. */
	outb(f, ELCR1, 0xff);
	outb(f, ELCR2, 0xff);
	assert_int_equal(inb(f, ELCR1), 0xf8);
	assert_int_equal(inb(f, ELCR2), 0xde);
	outb(f, ELCR1, 0x20);			/* IRQ 5 level, the rest edge */
	outb(f, ELCR2, 0x08);			/* IRQ 11 level */

	/* Level held across the EOI requests again. */
	vpic_set_irq(&f->p, 5, true);
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, M_CMD, EOI);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	vpic_set_irq(&f->p, 5, false);
	outb(f, M_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));

	/* The same on the slave, through the cascade. */
	vpic_set_irq(&f->p, 11, true);
	assert_int_equal(vpic_ack(&f->p), SBASE + 3);
	outb(f, S_CMD, EOI);
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), SBASE + 3);
	vpic_set_irq(&f->p, 11, false);
	outb(f, S_CMD, EOI);
	outb(f, M_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));

	/* Edge held high: one interrupt, then a new rising edge is needed. */
	vpic_set_irq(&f->p, 4, true);
	assert_int_equal(vpic_ack(&f->p), MBASE + 4);
	outb(f, M_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));
	vpic_set_irq(&f->p, 4, true);		/* still high: no edge */
	assert_false(vpic_has_interrupt(&f->p));
	vpic_set_irq(&f->p, 4, false);
	vpic_set_irq(&f->p, 4, true);
	assert_int_equal(vpic_ack(&f->p), MBASE + 4);
	outb(f, M_CMD, EOI);

	/* IRQ 0 cannot be made level: a held line interrupts once. */
	outb(f, ELCR1, 0x01);
	assert_int_equal(inb(f, ELCR1), 0);
	vpic_set_irq(&f->p, 0, true);
	assert_int_equal(vpic_ack(&f->p), MBASE + 0);
	outb(f, M_CMD, EOI);
	assert_false(vpic_has_interrupt(&f->p));
}

static void test_ocw3_reads_and_poll(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	outb(f, M_DATA, 0x40);
	pulse(f, 6);
	pulse(f, 3);
	assert_int_equal(inb(f, M_CMD), 0x48);		/* IRR by default */
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0x08);
	assert_int_equal(inb(f, M_CMD), 0x08);		/* the selection sticks */
	outb(f, M_CMD, READ_IRR);
	assert_int_equal(inb(f, M_CMD), 0x40);
	outb(f, M_CMD, 0x08);				/* OCW3, RR = 0: no change */
	assert_int_equal(inb(f, M_CMD), 0x40);
	outb(f, M_CMD, EOI);

	/* Poll: the next read is the poll word and acts as an INTA. */
	outb(f, M_DATA, 0x00);
	outb(f, M_CMD, POLL);
	assert_int_equal(inb(f, M_CMD), 0x80 | 6);
	assert_int_equal(inb(f, M_CMD), 0x00);		/* back to IRR */
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0x40);
	outb(f, M_CMD, EOI);
	outb(f, M_CMD, POLL);
	assert_int_equal(inb(f, M_CMD), 0x00);		/* nothing to poll */
	/* Polling the slave on its own. */
	pulse(f, 13);
	outb(f, S_CMD, POLL);
	assert_int_equal(inb(f, S_CMD), 0x80 | 5);
	outb(f, S_CMD, READ_ISR);
	assert_int_equal(inb(f, S_CMD), 0x20);
	outb(f, S_CMD, EOI);
	assert_int_equal(inb(f, S_CMD), 0x00);
}

static void test_special_mask_mode(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	pulse(f, 3);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);
	pulse(f, 5);
	assert_false(vpic_has_interrupt(&f->p));	/* 3 in service */
	outb(f, M_DATA, 0x08);
	outb(f, M_CMD, SMM_ON);
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), MBASE + 5);
	outb(f, M_CMD, SPECIFIC_EOI | 5);
	/* Unmasked, a level in service still blocks itself. */
	outb(f, M_DATA, 0x00);
	pulse(f, 3);
	assert_false(vpic_has_interrupt(&f->p));
	outb(f, M_CMD, SMM_OFF);
	pulse(f, 6);
	assert_false(vpic_has_interrupt(&f->p));	/* 3 still in service */
	outb(f, M_CMD, SPECIFIC_EOI | 3);
	assert_int_equal(vpic_ack(&f->p), MBASE + 3);	/* the second edge */
	outb(f, M_CMD, EOI);
	assert_int_equal(vpic_ack(&f->p), MBASE + 6);
}

static void test_special_fully_nested(void **state)
{
	struct fix *f = *state;

	for (int sfnm = 0; sfnm < 2; sfnm++) {
		linux_init(f, false);
		outb(f, M_CMD, 0x11);
		outb(f, M_DATA, MBASE);
		outb(f, M_DATA, 0x04);
		outb(f, M_DATA, sfnm ? 0x11 : 0x01);
		outb(f, M_DATA, 0x00);
		pulse(f, 12);
		assert_int_equal(vpic_ack(&f->p), SBASE + 4);
		pulse(f, 9);			/* higher on the slave */
		assert_int_equal(vpic_has_interrupt(&f->p), sfnm);
		if (sfnm)
			assert_int_equal(vpic_ack(&f->p), SBASE + 1);
	}
}

static void test_init_variants(void **state)
{
	struct fix *f = *state;

	/* Single mode with ICW4: no ICW3; IR2 is the master's own vector. */
	outb(f, M_CMD, 0x13);
	outb(f, M_DATA, 0x48 | 0x05);		/* low 3 bits ignored */
	pulse(f, 1);
	assert_false(vpic_has_interrupt(&f->p));	/* still initializing */
	outb(f, M_DATA, 0x01);
	assert_int_equal(inb(f, M_DATA), 0x00);	/* ICW1 cleared the IMR */
	assert_true(vpic_has_interrupt(&f->p));
	assert_int_equal(vpic_ack(&f->p), 0x49);
	outb(f, M_CMD, EOI);
	outb(f, S_CMD, 0x11);
	outb(f, S_DATA, SBASE);
	outb(f, S_DATA, 2);
	outb(f, S_DATA, 1);
	outb(f, S_DATA, 0);
	pulse(f, 9);
	assert_int_equal(vpic_ack(&f->p), 0x4a);	/* not cascaded */
	outb(f, S_CMD, 0x11);			/* forget IRQ 9 */
	outb(f, S_DATA, SBASE);
	outb(f, S_DATA, 2);
	outb(f, S_DATA, 1);

	/* No ICW4: ICW2, ICW3, done; the ICW4 functions are cleared. */
	outb(f, M_CMD, 0x10);
	outb(f, M_DATA, 0x20);
	outb(f, M_DATA, 0x04);
	outb(f, M_DATA, 0xfe);			/* OCW1 already */
	assert_int_equal(inb(f, M_DATA), 0xfe);
	pulse(f, 0);
	assert_int_equal(vpic_ack(&f->p), 0x20);
	outb(f, M_CMD, READ_ISR);
	assert_int_equal(inb(f, M_CMD), 0x01);	/* not automatic EOI */

	/* ICW1 resets the edge sense: a line held high must rise again. */
	vpic_set_irq(&f->p, 3, true);
	outb(f, M_CMD, 0x11);
	outb(f, M_DATA, 0x20);
	outb(f, M_DATA, 0x04);
	outb(f, M_DATA, 0x01);
	assert_false(vpic_has_interrupt(&f->p));
	assert_int_equal(inb(f, M_CMD), 0x00);	/* IRR, ISR cleared; reads IRR */
	vpic_set_irq(&f->p, 3, true);
	assert_false(vpic_has_interrupt(&f->p));	/* no new edge... */
	outb(f, M_CMD, 0x11);
	vpic_set_irq(&f->p, 3, false);
	outb(f, M_DATA, 0x20);
	outb(f, M_DATA, 0x04);
	outb(f, M_DATA, 0x01);
	vpic_set_irq(&f->p, 3, true);
	assert_int_equal(vpic_ack(&f->p), 0x23);	/* ...until one comes */
}

static void test_output_callback(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	assert_int_equal(f->calls, 0);
	pulse(f, 4);
	pulse(f, 6);			/* already high: no second call */
	assert_int_equal(f->calls, 1);
	assert_true(f->log[0]);
	vpic_ack(&f->p);
	assert_int_equal(f->calls, 2);
	assert_false(f->log[1]);
	outb(f, M_CMD, EOI);		/* 6 now deliverable */
	assert_int_equal(f->calls, 3);
	assert_true(f->log[2]);
	outb(f, M_DATA, 0x40);		/* masked: the line falls */
	assert_int_equal(f->calls, 4);
	assert_false(f->log[3]);
	outb(f, M_DATA, 0x40);		/* no change: no call */
	assert_int_equal(f->calls, 4);

	/* The callback re-enters the model (INTA from inside): no deadlock,
	 * and the final call tells the final level. */
	f->ack_in_callback = true;
	outb(f, M_DATA, 0x00);
	assert_int_equal(f->acked, MBASE + 6);
	assert_int_equal(f->calls, 6);
	assert_true(f->log[4]);
	assert_false(f->log[5]);
	assert_int_equal(f->max_depth, 1);
	assert_false(vpic_has_interrupt(&f->p));
}

static void test_no_output_callback(void **state)
{
	struct vpic p;

	(void)state;
	vpic_init(&p, NULL, NULL);
	assert_int_equal(vpic_master_ops.write(&p, 1, 1, 0), 0);
	vpic_set_irq(&p, 0, true);
	assert_true(vpic_has_interrupt(&p));
	assert_int_equal(vpic_ack(&p), 0x08);
}

static void test_wide_access(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	outb(f, M_DATA, 0xa5);
	pulse(f, 3);
	assert_int_equal(in(f, M_CMD, 2), 0xa508);
	out(f, ELCR1, 2, 0x28f0);
	assert_int_equal(inb(f, ELCR1), 0xf0);
	assert_int_equal(inb(f, ELCR2), 0x08);
	assert_int_equal(in(f, ELCR1, 2), 0x08f0);
	/* Past the range (the registry would not send it): all ones. */
	assert_int_equal(in(f, S_DATA, 2), 0xff00);
	out(f, S_DATA, 2, 0x1234);
	assert_int_equal(inb(f, S_DATA), 0x34);
}

static void test_hostile_irq_numbers(void **state)
{
	struct fix *f = *state;

	linux_init(f, false);
	vpic_set_irq(&f->p, 2, true);		/* the cascade is not an input */
	vpic_set_irq(&f->p, 16, true);
	vpic_set_irq(&f->p, 0xffffffffu, true);
	assert_false(vpic_has_interrupt(&f->p));
	assert_int_equal(inb(f, M_CMD), 0);
	assert_int_equal(inb(f, S_CMD), 0);
	assert_int_equal(f->calls, 0);
}

/* Random guest bytes on every port, random IRQ lines and INTAs. */
static void test_fuzz(void **state)
{
	struct fix *f = *state;
	static const unsigned ports[] = { M_CMD, M_DATA, S_CMD, S_DATA, ELCR1, ELCR2 };

	rng_state = 0x5eed8259;
	for (unsigned n = 0; n < 200000; n++) {
		unsigned port = ports[rng_below(ARRAY_SIZE(ports))];
		unsigned r = (unsigned)rng_below(8);

		if (r < 3)
			outb(f, port, (uint8_t)rng());
		else if (r < 5)
			inb(f, port);
		else if (r < 7)
			vpic_set_irq(&f->p, (unsigned)rng_below(20), rng_below(2));
		else if (vpic_has_interrupt(&f->p)) {
			int v = vpic_ack(&f->p);

			assert_true(v >= 0 && v <= 255);
		}
		/* The callback always knows the current level. */
		assert_int_equal(f->level, vpic_has_interrupt(&f->p));
		assert_int_equal(f->p.chip[0].elcr & 0x07, 0);
		assert_int_equal(f->p.chip[1].elcr & 0x21, 0);
		assert_true(f->p.chip[0].lowest < 8 && f->p.chip[1].lowest < 8);
		assert_int_equal(f->p.chip[0].base & 7, 0);
		assert_false(f->p.notifying);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reset_state),
		T(test_init_and_vectors),
		T(test_imr_masking),
		T(test_priorities),
		T(test_specific_eoi),
		T(test_rotation),
		T(test_auto_eoi),
		T(test_slave_aeoi_back_to_back),
		T(test_spurious),
		T(test_level_and_edge),
		T(test_ocw3_reads_and_poll),
		T(test_special_mask_mode),
		T(test_special_fully_nested),
		T(test_init_variants),
		T(test_output_callback),
		cmocka_unit_test(test_no_output_callback),
		T(test_wide_access),
		T(test_hostile_irq_numbers),
		T(test_fuzz),
	};
#undef T

	return cmocka_run_group_tests_name("vpic", tests, NULL, NULL);
}
