/* Unit tests for the guest power-management hardware (vmm/vpm.c): the
 * ACPI PM block (ACPI 6.5 section 4.8.3), the 0xCF9 reset control register
 * and the i8042's reset command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vpm.h"
#include "tests/unit/test_rng.h"

#define STS		0
#define EN		2
#define CNT		4
#define TMR		8
#define S5		5u		/* the DSDT's \_S5 SLP_TYP in these tests */
#define SLP_TYP(t)	((uint64_t)(t) << 10)
#define SLP_EN		(1u << 13)
#define SCI_EN		1u
#define TMR_BIT		(1u << 0)
#define PWRBTN		(1u << 8)
#define WAK		(1u << 15)

#define KBC_OBF		0x01
#define KBC_IBF		0x02
#define KBC_SYS		0x04

struct fixture {
	struct vpm pm;
	uint64_t tsc;
	bool sci;
	unsigned sci_calls, poweroffs, resets;
	bool toggle;			/* sci() flips the source it reports */
};

static uint64_t clock_cb(void *ctx)
{
	return ((struct fixture *)ctx)->tsc;
}

static void sci_cb(void *ctx, bool level)
{
	struct fixture *f = ctx;

	assert_true(level != f->sci);		/* changes only */
	f->sci = level;
	f->sci_calls++;
	if (f->toggle && level)
		assert_int_equal(vpm_ops.write(&f->pm, STS, 2, PWRBTN), 0);
	else if (f->toggle)
		vpm_power_button(&f->pm);
}

static void power_cb(void *ctx, enum vpm_event ev)
{
	struct fixture *f = ctx;

	if (ev == VPM_POWEROFF)
		f->poweroffs++;
	else if (ev == VPM_RESET)
		f->resets++;
	else
		fail();
}

static struct fixture *make(uint64_t tsc_hz)
{
	struct fixture *f = calloc(1, sizeof(*f));

	vpm_init(&f->pm, 0, S5, tsc_hz, clock_cb, sci_cb, power_cb, f);
	return f;
}

static int setup(void **state)
{
	*state = make(2000000000ULL);
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint64_t in(const struct io_ops *ops, struct fixture *f, uint64_t off, unsigned size)
{
	uint64_t v = 0xdeadbeefdeadbeefULL;

	assert_int_equal(ops->read(&f->pm, off, size, &v), 0);
	if (size < 8)
		assert_true(v < (1ULL << (8 * size)));
	return v;
}

static void out(const struct io_ops *ops, struct fixture *f, uint64_t off, unsigned size,
		uint64_t v)
{
	assert_int_equal(ops->write(&f->pm, off, size, v), 0);
}

static uint64_t pm_in(struct fixture *f, uint64_t off, unsigned size)
{
	return in(&vpm_ops, f, off, size);
}

static void pm_out(struct fixture *f, uint64_t off, unsigned size, uint64_t v)
{
	out(&vpm_ops, f, off, size, v);
}

/* floor(tsc * 3579545 / hz) mod 2^32, the slow exact way. */
static uint32_t ref_timer(uint64_t tsc, uint64_t hz)
{
	return (uint32_t)((unsigned __int128)tsc * VPM_TIMER_HZ / hz);
}

static void test_timer_rate(void **state)
{
	static const uint64_t rates[] = {
		1000000000ULL, 2000000000ULL, 2893441117ULL, 3579545ULL, 50000000ULL,
		4999999937ULL, 1ULL << 40, 1,
	};

	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		struct fixture *f = make(rates[i]);
		uint32_t a, b;

		for (int j = 0; j < 50; j++) {
			f->tsc = rng() >> (rng_below(30) + 1);
			a = (uint32_t)pm_in(f, TMR, 4);
			assert_int_equal(a, ref_timer(f->tsc, rates[i]));
			f->tsc += 10 * rates[i];	/* ten seconds */
			b = (uint32_t)pm_in(f, TMR, 4);
			assert_int_equal(b, ref_timer(f->tsc, rates[i]));
			assert_int_equal((uint32_t)(b - a), 35795450);
		}
		free(f);
	}
}

static void test_timer_bytes_and_ro(void **state)
{
	struct fixture *f = *state;
	uint32_t t;

	f->tsc = 0x123456789abcULL;
	t = ref_timer(f->tsc, 2000000000ULL);
	assert_int_equal(pm_in(f, TMR, 4), t);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pm_in(f, TMR + i, 1), (t >> (8 * i)) & 0xff);
	assert_int_equal(pm_in(f, TMR + 2, 2), t >> 16);
	pm_out(f, TMR, 4, 0);			/* read-only */
	assert_int_equal(pm_in(f, TMR, 4), t);
	f->tsc += 2000000000ULL / VPM_TIMER_HZ + 1;	/* a bit over one count */
	assert_int_equal(pm_in(f, TMR, 4), t + 1);
	assert_int_equal(pm_in(f, 6, 2), 0);	/* the gap in the block */
}

static void test_power_button_sci(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pm_in(f, STS, 2), 0);
	vpm_power_button(&f->pm);
	assert_int_equal(pm_in(f, STS, 2), PWRBTN);
	assert_int_equal(f->sci_calls, 0);	/* not enabled */
	pm_out(f, EN, 2, 0xffff);
	/* modelled enables only; GBL_EN and RTC_EN are kept for ACPICA */
	assert_int_equal(pm_in(f, EN, 2), PWRBTN | TMR_BIT | VPM_PM1_GBL | VPM_PM1_RTC);
	assert_true(f->sci);
	pm_out(f, STS, 2, 0);			/* writing 0 clears nothing */
	pm_out(f, STS, 2, 0xfeff);
	assert_true(f->sci);
	assert_int_equal(pm_in(f, STS, 2), PWRBTN);
	pm_out(f, STS + 1, 1, 0x01);		/* byte write of bit 8: W1C */
	assert_false(f->sci);
	assert_int_equal(pm_in(f, STS, 2), 0);
	assert_int_equal(f->sci_calls, 2);
	/* Disabling the enable drops the SCI with the status still set. */
	vpm_power_button(&f->pm);
	assert_true(f->sci);
	pm_out(f, EN, 2, TMR_BIT);
	assert_false(f->sci);
	assert_int_equal(pm_in(f, STS, 4), PWRBTN | ((uint64_t)TMR_BIT << 16));
	pm_out(f, EN + 1, 1, 0x01);
	assert_true(f->sci);
	assert_int_equal(f->sci_calls, 5);
}

static void test_cnt_bits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pm_in(f, CNT, 2), SCI_EN);
	pm_out(f, CNT, 2, 0);			/* SCI_EN cannot be cleared */
	assert_int_equal(pm_in(f, CNT, 2), SCI_EN);
	pm_out(f, CNT, 2, SLP_TYP(3));
	assert_int_equal(pm_in(f, CNT, 2), SLP_TYP(3) | SCI_EN);
	pm_out(f, CNT, 2, 0xffff & ~(uint64_t)SLP_EN);
	assert_int_equal(pm_in(f, CNT, 2), SLP_TYP(7) | SCI_EN);
	assert_int_equal(f->poweroffs + f->resets, 0);
}

static void test_s5_poweroff(void **state)
{
	struct fixture *f = *state;

	pm_out(f, CNT, 2, SLP_TYP(S5));		/* type alone does nothing */
	assert_int_equal(f->poweroffs, 0);
	pm_out(f, CNT, 2, SLP_TYP(S5) | SLP_EN);
	assert_int_equal(f->poweroffs, 1);
	assert_int_equal(pm_in(f, CNT, 2), SLP_TYP(S5) | SCI_EN);	/* SLP_EN reads 0 */
	/* Byte write of the high byte, as some OSes do. */
	pm_out(f, CNT + 1, 1, (SLP_TYP(S5) | SLP_EN) >> 8);
	assert_int_equal(f->poweroffs, 2);
	/* Other sleep types: no event, WAK_STS at once. */
	for (unsigned typ = 0; typ < 8; typ++) {
		if (typ == S5)
			continue;
		pm_out(f, STS, 2, WAK);
		pm_out(f, CNT, 2, SLP_TYP(typ) | SLP_EN);
		assert_int_equal(pm_in(f, STS, 2), WAK);
	}
	assert_int_equal(f->poweroffs, 2);
	assert_int_equal(f->resets, 0);
	assert_int_equal(f->sci_calls, 0);	/* WAK_STS has no enable */
	pm_out(f, STS, 2, WAK);
	assert_int_equal(pm_in(f, STS, 2), 0);
	/* A 32-bit write over PM1_CNT and the gap still works. */
	pm_out(f, CNT, 4, SLP_TYP(S5) | SLP_EN | 0xffff0000ULL);
	assert_int_equal(f->poweroffs, 3);
}

static void test_tmr_sts(void **state)
{
	struct fixture *f = make(VPM_TIMER_HZ);	/* one TSC tick per count */
	uint64_t t;

	f->tsc = 100;
	assert_int_equal(vpm_poll(&f->pm, f->tsc), UINT64_MAX);	/* TMR_EN clear */
	pm_out(f, EN, 2, TMR_BIT);
	assert_int_equal(vpm_poll(&f->pm, 100), 1ULL << 31);
	assert_int_equal(vpm_poll(&f->pm, (1ULL << 31) - 1), 1ULL << 31);
	assert_false(f->sci);
	assert_int_equal(vpm_poll(&f->pm, 1ULL << 31), 1ULL << 32);
	assert_true(f->sci);
	f->tsc = 1ULL << 31;
	assert_int_equal(pm_in(f, STS, 2), TMR_BIT);
	pm_out(f, STS, 2, TMR_BIT);
	assert_false(f->sci);
	/* Several toggles missed: one TMR_STS. */
	assert_int_equal(vpm_poll(&f->pm, 7ULL << 31), 8ULL << 31);
	assert_int_equal(f->sci_calls, 3);
	free(f);

	f = make(2893441117ULL);
	pm_out(f, EN, 2, TMR_BIT);
	t = vpm_poll(&f->pm, 0);
	assert_int_equal(ref_timer(t, 2893441117ULL), 1u << 31);
	assert_int_equal(ref_timer(t - 1, 2893441117ULL), (1u << 31) - 1);
	assert_int_equal(vpm_poll(&f->pm, t - 1), t);
	assert_false(f->sci);
	vpm_poll(&f->pm, t);
	assert_true(f->sci);
	free(f);
}

static void test_cf9_reset(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(in(&vpm_reset_ops, f, 0, 1), 0);
	out(&vpm_reset_ops, f, 0, 1, 0x02);	/* select hard reset: nothing yet */
	assert_int_equal(f->resets, 0);
	assert_int_equal(in(&vpm_reset_ops, f, 0, 1), 0x02);
	out(&vpm_reset_ops, f, 0, 1, 0x06);
	assert_int_equal(f->resets, 1);
	out(&vpm_reset_ops, f, 0, 1, ACPIGEN_RESET_VALUE);	/* again: still a reset */
	assert_int_equal(f->resets, 2);
	out(&vpm_reset_ops, f, 0, 1, 0x0e);
	assert_int_equal(f->resets, 3);
	assert_int_equal(in(&vpm_reset_ops, f, 0, 1), 0x0e);
	out(&vpm_reset_ops, f, 0, 1, 0x00);
	out(&vpm_reset_ops, f, 0, 1, 0x04);	/* 0 -> 1 of RST_CPU */
	assert_int_equal(f->resets, 4);
	out(&vpm_reset_ops, f, 0, 1, 0x04);	/* no transition */
	assert_int_equal(f->resets, 4);
	out(&vpm_reset_ops, f, 0, 1, 0xf1);	/* reserved bits, no RST_CPU */
	assert_int_equal(in(&vpm_reset_ops, f, 0, 1), 0x00);
	assert_int_equal(f->resets, 4);
	assert_int_equal(f->poweroffs, 0);
}

static uint8_t kbc_status(struct fixture *f)
{
	return (uint8_t)in(&vpm_i8042_cmd_ops, f, 0, 1);
}

static void kbc_cmd(struct fixture *f, uint8_t c)
{
	out(&vpm_i8042_cmd_ops, f, 0, 1, c);
}

static uint8_t kbc_data(struct fixture *f)
{
	return (uint8_t)in(&vpm_i8042_data_ops, f, 0, 1);
}

static void test_i8042(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(kbc_status(f) & (KBC_OBF | KBC_IBF), 0);
	assert_true(kbc_status(f) & KBC_SYS);
	assert_int_equal(kbc_data(f), 0);	/* nothing queued */
	kbc_cmd(f, 0xaa);
	assert_int_equal(kbc_status(f) & (KBC_OBF | KBC_IBF), KBC_OBF);
	assert_int_equal(kbc_data(f), 0x55);
	assert_int_equal(kbc_status(f) & KBC_OBF, 0);
	kbc_cmd(f, 0x20);
	assert_int_equal(kbc_data(f), 0x44);
	kbc_cmd(f, 0x60);
	out(&vpm_i8042_data_ops, f, 0, 1, 0x03);	/* system flag cleared */
	assert_int_equal(kbc_status(f) & (KBC_SYS | KBC_IBF), 0);
	kbc_cmd(f, 0xad);
	kbc_cmd(f, 0xa7);
	kbc_cmd(f, 0x20);
	assert_int_equal(kbc_data(f), 0x33);
	kbc_cmd(f, 0xae);
	kbc_cmd(f, 0xa8);
	kbc_cmd(f, 0x20);
	assert_int_equal(kbc_data(f), 0x03);
	/* A data byte not preceded by 0x60 goes nowhere. */
	out(&vpm_i8042_data_ops, f, 0, 1, 0xff);
	kbc_cmd(f, 0x20);
	assert_int_equal(kbc_data(f), 0x03);
	/* A command between 0x60 and the data byte cancels the write. */
	kbc_cmd(f, 0x60);
	kbc_cmd(f, 0xae);
	out(&vpm_i8042_data_ops, f, 0, 1, 0xee);
	kbc_cmd(f, 0x20);
	assert_int_equal(kbc_data(f), 0x03);
	assert_int_equal(f->resets, 0);
	kbc_cmd(f, 0xff);			/* pulses nothing */
	kbc_cmd(f, 0x12);			/* unknown: ignored */
	assert_int_equal(f->resets, 0);
	kbc_cmd(f, 0xfe);			/* Linux's reboot */
	assert_int_equal(f->resets, 1);
	kbc_cmd(f, 0xf0);			/* pulses bit 0 too */
	assert_int_equal(f->resets, 2);
	assert_int_equal(f->poweroffs, 0);
}

/* A callback that changes the SCI source every time it is told: the
 * notifier gives up after a bounded number of calls, and the next entry
 * point brings the line up to date. */
static void test_sci_storm_bounded(void **state)
{
	struct fixture *f = *state;

	pm_out(f, EN, 2, PWRBTN);
	f->toggle = true;
	vpm_power_button(&f->pm);
	assert_int_equal(f->sci_calls, 8);
	assert_false(f->pm.telling);
	f->toggle = false;
	vpm_poll(&f->pm, 0);
	assert_int_equal(f->sci, !!(f->pm.sts & f->pm.en));
	assert_true(f->sci);
	assert_int_equal(f->sci_calls, 9);
}

/* Random accesses to every port: no crash, no unmodelled bits, the SCI
 * told always matches STS & EN, and POWEROFF comes exactly from writes of
 * SLP_EN with the S5 type. */
static void test_fuzz(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 200000; i++) {
		unsigned size = 1u << rng_below(3);
		uint64_t off = rng_below(ACPIGEN_PM_BLOCK_LEN - size + 1), v = rng();
		unsigned before = f->poweroffs;
		bool expect = false;

		f->tsc += rng_below(1ULL << 33);
		switch (rng_below(6)) {
		case 0:
			pm_in(f, off, size);
			break;
		case 1:
			for (unsigned b = 0; b < size; b++) {
				uint8_t byte = (uint8_t)(v >> (8 * b));

				if (off + b == CNT + 1 && (byte & (SLP_EN >> 8)) &&
				    ((byte >> 2) & 7) == S5)
					expect = true;
			}
			pm_out(f, off, size, v);
			break;
		case 2:
			vpm_poll(&f->pm, f->tsc + rng_below(1000));
			break;
		case 3:
			vpm_power_button(&f->pm);
			break;
		case 4:
			out(&vpm_i8042_cmd_ops, f, 0, 1, v & 0xff);
			in(&vpm_i8042_data_ops, f, 0, 1);
			break;
		default:
			out(&vpm_i8042_data_ops, f, 0, 1, v & 0xff);
			in(&vpm_i8042_cmd_ops, f, 0, 1);
			break;
		}
		assert_int_equal(f->poweroffs - before, expect);
		assert_int_equal(f->pm.sts & ~(TMR_BIT | PWRBTN | WAK), 0);
		assert_int_equal(f->pm.en & ~(TMR_BIT | PWRBTN | VPM_PM1_GBL | VPM_PM1_RTC), 0);
		assert_int_equal(f->sci, !!(f->pm.sts & f->pm.en));
		assert_false(f->pm.telling);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_timer_rate),
		T(test_timer_bytes_and_ro),
		T(test_power_button_sci),
		T(test_cnt_bits),
		T(test_s5_poweroff),
		T(test_tmr_sts),
		T(test_cf9_reset),
		T(test_i8042),
		T(test_sci_storm_bounded),
		T(test_fuzz),
	};

	return cmocka_run_group_tests_name("vpm", tests, NULL, NULL);
}
