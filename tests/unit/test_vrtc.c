/* Unit tests for the guest MC146818A RTC/CMOS model (vmm/vrtc.c). Dates
 * were checked with Python's datetime; register formats are the
 * MC146818A data sheet's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/date.h"
#include "kernel/errno.h"
#include "vmm/vrtc.h"
#include "tests/unit/test_rng.h"

enum { SEC = 0, ASEC = 1, MIN = 2, AMIN = 3, HOUR = 4, AHOUR = 5, WDAY = 6, DAY = 7,
       MONTH = 8, YEAR = 9, RA = 0x0a, RB = 0x0b, RC = 0x0c, RD = 0x0d, CENTURY = 0x32 };

#define A_UIP		0x80
#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_BIN		0x04
#define B_24H		0x02
#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10

#define HZ		2000000000ULL	/* 2 GHz */
#define T0		12345ULL	/* TSC at vrtc_init() */
#define DEC2026		1796130000ULL	/* 2026-12-01 13:00:00 UTC, a Tuesday */

struct fixture {
	struct vrtc r;
	uint64_t tsc;
	bool level;
	unsigned raises, lowers, calls;
	bool read_c_in_irq;		/* re-enter the model from irq8() */
};

static uint64_t clock_cb(void *ctx)
{
	return ((struct fixture *)ctx)->tsc;
}

static void irq8_cb(void *ctx, bool level)
{
	struct fixture *f = ctx;
	uint64_t v;

	f->calls++;
	assert_true(level != f->level);		/* only changes are reported */
	f->level = level;
	if (level)
		f->raises++;
	else
		f->lowers++;
	if (level && f->read_c_in_irq) {
		assert_int_equal(vrtc_ops.write(&f->r, 0, 1, RC), 0);
		assert_int_equal(vrtc_ops.read(&f->r, 1, 1, &v), 0);
	}
}

static struct fixture *make(uint64_t secs, uint64_t hz)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->tsc = T0;
	vrtc_init(&f->r, secs, T0, hz, clock_cb, irq8_cb, f);
	return f;
}

static int setup(void **state)
{
	*state = make(DEC2026, HZ);
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint8_t rd(struct fixture *f, uint8_t idx)
{
	uint64_t v = 0xdead;

	assert_int_equal(vrtc_ops.write(&f->r, 0, 1, idx), 0);
	assert_int_equal(vrtc_ops.read(&f->r, 1, 1, &v), 0);
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static void wr(struct fixture *f, uint8_t idx, uint8_t v)
{
	assert_int_equal(vrtc_ops.write(&f->r, 0, 1, idx), 0);
	assert_int_equal(vrtc_ops.write(&f->r, 1, 1, v), 0);
}

/* Advance the fake TSC by a fraction of a second: num/den s. */
static void advance(struct fixture *f, uint64_t num, uint64_t den)
{
	f->tsc += f->r.tsc_hz * num / den;
}

static void assert_time(struct fixture *f, uint8_t cent, uint8_t year, uint8_t month,
			uint8_t day, uint8_t hour, uint8_t min, uint8_t sec, uint8_t wday)
{
	assert_int_equal(rd(f, CENTURY), cent);
	assert_int_equal(rd(f, YEAR), year);
	assert_int_equal(rd(f, MONTH), month);
	assert_int_equal(rd(f, DAY), day);
	assert_int_equal(rd(f, HOUR), hour);
	assert_int_equal(rd(f, MIN), min);
	assert_int_equal(rd(f, SEC), sec);
	assert_int_equal(rd(f, WDAY), wday);
}

/* Write a BCD 24-hour time under SET, as Linux's mc146818_set_time does. */
static void set_time(struct fixture *f, uint8_t cent, uint8_t year, uint8_t month,
		     uint8_t day, uint8_t hour, uint8_t min, uint8_t sec)
{
	uint8_t b = rd(f, RB);

	wr(f, RB, b | B_SET);
	wr(f, SEC, sec);
	wr(f, MIN, min);
	wr(f, HOUR, hour);
	wr(f, DAY, day);
	wr(f, MONTH, month);
	wr(f, YEAR, year);
	wr(f, CENTURY, cent);
	wr(f, RB, b & ~B_SET);
}

static void test_defaults_bcd_24h(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, RA), 0x26);
	assert_int_equal(rd(f, RB), B_24H);
	assert_int_equal(rd(f, RC), 0);
	assert_int_equal(rd(f, RD), 0x80);
	assert_time(f, 0x20, 0x26, 0x12, 0x01, 0x13, 0x00, 0x00, 3);
	assert_int_equal(f->calls, 0);
}

static void test_binary_and_12h(void **state)
{
	struct fixture *f = *state;

	wr(f, RB, B_BIN | B_24H);
	assert_time(f, 20, 26, 12, 1, 13, 0, 0, 3);
	wr(f, RB, B_BIN);			/* 12-hour: 1 PM */
	assert_int_equal(rd(f, HOUR), 0x81);
	wr(f, RB, 0);				/* BCD 12-hour */
	assert_int_equal(rd(f, HOUR), 0x81);
	advance(f, 11 * 3600, 1);		/* 00:00 next day: 12 AM */
	assert_int_equal(rd(f, HOUR), 0x12);
	assert_int_equal(rd(f, DAY), 0x02);
	assert_int_equal(rd(f, WDAY), 4);
	wr(f, RB, B_BIN);
	assert_int_equal(rd(f, HOUR), 12);
	advance(f, 12 * 3600, 1);		/* 12 PM */
	assert_int_equal(rd(f, HOUR), 0x80 | 12);
	wr(f, RB, 0);
	assert_int_equal(rd(f, HOUR), 0x92);
	advance(f, 11 * 3600 + 59 * 60, 1);	/* 11:59 PM */
	assert_int_equal(rd(f, HOUR), 0x91);
	assert_int_equal(rd(f, MIN), 0x59);
}

static void test_time_advances(void **state)
{
	struct fixture *f = *state;

	advance(f, 119, 2);			/* 59.5 s */
	assert_int_equal(rd(f, SEC), 0x59);
	assert_int_equal(rd(f, MIN), 0x00);
	advance(f, 1, 2);
	assert_int_equal(rd(f, SEC), 0x00);
	assert_int_equal(rd(f, MIN), 0x01);
	advance(f, 31 * 86400, 1);		/* 2027-01-01 13:01:00, a Friday */
	assert_time(f, 0x20, 0x27, 0x01, 0x01, 0x13, 0x01, 0x00, 6);
}

static void test_century_rollover(void **state)
{
	struct fixture *f = make(4102444799ULL, 3000000007ULL);	/* 2099-12-31 23:59:59 */

	assert_time(f, 0x20, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59, 5);
	advance(f, 1, 1);
	assert_time(f, 0x21, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 6);
	advance(f, 58 * 86400, 1);		/* 2100 is not a leap year */
	assert_int_equal(rd(f, MONTH), 0x02);
	assert_int_equal(rd(f, DAY), 0x28);
	advance(f, 86400, 1);
	assert_int_equal(rd(f, MONTH), 0x03);
	assert_int_equal(rd(f, DAY), 0x01);
	free(f);
}

static void test_leap_day_2000(void **state)
{
	struct fixture *f = make(951782399ULL, HZ);	/* 2000-02-28 23:59:59 */

	advance(f, 1, 1);
	assert_time(f, 0x20, 0x00, 0x02, 0x29, 0x00, 0x00, 0x00, 3);
	advance(f, 86400, 1);
	assert_time(f, 0x20, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 4);
	free(f);
}

static void test_uip_window(void **state)
{
	struct fixture *f = make(DEC2026, 1000000000ULL);	/* 1 GHz: 1 ns ticks */

	assert_false(rd(f, RA) & A_UIP);
	f->tsc = T0 + 1000000000ULL - 244001;
	assert_false(rd(f, RA) & A_UIP);
	f->tsc++;
	assert_true(rd(f, RA) & A_UIP);
	assert_int_equal(rd(f, RA) & 0x7f, 0x26);
	assert_int_equal(rd(f, SEC), 0x00);	/* not updated yet */
	f->tsc = T0 + 1000000000ULL - 1;
	assert_true(rd(f, RA) & A_UIP);
	f->tsc++;
	assert_false(rd(f, RA) & A_UIP);
	assert_int_equal(rd(f, SEC), 0x01);

	/* Linux waits for UIP to fall: with time moving the loop ends. */
	f->tsc = T0 + 5 * 1000000000ULL - 100000;
	unsigned spins = 0;

	while (rd(f, RA) & A_UIP) {
		f->tsc += 1000;			/* 1 us per read */
		assert_true(++spins < 1000);
	}
	assert_int_equal(spins, 100);
	assert_int_equal(rd(f, SEC), 0x05);
	free(f);
}

static void test_set_freezes_and_sets(void **state)
{
	struct fixture *f = *state;

	wr(f, RB, B_24H | B_UIE);
	wr(f, RB, B_24H | B_UIE | B_SET);
	assert_int_equal(rd(f, RB), B_24H | B_SET);	/* SET clears UIE */
	advance(f, 5, 1);
	assert_int_equal(rd(f, SEC), 0x00);		/* frozen */
	f->tsc = T0 + HZ - 1;
	assert_false(rd(f, RA) & A_UIP);		/* no update, no UIP */
	wr(f, SEC, 0x05);
	wr(f, MIN, 0x04);
	wr(f, HOUR, 0x03);
	wr(f, DAY, 0x02);
	wr(f, MONTH, 0x01);
	wr(f, YEAR, 0x27);
	advance(f, 3, 1);
	assert_int_equal(rd(f, SEC), 0x05);		/* still frozen, as written */
	assert_int_equal(rd(f, WDAY), 3);		/* stale until SET is cleared */
	wr(f, RB, B_24H);
	assert_time(f, 0x20, 0x27, 0x01, 0x02, 0x03, 0x04, 0x05, 7);	/* a Saturday */
	advance(f, 1, 1);
	assert_int_equal(rd(f, SEC), 0x06);
	/* The whole Linux sequence, in binary 12-hour mode: 2030-06-15 9 PM. */
	wr(f, RB, B_BIN);
	set_time(f, 20, 30, 6, 15, 0x80 | 9, 30, 0);
	assert_time(f, 20, 30, 6, 15, 0x80 | 9, 30, 0, 7);
}

static void test_set_garbage_ignored(void **state)
{
	static const uint8_t bad[][7] = {	/* cent year month day hour min sec */
		{ 0x20, 0x26, 0x02, 0x30, 0x00, 0x00, 0x00 },	/* February 30 */
		{ 0x20, 0x26, 0x13, 0x01, 0x00, 0x00, 0x00 },	/* month 13 */
		{ 0x20, 0x26, 0x00, 0x01, 0x00, 0x00, 0x00 },	/* month 0 */
		{ 0x20, 0x26, 0x01, 0x00, 0x00, 0x00, 0x00 },	/* day 0 */
		{ 0x20, 0x26, 0x01, 0x01, 0x24, 0x00, 0x00 },	/* hour 24 */
		{ 0x20, 0x26, 0x01, 0x01, 0x00, 0x60, 0x00 },	/* minute 60 */
		{ 0x20, 0x26, 0x01, 0x01, 0x00, 0x00, 0x7a },	/* bad BCD */
		{ 0x20, 0xff, 0x01, 0x01, 0x00, 0x00, 0x00 },
		{ 0x19, 0x69, 0x12, 0x31, 0x23, 0x59, 0x59 },	/* 1969 */
		{ 0xa0, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00 },	/* century 0xa0 */
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		set_time(f, bad[i][0], bad[i][1], bad[i][2], bad[i][3], bad[i][4], bad[i][5],
			 bad[i][6]);
		advance(f, 1, 1);
	}
	/* The clock ran on as if never stopped: 10 s later. */
	assert_time(f, 0x20, 0x26, 0x12, 0x01, 0x13, 0x00, 0x10, 3);
	/* 12-hour mode: hour 0 and 13 do not exist. */
	wr(f, RB, 0);
	set_time(f, 0x20, 0x26, 0x12, 0x01, 0x00, 0x00, 0x00);
	set_time(f, 0x20, 0x26, 0x12, 0x01, 0x93, 0x00, 0x00);
	wr(f, RB, B_24H);
	assert_int_equal(rd(f, SEC), 0x10);
	assert_int_equal(rd(f, HOUR), 0x13);
}

static void test_write_while_running(void **state)
{
	struct fixture *f = *state;

	advance(f, 15, 2);			/* 13:00:07.5 */
	wr(f, MIN, 0x30);
	assert_time(f, 0x20, 0x26, 0x12, 0x01, 0x13, 0x30, 0x07, 3);
	advance(f, 1, 2);			/* the fraction was kept */
	assert_int_equal(rd(f, SEC), 0x08);
	wr(f, MIN, 0x99);			/* garbage: ignored */
	assert_int_equal(rd(f, MIN), 0x30);
	wr(f, WDAY, 0x01);			/* the weekday follows the date */
	assert_int_equal(rd(f, WDAY), 3);
	assert_int_equal(rd(f, SEC), 0x08);
}

static void test_uie_irq_and_reg_c(void **state)
{
	struct fixture *f = *state;

	f->tsc = T0 + HZ / 4;
	assert_int_equal(vrtc_poll(&f->r, f->tsc), UINT64_MAX);	/* nothing enabled */
	wr(f, RB, B_24H | B_UIE);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + HZ);
	assert_int_equal(vrtc_poll(&f->r, T0 + HZ - 1), T0 + HZ);
	assert_int_equal(f->raises, 0);
	assert_int_equal(vrtc_poll(&f->r, T0 + HZ), T0 + 2 * HZ);
	assert_int_equal(f->raises, 1);
	assert_true(f->level);
	vrtc_poll(&f->r, T0 + 3 * HZ);		/* line already high */
	assert_int_equal(f->calls, 1);
	f->tsc = T0 + 3 * HZ;
	assert_int_equal(rd(f, RC), C_IRQF | C_UF | C_PF);	/* PF: 1024 Hz, not enabled */
	assert_false(f->level);
	assert_int_equal(f->lowers, 1);
	assert_int_equal(rd(f, RC), 0);		/* read cleared it */
	assert_int_equal(f->calls, 2);
	wr(f, RC, 0xff);			/* read-only */
	wr(f, RD, 0x00);
	assert_int_equal(rd(f, RC), 0);
	assert_int_equal(rd(f, RD), 0x80);
}

static void test_flags_without_enables(void **state)
{
	struct fixture *f = *state;

	advance(f, 3, 2);
	assert_int_equal(rd(f, RC), C_UF | C_PF);	/* 1024 Hz runs by default */
	assert_int_equal(f->calls, 0);
	advance(f, 1, 1);
	vrtc_poll(&f->r, f->tsc);
	assert_int_equal(f->calls, 0);
	wr(f, RB, B_24H | B_UIE);		/* UF pending: IRQ8 at once */
	assert_true(f->level);
	wr(f, RB, B_24H);			/* IRQF follows the enables */
	assert_false(f->level);
	assert_int_equal(rd(f, RC), C_UF | C_PF);
}

static void test_alarm(void **state)
{
	struct fixture *f = *state;

	wr(f, ASEC, 0x05);
	wr(f, AMIN, 0x00);
	wr(f, AHOUR, 0x13);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), UINT64_MAX);
	wr(f, RB, B_24H | B_AIE);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + 5 * HZ);
	vrtc_poll(&f->r, T0 + 5 * HZ - 1);
	assert_false(f->level);
	/* Next match is a day later. */
	assert_int_equal(vrtc_poll(&f->r, T0 + 5 * HZ), T0 + (86400 + 5) * HZ);
	assert_true(f->level);
	f->tsc = T0 + 5 * HZ;
	assert_int_equal(rd(f, RC), C_IRQF | C_AF | C_UF | C_PF);

	/* Don't-care bytes: every minute at :30, every second. */
	wr(f, ASEC, 0x30);
	wr(f, AMIN, 0xc0);
	wr(f, AHOUR, 0xff);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + 30 * HZ);
	assert_int_equal(vrtc_poll(&f->r, T0 + 31 * HZ), T0 + 90 * HZ);
	wr(f, ASEC, 0xc0);
	f->tsc = T0 + 31 * HZ;
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + 32 * HZ);

	/* Earlier today: tomorrow. 12:59:59 is 86399 s after 13:00:00. */
	wr(f, ASEC, 0x59);
	wr(f, AMIN, 0x59);
	wr(f, AHOUR, 0x12);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + 86399 * HZ);
	/* Next hour, and 12-hour alarm bytes: 2 PM is 0x82. */
	wr(f, ASEC, 0x00);
	wr(f, AMIN, 0x00);
	wr(f, AHOUR, 0xc0);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + 3600 * HZ);
	wr(f, RB, B_AIE);
	wr(f, AHOUR, 0x82);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), T0 + 3600 * HZ);
	wr(f, AHOUR, 0x14);			/* 14 is not a 12-hour hour */
	assert_int_equal(vrtc_poll(&f->r, f->tsc), UINT64_MAX);
	wr(f, RB, B_24H | B_AIE);
	wr(f, AHOUR, 0x14);
	wr(f, AMIN, 0x61);			/* never matches */
	assert_int_equal(vrtc_poll(&f->r, f->tsc), UINT64_MAX);

	/* An alarm passed long ago, unpolled, still sets AF once. */
	wr(f, AMIN, 0x00);
	rd(f, RC);
	f->tsc = T0 + 2 * 86400 * HZ;
	assert_int_equal(rd(f, RC), C_IRQF | C_AF | C_UF | C_PF);
}

static void test_periodic(void **state)
{
	struct fixture *f = *state;
	uint64_t hz = 2999999929ULL, t, n = 0;	/* a prime: no exact periods */

	free(f);
	*state = f = make(DEC2026, hz);
	wr(f, RB, B_24H | B_PIE);
	/* 1024 Hz: a full second of deadlines, each exactly once. */
	t = vrtc_poll(&f->r, T0);
	assert_int_equal(t, T0 + (hz + 1023) / 1024);
	while (t < T0 + hz) {
		uint64_t next = vrtc_poll(&f->r, t);

		assert_true(next > t);
		assert_true(f->level);
		f->tsc = t;
		rd(f, RC);
		t = next;
		n++;
	}
	assert_int_equal(n, 1023);
	assert_int_equal(t, T0 + hz);		/* period 1024 is the second */
	assert_int_equal(f->raises, 1023);

	/* Missed periods coalesce: one flag, one edge, next deadline ahead. */
	f->tsc = T0 + 5 * hz + 12345;
	t = vrtc_poll(&f->r, f->tsc);
	assert_true(t > f->tsc && t - f->tsc <= hz / 1024 + 1);
	assert_int_equal(f->raises, 1024);
	assert_int_equal(rd(f, RC), C_IRQF | C_PF | C_UF);

	/* Rates: 3 = 8192 Hz, 15 = 2 Hz, 1 = 256 Hz, 2 = 128 Hz, 0 = off. */
	static const struct { uint8_t rate; uint64_t hz; } rates[] = {
		{ 3, 8192 }, { 15, 2 }, { 1, 256 }, { 2, 128 }, { 6, 1024 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		uint64_t base = T0 + 10 * hz, ticks;

		f->tsc = base;
		wr(f, RA, (uint8_t)(0x20 | rates[i].rate));
		/* Phase follows the seconds: the next tick is a multiple. */
		t = vrtc_poll(&f->r, base);
		ticks = (uint64_t)((t - T0) * (unsigned __int128)rates[i].hz / hz);
		assert_int_equal(t - T0, (ticks * (unsigned __int128)hz + rates[i].hz - 1) /
				 rates[i].hz);
		assert_true(t > base && t - base <= hz / rates[i].hz + 1);
	}
	wr(f, RA, 0x20);
	assert_int_equal(vrtc_poll(&f->r, f->tsc), UINT64_MAX);
	assert_int_equal(rd(f, RA), 0x20);
}

static void test_nvram_and_ports(void **state)
{
	struct fixture *f = *state;
	uint64_t v;

	vrtc_set_nvram(&f->r, 0x34, 0x12);
	vrtc_set_nvram(&f->r, 0x5d, 0x01);
	vrtc_set_nvram(&f->r, 0x00, 0x42);	/* clock bytes: ignored */
	vrtc_set_nvram(&f->r, 0x0b, 0xff);
	vrtc_set_nvram(&f->r, 0x32, 0x99);
	vrtc_set_nvram(&f->r, 0x80, 0x99);
	vrtc_set_nvram(&f->r, 0xff, 0x99);
	assert_int_equal(rd(f, 0x34), 0x12);
	assert_int_equal(rd(f, 0x5d), 0x01);
	assert_int_equal(rd(f, SEC), 0x00);
	assert_int_equal(rd(f, RB), B_24H);
	assert_int_equal(rd(f, CENTURY), 0x20);
	wr(f, 0x0f, 0x0a);			/* shutdown status: plain RAM */
	assert_int_equal(rd(f, 0x0f), 0x0a);
	wr(f, 0x7f, 0x55);
	assert_int_equal(rd(f, 0x7f), 0x55);
	/* Index bit 7 is NMI disable: index 0x8f selects 0x0f. */
	wr(f, 0x8f, 0x0b);
	assert_true(f->r.nmi_disabled);
	assert_int_equal(rd(f, 0x0f), 0x0b);
	assert_false(f->r.nmi_disabled);
	assert_int_equal(vrtc_ops.read(&f->r, 0, 1, &v), 0);
	assert_int_equal(v, 0xff);		/* port 0x70 is write-only */
	/* A 16-bit OUT writes the index then the data. */
	assert_int_equal(vrtc_ops.write(&f->r, 0, 2, 0x6640), 0);
	assert_int_equal(rd(f, 0x40), 0x66);
	assert_int_equal(vrtc_ops.read(&f->r, 0, 2, &v), 0);
	assert_int_equal(v, 0x66ff);
}

static void test_reentrant_irq8(void **state)
{
	struct fixture *f = *state;

	f->read_c_in_irq = true;		/* the handler reads C at once */
	wr(f, RB, B_24H | B_UIE);
	for (int s = 1; s <= 3; s++)
		vrtc_poll(&f->r, T0 + s * HZ);
	assert_int_equal(f->raises, 3);
	assert_int_equal(f->lowers, 3);
	assert_false(f->level);
	assert_false(f->r.irq);
	assert_false(f->r.telling);
}

static void test_tsc_extremes(void **state)
{
	struct fixture *f = make(UINT64_MAX, 0);	/* clamped: no division by 0 */

	assert_int_equal(rd(f, CENTURY), 0x99);
	assert_int_equal(rd(f, YEAR), 0x99);
	f->tsc = UINT64_MAX;
	assert_int_equal(rd(f, SEC), 0x59);
	wr(f, RB, B_24H | B_UIE | B_AIE | B_PIE);
	vrtc_poll(&f->r, UINT64_MAX);
	vrtc_poll(&f->r, 0);			/* time going backwards */
	f->tsc = 0;
	rd(f, RC);
	rd(f, SEC);
	free(f);

	f = make(DEC2026, UINT64_MAX);
	f->tsc = T0 + (1ULL << 40);
	assert_int_equal(rd(f, SEC), 0x01);
	free(f);
}

/* Random port traffic and TSC movement: time bytes stay valid, register D
 * stays 0x80, and irq8() always ends up matching IRQF. */
static void test_fuzz(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 200000; i++) {
		uint64_t v;

		switch (rng_below(8)) {
		case 0:
		case 1:
			assert_int_equal(vrtc_ops.write(&f->r, rng_below(2), 1, rng()), 0);
			break;
		case 2:
			assert_int_equal(vrtc_ops.read(&f->r, rng_below(2), 1, &v), 0);
			assert_true(v <= 0xff);
			break;
		case 3:
			wr(f, (uint8_t)rng_below(16), (uint8_t)rng());
			break;
		case 4:
			f->tsc += rng_below(HZ / 100);
			break;
		case 5:
			f->tsc += rng_below(100 * HZ);
			break;
		case 6:
			vrtc_poll(&f->r, f->tsc + rng_below(HZ) - HZ / 2);
			break;
		default:
			vrtc_set_nvram(&f->r, (uint8_t)rng(), (uint8_t)rng());
			break;
		}
		assert_int_equal(f->level, f->r.irq);
		assert_false(f->r.telling);
	}
	wr(f, RB, B_24H);
	assert_int_equal(rd(f, RD), 0x80);
	assert_true(rd(f, SEC) <= 0x59 && (rd(f, SEC) & 0xf) <= 9);
	assert_true(rd(f, MONTH) >= 1 && rd(f, MONTH) <= 0x12);
	rd(f, RC);
	assert_false(f->level);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_bcd_24h),
		T(test_binary_and_12h),
		T(test_time_advances),
		T(test_century_rollover),
		T(test_leap_day_2000),
		T(test_uip_window),
		T(test_set_freezes_and_sets),
		T(test_set_garbage_ignored),
		T(test_write_while_running),
		T(test_uie_irq_and_reg_c),
		T(test_flags_without_enables),
		T(test_alarm),
		T(test_periodic),
		T(test_nvram_and_ports),
		T(test_reentrant_irq8),
		T(test_tsc_extremes),
		T(test_fuzz),
	};

	return cmocka_run_group_tests_name("vrtc", tests, NULL, NULL);
}
