/* Unit tests for the guest local APIC model (vmm/vlapic.c). Register
 * offsets, bit layouts and values are the Intel SDM vol. 3A chapter 11's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vlapic.h"
#include "tests/unit/test_rng.h"

enum {
	ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0,
	LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200,
	ESR = 0x280, LVT_CMCI = 0x2f0, ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320,
	LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360,
	LVT_ERROR = 0x370, TMICT = 0x380, TMCCT = 0x390, DCR = 0x3e0,
};

#define MSR(off)	(0x800 + ((off) >> 4))
#define MSR_ICR		0x830
#define MSR_SELF_IPI	0x83f
#define MASKED		0x10000u
#define PERIODIC	(1u << 17)
#define DEADLINE	(2u << 17)
#define BASE_XAPIC	(0xfee00000ull | VLAPIC_APIC_BASE_EN)
#define BASE_X2APIC	(BASE_XAPIC | VLAPIC_APIC_BASE_EXTD)
#define T0		1000000ull

/* What the ops saw. Every op checks that the vlapic's lock is free. */
struct rec {
	struct vlapic *a;
	unsigned nipi, neoi, nnotify;
	struct vlapic_ipi ipi;		/* the last one */
	uint8_t eoi;			/* the last one */
	bool reflect;			/* ipi: deliver a fixed IPI back to a */
	bool locked_call;		/* an op ran with the lock held */
};

static bool lock_held(struct vlapic *a)
{
	return a->lock.next != a->lock.owner;
}

static void op_ipi(void *ctx, const struct vlapic_ipi *ipi)
{
	struct rec *r = ctx;

	r->locked_call |= lock_held(r->a);
	r->nipi++;
	r->ipi = *ipi;
	if (r->reflect && ipi->mode == VLAPIC_DM_FIXED)
		vlapic_set_irq(r->a, ipi->vector, ipi->level_trigger);
}

static void op_eoi(void *ctx, uint8_t vector)
{
	struct rec *r = ctx;

	r->locked_call |= lock_held(r->a);
	r->neoi++;
	r->eoi = vector;
	vlapic_pending(r->a);		/* re-entering must not deadlock */
}

static void op_notify(void *ctx)
{
	struct rec *r = ctx;

	r->locked_call |= lock_held(r->a);
	r->nnotify++;
}

static const struct vlapic_ops ops = { op_ipi, op_eoi, op_notify };

struct fixture {
	struct vlapic a;
	struct rec r;
};

static struct vlapic *setup_apic(void **state, uint32_t id, bool bsp, uint32_t tpt)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->r.a = &f->a;
	vlapic_init(&f->a, id, bsp, tpt, &ops, &f->r);
	*state = f;
	return &f->a;
}

static struct rec *rec_of(struct vlapic *a)
{
	return &((struct fixture *)a)->r;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_false(f->r.locked_call);
	assert_false(lock_held(&f->a));
	free(f);
	return 0;
}

static uint32_t rd_at(struct vlapic *a, uint32_t off, uint64_t now)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vlapic_mmio_read(a, off, 4, &v, now), 0);
	assert_true(v <= UINT32_MAX);
	return (uint32_t)v;
}

static uint32_t rd(struct vlapic *a, uint32_t off)
{
	return rd_at(a, off, T0);
}

static void wr_at(struct vlapic *a, uint32_t off, uint32_t v, uint64_t now)
{
	assert_int_equal(vlapic_mmio_write(a, off, 4, v, now), 0);
}

static void wr(struct vlapic *a, uint32_t off, uint32_t v)
{
	wr_at(a, off, v, T0);
}

static uint64_t rdmsr(struct vlapic *a, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vlapic_rdmsr(a, msr, &v, T0), 0);
	return v;
}

static void wrmsr(struct vlapic *a, uint32_t msr, uint64_t v)
{
	assert_int_equal(vlapic_wrmsr(a, msr, v, T0), 0);
}

static void gp_rdmsr(struct vlapic *a, uint32_t msr)
{
	uint64_t v;

	assert_int_equal(vlapic_rdmsr(a, msr, &v, T0), -E_INVAL);
}

static void gp_wrmsr(struct vlapic *a, uint32_t msr, uint64_t v)
{
	assert_int_equal(vlapic_wrmsr(a, msr, v, T0), -E_INVAL);
}

static void sw_enable(struct vlapic *a)
{
	wr(a, SVR, 0x1ff);
}

static void to_x2apic(struct vlapic *a)
{
	wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_X2APIC);
	assert_true(vlapic_x2apic_mode(a));
}

static bool irr_has(struct vlapic *a, unsigned v)
{
	return rd(a, IRR + (v / 32) * 16) & (1u << (v % 32));
}

static bool isr_has(struct vlapic *a, unsigned v)
{
	return rd(a, ISR + (v / 32) * 16) & (1u << (v % 32));
}

static unsigned bank_count(const uint32_t *bank)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 8; i++)
		n += (unsigned)__builtin_popcount(bank[i]);
	return n;
}

/* Inject what is pending (the vCPU's side), returning the vector. */
static int inject(struct vlapic *a)
{
	int v = vlapic_pending(a);

	if (v >= 0)
		vlapic_ack(a, (uint8_t)v);
	return v;
}

/* ------------------------------------------------------------ registers */

static void check_power_up_regs(struct vlapic *a)
{
	static const uint32_t lvts[] = { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF,
					 LVT_LINT0, LVT_LINT1, LVT_ERROR };

	assert_int_equal(rd(a, VER), 0x00060014);
	assert_int_equal(rd(a, TPR), 0);
	assert_int_equal(rd(a, APR), 0);
	assert_int_equal(rd(a, PPR), 0);
	assert_int_equal(rd(a, LDR), 0);
	assert_int_equal(rd(a, DFR), 0xffffffff);
	assert_int_equal(rd(a, SVR), 0xff);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(rd(a, ISR + i * 16), 0);
		assert_int_equal(rd(a, TMR + i * 16), 0);
		assert_int_equal(rd(a, IRR + i * 16), 0);
	}
	assert_int_equal(rd(a, ESR), 0);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_int_equal(rd(a, lvts[i]), MASKED);
	assert_int_equal(rd(a, ICR_LO), 0);
	assert_int_equal(rd(a, ICR_HI), 0);
	assert_int_equal(rd(a, TMICT), 0);
	assert_int_equal(rd(a, TMCCT), 0);
	assert_int_equal(rd(a, DCR), 0);
	assert_int_equal(rd(a, EOI), 0);	/* write-only */
	assert_int_equal(rd(a, RRD), 0);
	assert_int_equal(vlapic_poll(a, T0), UINT64_MAX);
}

static void test_power_up(void **state)
{
	struct vlapic *a = setup_apic(state, 3, true, 1);

	assert_int_equal(rdmsr(a, VLAPIC_MSR_APIC_BASE), 0xfee00900);
	assert_int_equal(rd(a, ID), 0x03000000);
	assert_int_equal(vlapic_id(a), 3);
	assert_true(vlapic_enabled(a));
	assert_false(vlapic_sw_enabled(a));
	assert_false(vlapic_x2apic_mode(a));
	check_power_up_regs(a);
	assert_int_equal(vlapic_pending(a), -1);
	assert_false(vlapic_extint_enabled(a));
}

static void test_ap_base_and_readonly_id(void **state)
{
	struct vlapic *a = setup_apic(state, 7, false, 1);

	assert_int_equal(rdmsr(a, VLAPIC_MSR_APIC_BASE), 0xfee00800);
	wr(a, ID, 0x09000000);				/* read-only here */
	assert_int_equal(rd(a, ID), 0x07000000);
	wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC | VLAPIC_APIC_BASE_BSP);	/* BSP: RO */
	assert_int_equal(rdmsr(a, VLAPIC_MSR_APIC_BASE), 0xfee00800);
}

/* INIT: everything back to power-up values but the ID and APIC_BASE. */
static void test_init_reset(void **state)
{
	struct vlapic *a = setup_apic(state, 5, true, 1);

	sw_enable(a);
	wr(a, TPR, 0x20);
	wr(a, LDR, 0x01000000);
	wr(a, DFR, 0x0fffffff);
	wr(a, LVT_TIMER, 0x40);
	wr(a, DCR, 0xb);
	wr(a, TMICT, 1000);
	wr(a, ICR_HI, 0x01000000);
	vlapic_set_irq(a, 0x80, true);
	inject(a);
	vlapic_set_irq(a, 0x90, false);
	vlapic_set_irq(a, 1, false);			/* an error for the ESR */
	wr(a, ESR, 0);
	vlapic_reset(a);
	assert_int_equal(rd(a, ID), 0x05000000);
	assert_int_equal(rdmsr(a, VLAPIC_MSR_APIC_BASE), 0xfee00900);
	check_power_up_regs(a);

	to_x2apic(a);					/* INIT keeps x2APIC mode */
	vlapic_reset(a);
	assert_true(vlapic_x2apic_mode(a));
	assert_int_equal(rdmsr(a, MSR(SVR)), 0xff);
}

/* Writable bits of each LVT (Figure 11-8); delivery status / remote IRR
 * never stick. */
static void test_lvt_write_masks(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);

	sw_enable(a);
	wr(a, LVT_CMCI, 0xffffffff);
	assert_int_equal(rd(a, LVT_CMCI), 0x000107ff);
	wr(a, LVT_TIMER, 0xffffffff);			/* mode 3 is reserved */
	assert_int_equal(rd(a, LVT_TIMER), 0x000100ff);
	wr(a, LVT_TIMER, 0xfffdffff);			/* TSC-deadline mode */
	assert_int_equal(rd(a, LVT_TIMER), 0x000500ff);
	wr(a, LVT_THERMAL, 0xffffffff);
	assert_int_equal(rd(a, LVT_THERMAL), 0x000107ff);
	wr(a, LVT_PERF, 0xffffffff);
	assert_int_equal(rd(a, LVT_PERF), 0x000107ff);
	wr(a, LVT_LINT0, 0xffffffff);
	assert_int_equal(rd(a, LVT_LINT0), 0x0001a7ff);
	wr(a, LVT_LINT1, 0xffffffff);
	assert_int_equal(rd(a, LVT_LINT1), 0x0001a7ff);
	wr(a, LVT_ERROR, 0xffffffff);
	assert_int_equal(rd(a, LVT_ERROR), 0x000100ff);
	wr(a, LVT_LINT0, 0x0000a700);
	assert_int_equal(rd(a, LVT_LINT0), 0x0000a700);
	wr(a, SVR, 0xffffffff);
	assert_int_equal(rd(a, SVR), 0x3ff);
	wr(a, DFR, 0x00000000);
	assert_int_equal(rd(a, DFR), 0x0fffffff);
	wr(a, LDR, 0xffffffff);
	assert_int_equal(rd(a, LDR), 0xff000000);
	wr(a, TPR, 0xffffffff);
	assert_int_equal(rd(a, TPR), 0xff);
	wr(a, DCR, 0xffffffff);
	assert_int_equal(rd(a, DCR), 0xb);
	wr(a, ICR_HI, 0xffffffff);
	assert_int_equal(rd(a, ICR_HI), 0xff000000);
	wr(a, ICR_LO, 0xffffffff);			/* reserved mode: not sent */
	assert_int_equal(rd(a, ICR_LO), 0x000ccfff);
	assert_int_equal(rec_of(a)->nipi, 0);
}

static void test_sw_disable_masks_lvts(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	static const uint32_t lvts[] = { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF,
					 LVT_LINT0, LVT_LINT1, LVT_ERROR };

	/* Power-up: software-disabled, so unmasking does not stick. */
	wr(a, LVT_LINT0, 0x700);
	assert_int_equal(rd(a, LVT_LINT0), MASKED | 0x700);
	sw_enable(a);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		wr(a, lvts[i], 0x40 + i);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_int_equal(rd(a, lvts[i]), 0x40 + i);
	vlapic_set_irq(a, 0x50, false);			/* held across the disable */
	wr(a, SVR, 0xff);
	assert_false(vlapic_sw_enabled(a));
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_int_equal(rd(a, lvts[i]), MASKED | (0x40 + i));
	wr(a, LVT_ERROR, 0x41);
	assert_int_equal(rd(a, LVT_ERROR), MASKED | 0x41);
	vlapic_set_irq(a, 0x60, false);			/* dropped while disabled */
	assert_false(irr_has(a, 0x60));
	assert_int_equal(vlapic_pending(a), 0x50);
	sw_enable(a);					/* LVTs stay masked */
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_true(rd(a, lvts[i]) & MASKED);
}

/* ------------------------------------------------------------- priority */

static void test_priority_nested(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);

	sw_enable(a);
	vlapic_set_irq(a, 0x31, false);
	vlapic_set_irq(a, 0x52, false);
	vlapic_set_irq(a, 0x55, false);
	assert_int_equal(r->nnotify, 3);
	assert_true(rd(a, IRR + 0x20) & (1u << (0x55 - 0x40)));
	assert_int_equal(vlapic_pending(a), 0x55);

	wr(a, TPR, 0x50);			/* class 5 is no longer above the PPR */
	assert_int_equal(rd(a, PPR), 0x50);
	assert_int_equal(vlapic_pending(a), -1);
	vlapic_set_tpr(a, 0x4f);
	assert_int_equal(vlapic_get_tpr(a), 0x4f);
	assert_int_equal(vlapic_pending(a), 0x55);

	assert_int_equal(inject(a), 0x55);
	assert_true(isr_has(a, 0x55));
	assert_false(irr_has(a, 0x55));
	assert_int_equal(rd(a, PPR), 0x50);	/* ISR class above the TPR's */
	assert_int_equal(vlapic_pending(a), -1);	/* 0x52 is in the same class */

	r->nnotify = 0;
	vlapic_set_irq(a, 0x4f, false);		/* below the PPR: no kick */
	assert_int_equal(r->nnotify, 0);
	vlapic_set_irq(a, 0x61, false);		/* nests above 0x55 */
	assert_int_equal(r->nnotify, 1);
	assert_int_equal(inject(a), 0x61);
	assert_int_equal(rd(a, PPR), 0x60);

	wr(a, EOI, 0);				/* retires 0x61 only */
	assert_false(isr_has(a, 0x61));
	assert_true(isr_has(a, 0x55));
	assert_int_equal(rd(a, PPR), 0x50);
	assert_int_equal(vlapic_pending(a), -1);
	wr(a, EOI, 0);				/* retires 0x55 */
	assert_int_equal(rd(a, PPR), 0x4f);
	assert_int_equal(vlapic_pending(a), 0x52);
	assert_int_equal(inject(a), 0x52);
	assert_int_equal(inject(a), -1);	/* 0x4f: class 4 is not above 4 */
	wr(a, EOI, 0);
	assert_int_equal(inject(a), -1);	/* the TPR holds class 4 back */
	vlapic_set_tpr(a, 0);
	assert_int_equal(inject(a), 0x4f);
	assert_int_equal(rd(a, PPR), 0x40);
	assert_int_equal(inject(a), -1);	/* 0x31 is below the class in service */
	wr(a, EOI, 0);
	assert_int_equal(inject(a), 0x31);
	assert_int_equal(rd(a, PPR), 0x30);
	wr(a, EOI, 0);
	wr(a, EOI, 0);				/* nothing left: harmless */
	assert_int_equal(rd(a, PPR), 0);
	assert_int_equal(r->neoi, 0);		/* all edge-triggered */
}

static void test_ppr_subclass(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);

	sw_enable(a);
	vlapic_set_irq(a, 0x41, false);
	inject(a);
	wr(a, TPR, 0x47);			/* same class: PPR is the TPR */
	assert_int_equal(rd(a, PPR), 0x47);
	wr(a, TPR, 0x37);			/* lower class: the ISR's class */
	assert_int_equal(rd(a, PPR), 0x40);
	assert_int_equal(vlapic_get_ppr(a), 0x40);
	vlapic_ack(a, 0x90);			/* not in the IRR: ignored */
	assert_false(isr_has(a, 0x90));
}

/* Every bank word is used: 16 is the lowest legal vector, 255 the top. */
static void test_vector_range(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);

	sw_enable(a);
	vlapic_set_irq(a, 0x10, false);
	assert_int_equal(rd(a, IRR), 1u << 16);
	assert_int_equal(vlapic_pending(a), 0x10);
	vlapic_set_irq(a, 0xff, false);
	assert_int_equal(rd(a, IRR + 0x70), 1u << 31);
	assert_int_equal(inject(a), 0xff);
	assert_int_equal(rd(a, ISR + 0x70), 1u << 31);
	assert_int_equal(rd(a, PPR), 0xf0);
	wr(a, EOI, 0);
	assert_int_equal(inject(a), 0x10);
	assert_int_equal(rd(a, ISR), 1u << 16);
	wr(a, EOI, 0);
	assert_int_equal(rd(a, ISR), 0);
	wr(a, ESR, 0);
	assert_int_equal(rd(a, ESR), 0);
}

static void test_eoi_level_calls_eoi(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);

	sw_enable(a);
	vlapic_set_irq(a, 0x70, true);
	vlapic_set_irq(a, 0x30, false);
	assert_true(rd(a, TMR + 0x30) & (1u << (0x70 - 0x60)));
	assert_false(rd(a, TMR + 0x10) & (1u << (0x30 - 0x20)));
	assert_int_equal(inject(a), 0x70);
	assert_int_equal(inject(a), -1);	/* 0x30 waits below 0x70 */
	wr(a, EOI, 0);
	assert_int_equal(r->neoi, 1);
	assert_int_equal(r->eoi, 0x70);
	assert_int_equal(inject(a), 0x30);
	wr(a, EOI, 0);
	assert_int_equal(r->neoi, 1);		/* edge: no EOI message */

	/* The same vector edge-triggered later clears its TMR bit. */
	vlapic_set_irq(a, 0x70, false);
	assert_false(rd(a, TMR + 0x30) & (1u << (0x70 - 0x60)));
	inject(a);
	wr(a, EOI, 0);
	assert_int_equal(r->neoi, 1);
}

static void test_illegal_vectors_and_esr(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);

	sw_enable(a);
	vlapic_set_irq(a, 5, false);
	assert_int_equal(rd(a, IRR), 0);
	assert_int_equal(rd(a, ESR), 0);	/* not latched before a write */
	wr(a, ESR, 0);
	assert_int_equal(rd(a, ESR), 0x40);	/* receive illegal vector */
	wr(a, ESR, 0);
	assert_int_equal(rd(a, ESR), 0);

	wr(a, ICR_LO, 0x4003);			/* fixed IPI, vector 3 */
	assert_int_equal(r->nipi, 0);
	wr(a, ESR, 0);
	assert_int_equal(rd(a, ESR), 0x20);	/* send illegal vector */

	wr(a, LVT_ERROR, 0xe0);			/* errors now interrupt */
	vlapic_set_irq(a, 15, false);
	assert_true(irr_has(a, 0xe0));
	wr(a, LVT_ERROR, 0x02);			/* an illegal error vector itself */
	vlapic_set_irq(a, 0, false);
	wr(a, ESR, 0);
	assert_int_equal(rd(a, ESR), 0x40);
}

/* ------------------------------------------------------------------ IPI */

static void test_icr_xapic(void **state)
{
	struct vlapic *a = setup_apic(state, 2, true, 1);
	struct rec *r = rec_of(a);

	sw_enable(a);
	wr(a, ICR_HI, 0x05000000);
	wr(a, ICR_LO, 0x000040f0);
	assert_int_equal(r->nipi, 1);
	assert_int_equal(r->ipi.vector, 0xf0);
	assert_int_equal(r->ipi.mode, VLAPIC_DM_FIXED);
	assert_false(r->ipi.logical);
	assert_true(r->ipi.level_assert);
	assert_false(r->ipi.level_trigger);
	assert_int_equal(r->ipi.shorthand, VLAPIC_SH_NONE);
	assert_int_equal(r->ipi.dest, 5);
	assert_int_equal(r->ipi.source_id, 2);
	assert_false(r->ipi.x2apic);
	assert_int_equal(rd(a, ICR_LO), 0x40f0);	/* delivery status: idle */
	assert_int_equal(rd(a, ICR_HI), 0x05000000);

	wr(a, ICR_LO, 0x0000c9f1);		/* logical lowest-priority, level */
	assert_int_equal(r->ipi.mode, VLAPIC_DM_LOWEST);
	assert_true(r->ipi.logical);
	assert_false(r->ipi.level_trigger);	/* IPIs are edge on xAPIC */

	wr(a, ICR_LO, 0x0000c500);		/* INIT assert */
	assert_int_equal(r->ipi.mode, VLAPIC_DM_INIT);
	assert_true(r->ipi.level_assert && r->ipi.level_trigger);
	assert_false(vlapic_ipi_is_init_deassert(&r->ipi));
	wr(a, ICR_LO, 0x00088500);		/* INIT de-assert, all incl. self */
	assert_true(vlapic_ipi_is_init_deassert(&r->ipi));
	assert_int_equal(r->ipi.shorthand, VLAPIC_SH_ALL);
	wr(a, ICR_LO, 0x0000069a);		/* SIPI */
	assert_int_equal(r->ipi.mode, VLAPIC_DM_SIPI);
	assert_int_equal(r->ipi.vector, 0x9a);
	wr(a, ICR_LO, 0x000c0400);		/* NMI to all others */
	assert_int_equal(r->ipi.mode, VLAPIC_DM_NMI);
	assert_int_equal(r->ipi.shorthand, VLAPIC_SH_OTHERS);
	wr(a, ICR_LO, 0x00000200);
	assert_int_equal(r->ipi.mode, VLAPIC_DM_SMI);
	assert_int_equal(r->nipi, 7);

	wr(a, ICR_LO, 0x00040055);		/* self: handled here */
	assert_int_equal(r->nipi, 7);
	assert_true(irr_has(a, 0x55));
	wr(a, ICR_LO, 0x00040400);		/* NMI to self: invalid, dropped */
	wr(a, ICR_LO, 0x00000300);		/* reserved modes */
	wr(a, ICR_LO, 0x00000760);
	assert_int_equal(r->nipi, 7);

	r->reflect = true;			/* a router: all including self */
	wr(a, ICR_LO, 0x00080066);
	assert_int_equal(r->nipi, 8);
	assert_int_equal(r->ipi.shorthand, VLAPIC_SH_ALL);
	assert_true(irr_has(a, 0x66));
}

static void test_icr_x2apic(void **state)
{
	struct vlapic *a = setup_apic(state, 0x123, true, 1);
	struct rec *r = rec_of(a);

	to_x2apic(a);
	wrmsr(a, MSR(SVR), 0x1ff);
	wrmsr(a, MSR_ICR, 0x12345678000004f1ull);
	assert_int_equal(r->nipi, 1);
	assert_int_equal(r->ipi.dest, 0x12345678);
	assert_true(r->ipi.x2apic);
	assert_int_equal(r->ipi.source_id, 0x123);
	assert_int_equal(r->ipi.mode, VLAPIC_DM_NMI);
	assert_int_equal(rdmsr(a, MSR_ICR), 0x12345678000004f1ull);
	gp_wrmsr(a, MSR_ICR, 0x2000);		/* reserved bit 13 */
	gp_wrmsr(a, MSR_ICR, 0x10000040);
	assert_int_equal(r->nipi, 1);
	wrmsr(a, MSR_ICR, 0xffffffff000c0040ull);	/* others, fixed */
	assert_int_equal(r->ipi.shorthand, VLAPIC_SH_OTHERS);
	assert_int_equal(r->ipi.dest, 0xffffffff);

	wrmsr(a, MSR_SELF_IPI, 0x61);
	assert_int_equal(r->nipi, 2);
	assert_int_equal(rdmsr(a, MSR(IRR) + 3) >> 1 & 1, 1);
	gp_wrmsr(a, MSR_SELF_IPI, 0x161);
	gp_wrmsr(a, MSR_SELF_IPI, 1ull << 32);
	gp_rdmsr(a, MSR_SELF_IPI);
	wrmsr(a, MSR_SELF_IPI, 0x05);
	wrmsr(a, MSR(ESR), 0);
	assert_int_equal(rdmsr(a, MSR(ESR)), 0x20);
}

/* ------------------------------------------------------------- x2APIC */

static void test_x2apic_msr_rules(void **state)
{
	struct vlapic *a = setup_apic(state, 0x123, true, 1);
	uint64_t v;

	assert_int_equal(vlapic_rdmsr(a, 0x10, &v, T0), -E_NOENT);
	assert_int_equal(vlapic_wrmsr(a, 0x900, 0, T0), -E_NOENT);
	gp_rdmsr(a, MSR(ID));			/* not in x2APIC mode */
	gp_wrmsr(a, MSR(TPR), 0);
	assert_int_equal(rd(a, ID), 0x23000000);

	to_x2apic(a);
	assert_int_equal(rdmsr(a, MSR(ID)), 0x123);
	assert_int_equal(rdmsr(a, MSR(VER)), 0x00060014);
	assert_int_equal(rdmsr(a, MSR(LDR)), 0x00120008);
	gp_wrmsr(a, MSR(ID), 0);
	gp_wrmsr(a, MSR(VER), 0);
	gp_wrmsr(a, MSR(LDR), 0x00120008);
	gp_wrmsr(a, MSR(PPR), 0);
	gp_wrmsr(a, MSR(ISR), 0);
	gp_wrmsr(a, MSR(TMCCT), 0);
	gp_rdmsr(a, MSR(DFR));
	gp_wrmsr(a, MSR(DFR), 0xffffffff);
	gp_rdmsr(a, MSR(EOI));
	gp_wrmsr(a, MSR(EOI), 1);
	wrmsr(a, MSR(EOI), 0);
	gp_wrmsr(a, MSR(ESR), 1);
	wrmsr(a, MSR(ESR), 0);
	gp_wrmsr(a, MSR(TPR), 0x100);
	wrmsr(a, MSR(TPR), 0x20);
	assert_int_equal(rdmsr(a, MSR(TPR)), 0x20);
	assert_int_equal(vlapic_get_tpr(a), 0x20);
	gp_wrmsr(a, MSR(SVR), 0x1ff | 1ull << 32);
	gp_rdmsr(a, MSR(APR));
	gp_rdmsr(a, 0x831);			/* no ICR high half */
	gp_rdmsr(a, 0x800);
	gp_rdmsr(a, 0x840);
	gp_wrmsr(a, 0x8ff, 0);

	/* The MMIO page is gone. */
	assert_int_equal(rd(a, ID), 0);
	assert_int_equal(rd(a, TPR), 0);
	wr(a, TPR, 0x40);
	assert_int_equal(rdmsr(a, MSR(TPR)), 0x20);
}

static void test_apic_base_transitions(void **state)
{
	struct vlapic *a = setup_apic(state, 1, true, 1);
	const uint64_t bsp = VLAPIC_APIC_BASE_BSP;

	/* EN = 0, EXTD = 1 is the invalid state. */
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, 0xfee00000ull | VLAPIC_APIC_BASE_EXTD | bsp);
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC | bsp | 0x200);	/* reserved */
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC | bsp | 1);
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC | bsp | 1ull << 60);
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, 0xfed00000ull | VLAPIC_APIC_BASE_EN);	/* moved */

	to_x2apic(a);						/* xAPIC -> x2APIC */
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC);		/* x2APIC -> xAPIC */
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, 0xfee00000ull | VLAPIC_APIC_BASE_EXTD);
	wrmsr(a, MSR(TPR), 0x30);
	wrmsr(a, VLAPIC_MSR_APIC_BASE, 0xfee00000ull);		/* -> disabled */
	assert_false(vlapic_enabled(a));
	assert_false(vlapic_x2apic_mode(a));
	assert_int_equal(rdmsr(a, VLAPIC_MSR_APIC_BASE), 0xfee00100);
	gp_rdmsr(a, MSR(TPR));
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_X2APIC);		/* disabled -> x2APIC */

	/* Disabled: no APIC at all. */
	assert_int_equal(rd(a, VER), 0);
	vlapic_set_irq(a, 0x40, false);
	assert_int_equal(vlapic_pending(a), -1);
	assert_true(vlapic_extint_enabled(a));
	assert_false(vlapic_match_dest(a, 0xff, false, false));
	vlapic_reset(a);					/* INIT keeps it disabled */
	assert_false(vlapic_enabled(a));

	wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC);		/* disabled -> xAPIC */
	assert_true(vlapic_enabled(a));
	assert_int_equal(rd(a, TPR), 0);			/* state was lost */
	assert_int_equal(rd(a, ID), 0x01000000);
	assert_int_equal(rd(a, VER), 0x00060014);

	sw_enable(a);
	wr(a, TPR, 0x10);
	wrmsr(a, VLAPIC_MSR_APIC_BASE, 0xfee00000ull);		/* xAPIC -> disabled */
	wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_XAPIC);
	assert_int_equal(rd(a, SVR), 0xff);
	assert_int_equal(rd(a, TPR), 0);

	vlapic_allow_x2apic(a, false);				/* CPUID hides x2APIC */
	gp_wrmsr(a, VLAPIC_MSR_APIC_BASE, BASE_X2APIC);
	assert_false(vlapic_x2apic_mode(a));
}

/* --------------------------------------------------------- destinations */

static void test_match_physical(void **state)
{
	struct vlapic *a = setup_apic(state, 3, true, 1);

	assert_true(vlapic_match_dest(a, 3, false, false));
	assert_false(vlapic_match_dest(a, 4, false, false));
	assert_true(vlapic_match_dest(a, 0xff, false, false));
	assert_true(vlapic_match_dest(a, 0x103, false, false));	/* 8 bits only */
	assert_true(vlapic_match_dest(a, 3, false, true));
	assert_false(vlapic_match_dest(a, 0x103, false, true));
	assert_false(vlapic_match_dest(a, 0xff, false, true));	/* ID 255 */
	assert_true(vlapic_match_dest(a, 0xffffffff, false, true));
}

static void test_match_flat_and_cluster(void **state)
{
	struct vlapic *a = setup_apic(state, 3, true, 1);

	/* Flat (DFR model 0xF): a bit in the 8-bit logical ID. */
	wr(a, LDR, 0x04000000);
	assert_true(vlapic_match_dest(a, 0x04, true, false));
	assert_true(vlapic_match_dest(a, 0x06, true, false));
	assert_false(vlapic_match_dest(a, 0x08, true, false));
	assert_false(vlapic_match_dest(a, 0x03, true, false));
	assert_true(vlapic_match_dest(a, 0xff, true, false));

	/* Cluster (DFR model 0): cluster in bits 7:4, members in 3:0. */
	wr(a, DFR, 0x0fffffff);
	wr(a, LDR, 0x21000000);
	assert_true(vlapic_match_dest(a, 0x21, true, false));
	assert_true(vlapic_match_dest(a, 0x23, true, false));
	assert_false(vlapic_match_dest(a, 0x31, true, false));
	assert_false(vlapic_match_dest(a, 0x22, true, false));
	assert_false(vlapic_match_dest(a, 0x01, true, false));
	assert_true(vlapic_match_dest(a, 0xff, true, false));
	assert_true(vlapic_match_dest(a, 3, false, false));	/* physical still */
}

static void test_match_x2apic_cluster(void **state)
{
	struct vlapic *a = setup_apic(state, 0x23, true, 1);	/* LDR 0x00020008 */

	to_x2apic(a);
	assert_true(vlapic_match_dest(a, 0x00020008, true, true));
	assert_true(vlapic_match_dest(a, 0x0002000c, true, true));
	assert_false(vlapic_match_dest(a, 0x00030008, true, true));
	assert_false(vlapic_match_dest(a, 0x00020004, true, true));
	assert_true(vlapic_match_dest(a, 0xffffffff, true, true));
	assert_true(vlapic_match_dest(a, 0x23, false, true));
	assert_false(vlapic_match_dest(a, 0x24, false, true));
	/* 8-bit messages (I/O APIC, MSI) reach an x2APIC too. */
	assert_true(vlapic_match_dest(a, 0x23, false, false));
	assert_true(vlapic_match_dest(a, 0xff, false, false));
	assert_true(vlapic_match_dest(a, 0xff, true, false));
}

static void test_extint(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);

	assert_false(vlapic_extint_enabled(a));		/* LINT0 masked */
	vlapic_set_virtual_wire(a);
	assert_true(vlapic_sw_enabled(a));
	assert_true(vlapic_extint_enabled(a));
	assert_int_equal(rd(a, LVT_LINT0), 0x700);
	assert_int_equal(rd(a, LVT_LINT1), 0x400);
	wr(a, LVT_LINT0, 0x700 | MASKED);
	assert_false(vlapic_extint_enabled(a));
	wr(a, LVT_LINT0, 0x000);			/* fixed, not ExtINT */
	assert_false(vlapic_extint_enabled(a));
	wr(a, SVR, 0xff);
	wr(a, LVT_LINT0, 0x700);			/* masked by the disable */
	assert_false(vlapic_extint_enabled(a));
}

/* ---------------------------------------------------------------- timer */

static void test_timer_divisors(void **state)
{
	static const struct { uint32_t dcr, div; } divs[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	struct vlapic *a = setup_apic(state, 0, true, 3);

	sw_enable(a);
	wr(a, LVT_TIMER, 0x40);
	for (unsigned i = 0; i < ARRAY_SIZE(divs); i++) {
		uint64_t tick = 3ull * divs[i].div;

		wr(a, DCR, divs[i].dcr);
		wr_at(a, TMICT, 1000, T0);
		assert_int_equal(vlapic_poll(a, T0), T0 + 1000 * tick);
		assert_int_equal(rd_at(a, TMCCT, T0), 1000);
		assert_int_equal(rd_at(a, TMCCT, T0 + tick - 1), 1000);
		assert_int_equal(rd_at(a, TMCCT, T0 + tick), 999);
		assert_int_equal(rd_at(a, TMCCT, T0 + 500 * tick), 500);
		assert_int_equal(rd_at(a, TMCCT, T0 + 1000 * tick - 1), 1);
		assert_false(irr_has(a, 0x40));
		assert_int_equal(rd_at(a, TMCCT, T0 + 1000 * tick), 0);
		assert_true(irr_has(a, 0x40));		/* that read delivered it */
		assert_int_equal(inject(a), 0x40);
		wr(a, EOI, 0);

		wr_at(a, TMICT, 1000, T0);
		wr_at(a, TMICT, 0, T0 + tick);		/* stops it */
		assert_int_equal(rd_at(a, TMCCT, T0 + 2 * tick), 0);
		assert_int_equal(vlapic_poll(a, T0 + 2000 * tick), UINT64_MAX);
		assert_false(irr_has(a, 0x40));
	}
}

static void test_timer_oneshot_exact(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 3);
	struct rec *r = rec_of(a);
	const uint64_t end = T0 + 100 * 2 * 3;

	sw_enable(a);
	wr(a, LVT_TIMER, 0x40);
	wr_at(a, TMICT, 100, T0);
	assert_int_equal(vlapic_poll(a, end - 1), end);
	assert_false(irr_has(a, 0x40));
	assert_int_equal(rd_at(a, TMCCT, end - 1), 1);
	assert_int_equal(r->nnotify, 0);
	assert_int_equal(vlapic_poll(a, end), UINT64_MAX);
	assert_true(irr_has(a, 0x40));
	assert_int_equal(r->nnotify, 1);
	assert_int_equal(rd_at(a, TMCCT, end), 0);
	assert_int_equal(rd(a, TMICT), 100);
	assert_int_equal(inject(a), 0x40);
	wr(a, EOI, 0);
	assert_int_equal(vlapic_poll(a, end + 100000), UINT64_MAX);
	assert_int_equal(vlapic_pending(a), -1);

	/* Rewriting the initial count restarts the count. */
	wr_at(a, TMICT, 10, end + 5);
	assert_int_equal(vlapic_poll(a, end + 5), end + 5 + 60);
}

/* A register access at or after the expiry delivers it too. */
static void test_timer_fires_on_access(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);

	sw_enable(a);
	wr(a, LVT_TIMER, 0x40);
	wr(a, DCR, 0xb);
	wr_at(a, TMICT, 100, T0);
	rd_at(a, TPR, T0 + 99);
	assert_false(irr_has(a, 0x40));
	rd_at(a, TPR, T0 + 100);
	assert_true(irr_has(a, 0x40));
}

static void test_timer_periodic_coalesce(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);
	const uint64_t p = 100000;

	sw_enable(a);
	wr(a, DCR, 0xb);				/* divide by 1 */
	wr(a, LVT_TIMER, PERIODIC | 0x40);
	wr_at(a, TMICT, (uint32_t)p, T0);
	assert_int_equal(vlapic_poll(a, T0 + p - 1), T0 + p);
	assert_int_equal(vlapic_poll(a, T0 + p), T0 + 2 * p);
	assert_int_equal(inject(a), 0x40);
	wr(a, EOI, 0);
	assert_int_equal(rd_at(a, TMCCT, T0 + p), p);	/* reloaded */
	assert_int_equal(rd_at(a, TMCCT, T0 + p + 1), p - 1);

	r->nnotify = 0;
	assert_int_equal(vlapic_poll(a, T0 + 10 * p + p / 2), T0 + 11 * p);
	assert_int_equal(r->nnotify, 1);		/* once, not nine times */
	assert_int_equal(inject(a), 0x40);
	assert_int_equal(inject(a), -1);
	wr(a, EOI, 0);
	assert_int_equal(rd_at(a, TMCCT, T0 + 10 * p + p / 2), p / 2);
	assert_int_equal(vlapic_poll(a, T0 + 11 * p), T0 + 12 * p);
	assert_int_equal(inject(a), 0x40);
}

static void test_timer_periodic_floor(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);
	uint64_t next;

	sw_enable(a);
	wr(a, DCR, 0xb);
	wr(a, LVT_TIMER, PERIODIC | 0x40);
	wr_at(a, TMICT, 1, T0);
	assert_int_equal(vlapic_poll(a, T0 + 1), T0 + 1 + VLAPIC_MIN_PERIOD_TSC);
	/* A million ticks later: a handful of interrupts, not a million. */
	r->nnotify = 0;
	next = T0 + 1;
	for (uint64_t now = T0 + 1; now < T0 + 1000000; now += 7) {
		uint64_t n = vlapic_poll(a, now);

		assert_true(n > now);
		assert_true(n >= next);
		next = n;
		if (inject(a) >= 0)
			wr_at(a, EOI, 0, now);
	}
	assert_true(r->nnotify <= 1000000 / VLAPIC_MIN_PERIOD_TSC + 1);
	assert_true(r->nnotify >= 1000000 / VLAPIC_MIN_PERIOD_TSC - 1);
}

static void test_timer_mode_switch_disarms(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);

	sw_enable(a);
	wr(a, LVT_TIMER, 0x40);
	wr_at(a, TMICT, 1000, T0);
	wr_at(a, LVT_TIMER, 0x41, T0 + 1);		/* same mode: keeps counting */
	assert_int_equal(rd_at(a, TMICT, T0 + 2), 1000);
	wr_at(a, LVT_TIMER, PERIODIC | 0x40, T0 + 2);	/* one-shot -> periodic */
	assert_int_equal(rd(a, TMICT), 0);
	assert_int_equal(rd_at(a, TMCCT, T0 + 3), 0);
	assert_int_equal(vlapic_poll(a, T0 + 5000), UINT64_MAX);
	assert_false(irr_has(a, 0x40));
}

static void test_tsc_deadline(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);
	uint64_t v;

	sw_enable(a);
	wr(a, LVT_TIMER, 0x41);
	wrmsr(a, VLAPIC_MSR_TSC_DEADLINE, T0 + 500);	/* ignored: not that mode */
	assert_int_equal(rdmsr(a, VLAPIC_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_poll(a, T0 + 600), UINT64_MAX);
	assert_false(irr_has(a, 0x41));
	wr(a, LVT_TIMER, DEADLINE | 0x41);
	wr(a, TMICT, 1000);				/* ignored in this mode */
	assert_int_equal(rd(a, TMICT), 0);
	assert_int_equal(rd(a, TMCCT), 0);
	assert_int_equal(vlapic_poll(a, T0), UINT64_MAX);

	wrmsr(a, VLAPIC_MSR_TSC_DEADLINE, T0 + 500);
	assert_int_equal(rdmsr(a, VLAPIC_MSR_TSC_DEADLINE), T0 + 500);
	assert_int_equal(vlapic_poll(a, T0 + 499), T0 + 500);
	assert_false(irr_has(a, 0x41));
	assert_int_equal(vlapic_poll(a, T0 + 500), UINT64_MAX);
	assert_true(irr_has(a, 0x41));
	assert_int_equal(vlapic_rdmsr(a, VLAPIC_MSR_TSC_DEADLINE, &v, T0 + 500), 0);
	assert_int_equal(v, 0);				/* cleared when it fired */
	inject(a);
	wr(a, EOI, 0);

	wrmsr(a, VLAPIC_MSR_TSC_DEADLINE, T0 + 800);
	wrmsr(a, VLAPIC_MSR_TSC_DEADLINE, 0);		/* disarm */
	assert_int_equal(vlapic_poll(a, T0 + 900), UINT64_MAX);
	assert_false(irr_has(a, 0x41));

	wrmsr(a, VLAPIC_MSR_TSC_DEADLINE, T0 + 800);
	wr(a, LVT_TIMER, 0x41);				/* mode switch disarms */
	assert_int_equal(rdmsr(a, VLAPIC_MSR_TSC_DEADLINE), 0);
	wr(a, LVT_TIMER, DEADLINE | 0x41);
	assert_int_equal(vlapic_poll(a, T0 + 900), UINT64_MAX);
	assert_false(irr_has(a, 0x41));

	/* A deadline already passed fires at once. */
	r->nnotify = 0;
	assert_int_equal(vlapic_wrmsr(a, VLAPIC_MSR_TSC_DEADLINE, T0 - 1, T0), 0);
	assert_true(irr_has(a, 0x41));
	assert_int_equal(r->nnotify, 1);
}

static void test_timer_masked(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	const uint64_t p = 100000;

	sw_enable(a);
	wr(a, DCR, 0xb);
	wr(a, LVT_TIMER, MASKED | 0x40);
	wr_at(a, TMICT, 100, T0);
	assert_int_equal(vlapic_poll(a, T0), UINT64_MAX);	/* nothing to wake for */
	assert_int_equal(rd_at(a, TMCCT, T0 + 50), 50);
	vlapic_poll(a, T0 + 100);
	assert_false(irr_has(a, 0x40));
	wr_at(a, LVT_TIMER, 0x40, T0 + 200);		/* the count already ended */
	assert_int_equal(rd_at(a, TMCCT, T0 + 200), 0);
	assert_int_equal(vlapic_poll(a, T0 + 300), UINT64_MAX);
	assert_false(irr_has(a, 0x40));

	/* Periodic, unmasked after a gap: no stale interrupt, next on the grid. */
	wr(a, LVT_TIMER, PERIODIC | MASKED | 0x40);
	wr_at(a, TMICT, (uint32_t)p, T0);
	wr_at(a, LVT_TIMER, PERIODIC | 0x40, T0 + 5 * p + 10);
	assert_false(irr_has(a, 0x40));
	assert_int_equal(vlapic_poll(a, T0 + 5 * p + 10), T0 + 6 * p);
}

static void test_timer_divider_change_and_overflow(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct vlapic *b;
	uint64_t tick;

	sw_enable(a);
	wr(a, LVT_TIMER, 0x40);
	wr_at(a, TMICT, 1000, T0);			/* divide by 2 */
	assert_int_equal(rd_at(a, TMCCT, T0 + 200), 900);
	wr_at(a, DCR, 0xb, T0 + 200);			/* now by 1 */
	assert_int_equal(rd_at(a, TMCCT, T0 + 200), 900);
	assert_int_equal(rd_at(a, TMCCT, T0 + 300), 800);
	assert_int_equal(vlapic_poll(a, T0 + 300), T0 + 1100);

	/* 2^32 - 1 counts of 2^32 - 1 cycles times 128 overflow 64 bits. */
	teardown(state);
	b = setup_apic(state, 0, true, 0xffffffff);
	tick = 0xffffffffull * 128;
	sw_enable(b);
	wr(b, LVT_TIMER, PERIODIC | 0x40);
	wr(b, DCR, 0xa);
	wr_at(b, TMICT, 0xffffffff, T0);
	assert_int_equal(vlapic_poll(b, T0), UINT64_MAX);
	assert_int_equal(rd_at(b, TMCCT, T0 + 2 * tick), 0xfffffffd);
	assert_int_equal(rd_at(b, TMCCT, UINT64_MAX - 1),
			 0xffffffff - (UINT64_MAX - 1 - T0) / tick);
	assert_int_equal(vlapic_poll(b, UINT64_MAX - 1), UINT64_MAX);
	assert_false(irr_has(b, 0x40));
}

/* ------------------------------------------------------------- hostile */

static void test_mmio_sizes_and_offsets(void **state)
{
	struct vlapic *a = setup_apic(state, 0x12, true, 1);
	uint64_t v;

	assert_int_equal(vlapic_mmio_read(a, ID + 3, 1, &v, T0), 0);
	assert_int_equal(v, 0x12);
	assert_int_equal(vlapic_mmio_read(a, VER + 2, 2, &v, T0), 0);
	assert_int_equal(v, 0x0006);
	assert_int_equal(vlapic_mmio_read(a, VER, 8, &v, T0), 0);
	assert_int_equal(v, 0x00060014);
	assert_int_equal(vlapic_mmio_read(a, VER + 4, 4, &v, T0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_read(a, VER + 2, 4, &v, T0), 0);
	assert_int_equal(v, 0x0006);		/* bytes 2-3, then reserved zeros */
	assert_int_equal(vlapic_mmio_read(a, 0x0ffc, 8, &v, T0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_read(a, 0xfffffffe, 8, &v, T0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_read(a, DFR, 3, &v, T0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_read(a, 0x400, 4, &v, T0), 0);
	assert_int_equal(v, 0);

	sw_enable(a);
	assert_int_equal(vlapic_mmio_write(a, TPR, 1, 0x20, T0), 0);
	assert_int_equal(vlapic_mmio_write(a, TPR, 2, 0x20, T0), 0);
	assert_int_equal(vlapic_mmio_write(a, TPR, 8, 0x20, T0), 0);
	assert_int_equal(vlapic_mmio_write(a, TPR + 4, 4, 0x20, T0), 0);
	assert_int_equal(vlapic_mmio_write(a, TPR + 1, 4, 0x20, T0), 0);
	assert_int_equal(vlapic_mmio_write(a, 0x1080, 4, 0x20, T0), 0);
	assert_int_equal(vlapic_mmio_write(a, 0xfffffff0, 4, 0x20, T0), 0);
	assert_int_equal(rd(a, TPR), 0);
	assert_int_equal(vlapic_mmio_write(a, TPR, 4, 0xffffffff00000020ull, T0), 0);
	assert_int_equal(rd(a, TPR), 0x20);
	wr(a, PPR, 0xff);				/* read-only */
	wr(a, IRR, 0xffffffff);
	wr(a, TMCCT, 5);
	wr(a, 0x3f0, 0x40);				/* SELF_IPI: x2APIC only */
	assert_int_equal(rd(a, PPR), 0x20);
	assert_int_equal(rd(a, IRR), 0);
	assert_int_equal(rd(a, IRR + 0x20), 0);
	assert_true(a->bad_accesses > 0);
}

static void test_callbacks_reenter(void **state)
{
	struct vlapic *a = setup_apic(state, 0, true, 1);
	struct rec *r = rec_of(a);

	sw_enable(a);
	r->reflect = true;
	wr(a, ICR_LO, 0x00080070);			/* all including self */
	assert_true(irr_has(a, 0x70));
	vlapic_set_irq(a, 0x80, true);
	inject(a);
	wr(a, EOI, 0);					/* eoi op re-enters */
	assert_int_equal(r->neoi, 1);
	assert_false(r->locked_call);
}

/* Random register traffic: no crash, and the invariants hold. */
static void test_fuzz(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 8, 4, 4, 0, 3, 16 };
	struct vlapic *a = setup_apic(state, (uint32_t)rng_below(300), true,
				      (uint32_t)rng_below(1000));
	uint64_t now = T0;

	vlapic_set_virtual_wire(a);
	for (unsigned n = 0; n < 20000; n++) {
		unsigned isr_before = bank_count(a->isr), irr_before = bank_count(a->irr);
		uint64_t base_before = a->apic_base, v = 0;
		unsigned what = (unsigned)rng_below(10), size = sizes[rng_below(9)];
		uint32_t off = (uint32_t)rng_below(0x42) << 4;
		uint64_t val = rng();
		int ret;

		if (rng_below(2))
			val &= 0xff | (rng_below(2) ? 0xf0000 : 0) | (rng_below(2) ? 0x700 : 0);
		now += rng_below(4) ? rng_below(1000) : rng_below(1ull << 30);
		switch (what) {
		case 0:
			v = 0xdeadbeef;
			vlapic_mmio_read(a, (uint32_t)rng_below(0x1100), size, &v, now);
			if (size < 8)
				assert_true(v < 1ull << (8 * size));
			else if (size > 8)
				assert_int_equal(v, 0);
			break;
		case 1:
			vlapic_mmio_write(a, (uint32_t)rng_below(0x1100), size, val, now);
			break;
		case 2:
		case 3:
			vlapic_mmio_write(a, off, 4, val, now);
			break;
		case 4:
			ret = vlapic_wrmsr(a, 0x800 + (uint32_t)rng_below(0x100),
					   rng_below(2) ? (uint32_t)val : val, now);
			assert_true(ret == 0 || ret == -E_INVAL);
			break;
		case 5:
			ret = vlapic_rdmsr(a, 0x800 + (uint32_t)rng_below(0x100), &v, now);
			assert_true(ret == 0 || ret == -E_INVAL);
			break;
		case 6:
			vlapic_set_irq(a, (uint8_t)rng(), rng_below(2));
			break;
		case 7:
			inject(a);
			break;
		case 8:
			assert_true(vlapic_poll(a, now) > now);
			break;
		default:
			ret = vlapic_wrmsr(a, rng_below(2) ? VLAPIC_MSR_APIC_BASE :
					   VLAPIC_MSR_TSC_DEADLINE,
					   rng_below(2) ? val : (0xfee00000ull | (val & 0xd00)),
					   now);
			assert_true(ret == 0 || ret == -E_INVAL);
			if (!rng_below(500))
				vlapic_reset(a);
			break;
		}
		/* An EOI retires at most one vector; nothing else removes any
		 * (but a hardware disable or INIT, which clear everything). */
		if (what != 9)
			assert_true(bank_count(a->isr) + 1 >= isr_before);
		assert_true(bank_count(a->isr) <= isr_before + 1);
		assert_true(bank_count(a->irr) <= irr_before + 3);
		if (a->apic_base != base_before && !(a->apic_base & VLAPIC_APIC_BASE_EN))
			assert_int_equal(bank_count(a->isr) + bank_count(a->irr), 0);
		assert_int_equal(a->irr[0] & 0xffff, 0);
		assert_int_equal(a->isr[0] & 0xffff, 0);
		ret = vlapic_pending(a);
		assert_true(ret == -1 || (ret >= 16 && ret <= 255));
		assert_int_equal(a->apic_base & ~0xd00ull, 0xfee00000ull);
		assert_true((a->apic_base & 0xc00) != 0x400);
		assert_false(lock_held(a));
		if (!vlapic_enabled(a)) {
			assert_true(vlapic_extint_enabled(a));
			assert_int_equal(vlapic_pending(a), -1);
		}
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_teardown(fn, teardown)
	const struct CMUnitTest tests[] = {
		T(test_power_up),
		T(test_ap_base_and_readonly_id),
		T(test_init_reset),
		T(test_lvt_write_masks),
		T(test_sw_disable_masks_lvts),
		T(test_priority_nested),
		T(test_ppr_subclass),
		T(test_vector_range),
		T(test_eoi_level_calls_eoi),
		T(test_illegal_vectors_and_esr),
		T(test_icr_xapic),
		T(test_icr_x2apic),
		T(test_x2apic_msr_rules),
		T(test_apic_base_transitions),
		T(test_match_physical),
		T(test_match_flat_and_cluster),
		T(test_match_x2apic_cluster),
		T(test_extint),
		T(test_timer_divisors),
		T(test_timer_oneshot_exact),
		T(test_timer_fires_on_access),
		T(test_timer_periodic_coalesce),
		T(test_timer_periodic_floor),
		T(test_timer_mode_switch_disarms),
		T(test_tsc_deadline),
		T(test_timer_masked),
		T(test_timer_divider_change_and_overflow),
		T(test_mmio_sizes_and_offsets),
		T(test_callbacks_reenter),
		T(test_fuzz),
	};
#undef T

	return cmocka_run_group_tests_name("vlapic", tests, NULL, NULL);
}
