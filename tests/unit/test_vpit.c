/* Unit tests for the guest 8254 PIT and port 0x61 (vmm/vpit.c). Control
 * words are the 82C54 data sheet's; the calibration loops follow Linux's
 * arch/x86/kernel/tsc.c (pit_calibrate_tsc, quick_pit_calibrate). The
 * reference tick math here uses 128-bit division, which the model may not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vpit.h"
#include "tests/unit/test_rng.h"

#define CH0	0x40
#define CH1	0x41
#define CH2	0x42
#define CTRL	0x43
#define P61	0x61

#define P61_GATE	0x01
#define P61_SPEAKER	0x02
#define P61_REFRESH	0x10
#define P61_OUT2	0x20

#define GHZ24	2400000000ULL
#define MHZ50	50000000ULL
#define INTEGRAL (VPIT_HZ * 2000)	/* a PIT clock is exactly 2000 TSC cycles */
#define T0	1000000ULL	/* TSC when a test starts */

struct fix {
	struct vpit t;
	uint64_t hz, now;
	uint64_t base;		/* tick 0 of the current step (see restart()) */
	unsigned calls, rises;
	bool level;
	bool log[256];
	bool poll_in_callback;
	bool reprogram_in_callback;
	unsigned depth, max_depth;	/* calls in progress: never nested */
};

static uint64_t clock_fn(void *ctx)
{
	return ((struct fix *)ctx)->now;
}

static void irq0(void *ctx, bool level)
{
	struct fix *f = ctx;

	if (f->calls < ARRAY_SIZE(f->log))
		f->log[f->calls] = level;
	f->calls++;
	if (level && !f->level)
		f->rises++;
	f->level = level;
	f->depth++;
	f->max_depth = MAX(f->max_depth, f->depth);
	if (f->poll_in_callback)
		vpit_poll(&f->t, f->now);
	if (f->reprogram_in_callback && level) {
		uint64_t cw = 0x30;

		vpit_ops.write(&f->t, 3, 1, cw);	/* OUT falls */
	}
	f->depth--;
}

static struct fix *make(uint64_t hz)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->hz = hz;
	f->now = f->base = T0;
	vpit_init(&f->t, hz, irq0, clock_fn, f, T0);
	return f;
}

static int setup(void **state)
{
	*state = make(GHZ24);
	return 0;
}

static int setup50(void **state)
{
	*state = make(MHZ50);
	return 0;
}

/* For tests that toggle the gate at one tick and count from there: with
 * other rates, a tick boundary falls between two TSC values and "ticks
 * since the gate rose" is one less at the next boundary. */
static int setup_int(void **state)
{
	*state = make(INTEGRAL);
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Reference: ticks after d TSC cycles, and the TSC of tick n. */
static uint64_t ref_ticks(uint64_t hz, uint64_t d)
{
	return (uint64_t)((unsigned __int128)d * VPIT_HZ / hz);
}

static uint64_t ref_tsc(uint64_t hz, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)n * hz + VPIT_HZ - 1) / VPIT_HZ);
}

static const struct io_ops *range_of(unsigned port, uint64_t *off)
{
	if (port == P61) {
		*off = 0;
		return &vpit_port61_ops;
	}
	*off = port - CH0;
	return &vpit_ops;
}

static void out(struct fix *f, unsigned port, unsigned size, uint64_t v)
{
	uint64_t off;
	const struct io_ops *ops = range_of(port, &off);

	assert_int_equal(ops->write(&f->t, off, size, v), 0);
}

static uint64_t in(struct fix *f, unsigned port, unsigned size)
{
	uint64_t off, v = 0xdeadbeef;
	const struct io_ops *ops = range_of(port, &off);

	assert_int_equal(ops->read(&f->t, off, size, &v), 0);
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

/* Control word then a 16-bit count, LSB first. */
static void program(struct fix *f, unsigned ch, uint8_t cw, uint16_t count)
{
	outb(f, CTRL, cw);
	outb(f, CH0 + ch, (uint8_t)count);
	outb(f, CH0 + ch, (uint8_t)(count >> 8));
}

/* Counter latch command, then LSB and MSB (access mode 3). */
static uint16_t latched(struct fix *f, unsigned ch)
{
	uint16_t v;

	outb(f, CTRL, (uint8_t)(ch << 6));
	v = inb(f, CH0 + ch);
	return (uint16_t)(v | inb(f, CH0 + ch) << 8);
}

/* The TSC 'n' ticks after the step's base. */
#define AT(n) (f->base + ref_tsc(f->hz, (n)))

/* Time never runs backwards in the model: a new step starts later. */
static void restart(struct fix *f)
{
	f->now = f->base = MAX(f->now, f->t.last_now) + 12345;
}

static uint16_t count_at(struct fix *f, unsigned ch, uint64_t n)
{
	f->now = AT(n);
	return latched(f, ch);
}

static bool out2_at(struct fix *f, uint64_t n)
{
	f->now = AT(n);
	return inb(f, P61) & P61_OUT2;
}

static uint8_t status(struct fix *f, unsigned ch)
{
	outb(f, CTRL, (uint8_t)(0xe0 | 2u << ch));	/* read-back, status only */
	return inb(f, CH0 + ch);
}

static void gate2(struct fix *f, bool on)
{
	outb(f, P61, (uint8_t)((inb(f, P61) & 0x0f & ~(P61_SPEAKER | P61_GATE)) | on));
}

/* ---------------------------------------------------------------- counting */

/* pit_calibrate_tsc(): gate on, channel 2 mode 0 with 50 ms, spin on
 * OUT2 while reading the TSC. */
static void test_linux_pit_calibration(void **state)
{
	struct fix *f = *state;
	uint64_t start, hz;

	outb(f, P61, (uint8_t)((inb(f, P61) & ~P61_SPEAKER) | P61_GATE));
	program(f, 2, 0xb0, 59659);
	assert_false(inb(f, P61) & P61_OUT2);
	f->now = T0 + 2400000;				/* 1 ms: 1193 ticks */
	assert_int_equal(latched(f, 2), 59659 - 1193);
	f->now = T0 + 119999798;			/* one cycle before TC */
	assert_false(inb(f, P61) & P61_OUT2);
	assert_int_equal(latched(f, 2), 1);
	f->now = T0 + 119999799;
	assert_true(inb(f, P61) & P61_OUT2);
	assert_int_equal(latched(f, 2), 0);
	f->now = T0 + 119999799 + ref_tsc(f->hz, 5);	/* wraps on, OUT stays */
	assert_int_equal(latched(f, 2), 65531);
	assert_true(inb(f, P61) & P61_OUT2);

	/* The loop itself, 997 TSC cycles per iteration: within 0.1%. */
	restart(f);
	start = f->now;
	program(f, 2, 0xb0, 59659);
	while (!(inb(f, P61) & P61_OUT2))
		f->now += 997;
	hz = (f->now - start) * 20;
	assert_true(hz >= GHZ24 - GHZ24 / 1000 && hz <= GHZ24 + GHZ24 / 1000);
	assert_true(f->now - start >= 119999799 && f->now - start < 119999799 + 997);
}

/* quick_pit_calibrate(): mode 0 from 0xffff, unlatched LSB-MSB reads,
 * timing the MSB's steps. */
static void test_linux_quick_calibration(void **state)
{
	struct fix *f = *state;
	uint64_t first = 0, last = 0, hz;
	uint8_t want = 0xfe;

	outb(f, P61, (uint8_t)((inb(f, P61) & ~P61_SPEAKER) | P61_GATE));
	program(f, 2, 0xb0, 0xffff);
	for (unsigned i = 0; i < 200; i++) {
		f->now = T0 + ref_tsc(f->hz, 256 * i + 1);
		assert_int_equal(inb(f, CH2), 0xfe);
		assert_int_equal(inb(f, CH2), 0xff - i);
	}
	program(f, 2, 0xb0, 0xffff);
	while (want > 0xfe - 100) {
		uint8_t msb;

		inb(f, CH2);
		f->now += 37;
		msb = inb(f, CH2);
		f->now += 37;
		if (msb != want)
			continue;
		if (want == 0xfe)
			first = f->now;
		last = f->now;
		want--;
	}
	hz = (last - first) * VPIT_HZ / (99 * 256);
	assert_true(hz >= MHZ50 - MHZ50 / 1000 && hz <= MHZ50 + MHZ50 / 1000);
}

static void test_mode2_counts(void **state)
{
	struct fix *f = *state;
	static const struct { uint64_t tsc; uint16_t count; } want[] = {
		{ 0, 1193 }, { 41, 1193 }, { 42, 1192 }, { 49993, 1193 },
		{ 12345678, 59 }, { 999999937, 1134 },
	};

	program(f, 0, 0x34, 1193);
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		f->now = T0 + want[i].tsc;
		assert_int_equal(latched(f, 0), want[i].count);
	}
	/* OUT is low exactly while the count is 1. */
	program(f, 2, 0xb4, 4);
	outb(f, P61, P61_GATE);
	for (unsigned d = 0; d < 12; d++) {
		f->now = T0 + 999999937 + ref_tsc(f->hz, d);
		assert_int_equal(latched(f, 2), 4 - d % 4);
		assert_int_equal(!!(inb(f, P61) & P61_OUT2), d % 4 != 3);
	}
}

static void test_mode3_counts(void **state)
{
	struct fix *f = *state;
	static const uint16_t even[] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };
	static const uint16_t odd[] = { 4, 2, 0, 4, 2 };

	outb(f, P61, P61_GATE);
	program(f, 2, 0xb6, 10);
	for (unsigned d = 0; d < 30; d++) {
		assert_int_equal(count_at(f, 2, d), even[d % 10]);
		assert_int_equal(out2_at(f, d), d % 10 < 5);
	}
	restart(f);
	program(f, 2, 0xb6, 5);		/* high 3 clocks, low 2 */
	for (unsigned d = 0; d < 15; d++) {
		assert_int_equal(count_at(f, 2, d), odd[d % 5]);
		assert_int_equal(out2_at(f, d), d % 5 < 3);
	}
	/* Mode bits 111 are mode 3 too; status keeps them as written. */
	restart(f);
	program(f, 2, 0xbe, 6);
	assert_int_equal(count_at(f, 2, 1), 4);
	assert_int_equal(status(f, 2) & 0x3f, 0x3e);
}

static void test_count_zero_and_bcd(void **state)
{
	struct fix *f = *state;

	program(f, 1, 0x74, 0);			/* mode 2, 65536 */
	assert_int_equal(count_at(f, 1, 0), 0);
	assert_int_equal(count_at(f, 1, 1), 0xffff);
	assert_int_equal(count_at(f, 1, 65535), 1);
	assert_int_equal(count_at(f, 1, 65536), 0);
	assert_int_equal(count_at(f, 1, 65537), 0xffff);

	restart(f);
	program(f, 1, 0x75, 0);			/* mode 2 BCD, 10000 */
	assert_int_equal(count_at(f, 1, 1), 0x9999);
	assert_int_equal(count_at(f, 1, 9999), 0x0001);
	assert_int_equal(count_at(f, 1, 10000), 0);
	assert_int_equal(count_at(f, 1, 10001), 0x9999);

	restart(f);
	program(f, 1, 0x71, 0x1234);		/* mode 0 BCD */
	assert_int_equal(count_at(f, 1, 34), 0x1200);
	assert_int_equal(count_at(f, 1, 235), 0x0999);
	assert_int_equal(count_at(f, 1, 1234), 0);
	assert_int_equal(count_at(f, 1, 1235), 0x9999);	/* wraps in decimal */

	restart(f);
	program(f, 1, 0x71, 0x001a);		/* not BCD: 1 * 10 + 10 */
	assert_int_equal(count_at(f, 1, 1), 0x0019);
	restart(f);
	program(f, 1, 0x71, 0xffff);		/* 15 * 1111 = 16665: 6665 */
	assert_int_equal(count_at(f, 1, 0), 0x6665);
}

static void test_latch_command(void **state)
{
	struct fix *f = *state;

	program(f, 0, 0x30, 5000);
	f->now = T0 + ref_tsc(f->hz, 100);
	outb(f, CTRL, 0x00);
	f->now = T0 + ref_tsc(f->hz, 300);
	assert_int_equal(inb(f, CH0), (4900 & 0xff));
	outb(f, CTRL, 0x00);			/* ignored: not fully read */
	assert_int_equal(inb(f, CH0), 4900 >> 8);
	assert_int_equal(latched(f, 0), 4700);	/* released: a new latch */
	assert_int_equal(inb(f, CH0), 4700 & 0xff);	/* live again */

	/* LSB-only and MSB-only access. */
	restart(f);
	outb(f, CTRL, 0x50);			/* ch1, LSB, mode 0 */
	outb(f, CH1, 0x80);
	f->now = AT(16);
	assert_int_equal(inb(f, CH1), 0x70);
	assert_int_equal(inb(f, CH1), 0x70);
	outb(f, CTRL, 0x40);
	f->now = AT(32);
	assert_int_equal(inb(f, CH1), 0x70);	/* the latch */
	assert_int_equal(inb(f, CH1), 0x60);	/* live */
	restart(f);
	outb(f, CTRL, 0x60);			/* ch1, MSB, mode 0 */
	outb(f, CH1, 0x12);
	f->now = AT(0x100);
	assert_int_equal(inb(f, CH1), 0x11);
	assert_int_equal(inb(f, CH1), 0x11);
}

static void test_read_back(void **state)
{
	struct fix *f = *state;
	uint8_t lsb, msb;

	outb(f, CTRL, 0x30);			/* mode 0, no count yet */
	assert_int_equal(status(f, 0), 0x40 | 0x30);	/* null count, OUT low */
	outb(f, CH0, 100);
	assert_int_equal(status(f, 0), 0x40 | 0x30);	/* half a count */
	outb(f, CH0, 0);
	assert_int_equal(status(f, 0), 0x30);
	f->now = T0 + ref_tsc(f->hz, 100);
	assert_int_equal(status(f, 0), 0x80 | 0x30);

	/* Count and status: status first, then the count. */
	restart(f);
	program(f, 0, 0x30, 1000);
	f->now = AT(10);
	outb(f, CTRL, 0xc2);
	assert_int_equal(inb(f, CH0), 0x30);
	lsb = inb(f, CH0);
	msb = inb(f, CH0);
	assert_int_equal(lsb | msb << 8, 990);

	/* A second status latch before reading keeps the first. */
	outb(f, CTRL, 0xe2);
	f->now += ref_tsc(f->hz, 2000);		/* OUT went high meanwhile */
	outb(f, CTRL, 0xe2);
	assert_int_equal(inb(f, CH0), 0x30);
	assert_int_equal(status(f, 0), 0xb0);

	/* Several counters at once; counter 0 not selected stays live. */
	restart(f);
	program(f, 0, 0x34, 500);
	program(f, 1, 0x74, 300);
	program(f, 2, 0xb0, 400);
	f->now = AT(7);
	outb(f, CTRL, 0xdc);			/* counts of 1 and 2 */
	f->now = AT(70);
	lsb = inb(f, CH1);
	assert_int_equal(lsb | inb(f, CH1) << 8, 293);
	lsb = inb(f, CH2);
	assert_int_equal(lsb | inb(f, CH2) << 8, 400);	/* gate low */
	lsb = inb(f, CH0);
	assert_int_equal(lsb | inb(f, CH0) << 8, 430);
}

static void test_flipflops_per_channel(void **state)
{
	struct fix *f = *state;

	outb(f, CTRL, 0x34);
	outb(f, CTRL, 0xb4);
	outb(f, P61, P61_GATE);
	outb(f, CH0, 0x34);
	outb(f, CH2, 0x78);
	outb(f, CH2, 0x56);
	outb(f, CH0, 0x12);
	assert_int_equal(latched(f, 0), 0x1234);
	assert_int_equal(latched(f, 2), 0x5678);
	/* Read flip-flops too: ch0 LSB, all of ch2, then ch0's MSB. */
	assert_int_equal(inb(f, CH0), 0x34);
	assert_int_equal(inb(f, CH2), 0x78);
	assert_int_equal(inb(f, CH2), 0x56);
	assert_int_equal(inb(f, CH0), 0x12);
	/* Reads and writes of one counter interleave (82C54). */
	assert_int_equal(inb(f, CH0), 0x34);
	outb(f, CH0, 0x00);
	assert_int_equal(inb(f, CH0), 0x12);
	outb(f, CH0, 0x10);			/* new count 0x1000 */
	assert_int_equal(latched(f, 0), 0x1234);	/* ...at the period's end */
	f->now = T0 + ref_tsc(f->hz, 0x1234);
	assert_int_equal(latched(f, 0), 0x1000);
	/* A control word resets the flip-flops. */
	outb(f, CH0, 0x55);
	outb(f, CTRL, 0x34);
	outb(f, CH0, 0x00);
	outb(f, CH0, 0x02);
	assert_int_equal(latched(f, 0), 0x0200);
	assert_int_equal(inb(f, CH0), 0x00);
	outb(f, CTRL, 0x34);
	assert_int_equal(inb(f, CH0), 0x00);	/* LSB again */
}

/* ---------------------------------------------------------------- IRQ0 */

static void test_mode0_irq_at_terminal_count(void **state)
{
	struct fix *f = *state;
	uint64_t due = T0 + 2011429;		/* tick 1000 at 2.4 GHz */

	program(f, 0, 0x30, 1000);
	assert_int_equal(vpit_poll(&f->t, T0), due);
	assert_int_equal(vpit_poll(&f->t, due - 1), due);
	assert_int_equal(f->calls, 0);
	assert_int_equal(vpit_poll(&f->t, due), UINT64_MAX);
	assert_int_equal(f->calls, 1);
	assert_true(f->level);
	assert_int_equal(vpit_poll(&f->t, due + GHZ24), UINT64_MAX);
	assert_int_equal(f->calls, 1);
	f->now = due + GHZ24;
	outb(f, CTRL, 0x30);			/* OUT falls with the control word */
	assert_int_equal(f->calls, 2);
	assert_false(f->level);
	assert_int_equal(vpit_poll(&f->t, f->now), UINT64_MAX);	/* no count */
	outb(f, CH0, 0xe8);
	outb(f, CH0, 0x03);
	assert_int_equal(vpit_poll(&f->t, f->now), f->now + 2011429);

	/* Reprogrammed after TC but before any poll: the edge is not lost. */
	f->now += 3000000;
	program(f, 0, 0x30, 1000);
	assert_int_equal(f->calls, 4);
	assert_true(f->log[2]);
	assert_false(f->log[3]);
}

/* Linux's one-shot clockevent: mode 4, the edge ends the strobe. */
static void test_mode4_oneshot(void **state)
{
	struct fix *f = *state;

	program(f, 0, 0x38, 1000);
	assert_int_equal(vpit_poll(&f->t, T0), T0 + 2013440);	/* tick 1001 */
	assert_int_equal(vpit_poll(&f->t, T0 + 2013440), UINT64_MAX);
	assert_int_equal(f->calls, 2);
	assert_true(f->log[0]);
	assert_false(f->log[1]);
	assert_int_equal(vpit_poll(&f->t, T0 + 3 * GHZ24), UINT64_MAX);
	assert_int_equal(f->calls, 2);
	/* OUT, seen on channel 2: low for tick 1000 only. */
	outb(f, P61, P61_GATE);
	restart(f);
	program(f, 2, 0xb8, 1000);
	assert_true(out2_at(f, 999));
	assert_false(out2_at(f, 1000));
	assert_true(out2_at(f, 1001));
	assert_true(out2_at(f, 1000 + 65536));	/* one strobe only */
}

static void test_mode2_periodic_edges(void **state)
{
	struct fix *f = *state;
	uint64_t next;

	program(f, 0, 0x34, 1193);
	next = vpit_poll(&f->t, T0);
	assert_int_equal(next, T0 + 2399634);
	for (uint64_t k = 1; k <= 10; k++) {
		assert_int_equal(next, T0 + ref_tsc(f->hz, 1193 * k));
		assert_int_equal(vpit_poll(&f->t, next - 1), next);
		assert_int_equal(f->rises, k - 1);
		next = vpit_poll(&f->t, next);
		assert_int_equal(f->rises, k);
		assert_false(f->level);		/* a pulse */
	}
	assert_int_equal(f->calls, 20);

	/* A long gap: one edge, the next on the grid after now. */
	f->rises = 0;
	next = vpit_poll(&f->t, T0 + 2399633921ULL + 5);
	assert_int_equal(f->rises, 1);
	assert_int_equal(next, T0 + 2402033554ULL);
	/* Polled just before a grid point: the clamp pushes the next edge. */
	next = vpit_poll(&f->t, next - 10);
	assert_int_equal(f->rises, 1);
	next = vpit_poll(&f->t, T0 + 2402033554ULL + 2399000);
	assert_int_equal(f->rises, 2);
	assert_int_equal(next, T0 + 2402033554ULL + 2399000 + 24000);
}

static void test_mode3_irq_and_new_count(void **state)
{
	struct fix *f = *state;

	program(f, 0, 0x36, 100);
	assert_int_equal(vpit_poll(&f->t, T0), T0 + ref_tsc(f->hz, 100));
	/* Count 40 written in the high half: it starts at tick 50 with the
	 * low half (20 ticks), so the next rising edge is tick 70. */
	f->now = T0 + ref_tsc(f->hz, 10);
	outb(f, CH0, 40);
	outb(f, CH0, 0);
	assert_int_equal(vpit_poll(&f->t, f->now), T0 + ref_tsc(f->hz, 70));

	outb(f, P61, P61_GATE);
	restart(f);
	program(f, 2, 0xb6, 100);
	f->now = AT(10);
	outb(f, CH2, 40);
	outb(f, CH2, 0);
	assert_int_equal(status(f, 2) & 0x40, 0x40);	/* not loaded yet */
	assert_int_equal(count_at(f, 2, 49), 2);
	assert_true(out2_at(f, 49));
	assert_int_equal(count_at(f, 2, 50), 40);
	assert_false(out2_at(f, 50));
	assert_int_equal(status(f, 2) & 0x40, 0);
	assert_int_equal(count_at(f, 2, 69), 2);
	assert_false(out2_at(f, 69));
	assert_int_equal(count_at(f, 2, 70), 40);
	assert_true(out2_at(f, 70));
	assert_false(out2_at(f, 90));
	/* Written in the low half: waits for the period's end. */
	restart(f);
	program(f, 2, 0xb6, 100);
	f->now = AT(60);
	outb(f, CH2, 40);
	outb(f, CH2, 0);
	assert_int_equal(count_at(f, 2, 99), 2);
	assert_false(out2_at(f, 99));
	assert_int_equal(count_at(f, 2, 100), 40);
	assert_true(out2_at(f, 119));
	assert_false(out2_at(f, 120));
}

static void test_mode2_new_count_at_period_end(void **state)
{
	struct fix *f = *state;

	program(f, 0, 0x34, 100);
	f->now = T0 + ref_tsc(f->hz, 30);
	outb(f, CH0, 50);
	outb(f, CH0, 0);
	assert_int_equal(status(f, 0), 0x80 | 0x40 | 0x34);	/* not loaded yet */
	assert_int_equal(vpit_poll(&f->t, f->now), AT(100));
	assert_int_equal(count_at(f, 0, 31), 69);
	assert_int_equal(count_at(f, 0, 99), 1);
	assert_int_equal(count_at(f, 0, 100), 50);
	assert_int_equal(status(f, 0), 0x80 | 0x34);
	assert_int_equal(vpit_poll(&f->t, AT(100)), AT(150));
	assert_int_equal(f->rises, 1);
	assert_int_equal(count_at(f, 0, 101), 49);
	assert_int_equal(count_at(f, 0, 150), 50);
	assert_int_equal(vpit_poll(&f->t, AT(150)), AT(200));
	assert_int_equal(f->rises, 2);
	/* A control word cancels a reload still waiting. */
	f->now = AT(160);
	outb(f, CH0, 10);
	outb(f, CH0, 0);
	program(f, 0, 0x30, 1000);
	f->base = f->now;
	assert_int_equal(count_at(f, 0, 100), 900);
	assert_int_equal(count_at(f, 0, 250), 750);	/* past the old reload */
	assert_int_equal(status(f, 0), 0x30);
}

/* A guest asking for count 1 gets at most one edge per 10 us. */
static void test_count1_storm(void **state)
{
	struct fix *f = *state;
	uint64_t next, end = T0 + GHZ24 / 1000;	/* 1 ms */

	program(f, 0, 0x34, 1);
	next = vpit_poll(&f->t, T0);
	assert_true(next > T0);
	while (next <= end) {
		uint64_t now = next;

		next = vpit_poll(&f->t, now);
		assert_true(next >= now + 24000);
	}
	assert_true(f->rises <= 101);
	assert_true(f->rises >= 99);
	/* Polling far more often changes nothing. */
	f->rises = 0;
	for (uint64_t now = end; now < 2 * end - T0; now += 100)
		vpit_poll(&f->t, now);
	assert_true(f->rises <= 101);
	/* Nor does reprogramming each time (mode 3, count 2). */
	f->rises = 0;
	for (uint64_t now = 2 * end; now < 3 * end - T0; now += 1000) {
		f->now = now;
		program(f, 0, 0x36, 2);
		vpit_poll(&f->t, now);
	}
	assert_true(f->rises <= 101);
}

static void test_irq0_reentry(void **state)
{
	struct fix *f = *state;
	uint64_t next;

	f->poll_in_callback = true;
	program(f, 0, 0x34, 1193);
	next = vpit_poll(&f->t, T0);
	f->now = next;
	next = vpit_poll(&f->t, next);
	assert_int_equal(f->rises, 1);
	assert_int_equal(f->calls, 2);
	assert_true(next > f->now);
	assert_false(f->t.notifying);

	/* The callback reprograms channel 0 at the TC edge: the fall comes
	 * after the rise, never inside it. */
	f->poll_in_callback = false;
	f->reprogram_in_callback = true;
	program(f, 0, 0x30, 100);
	f->calls = 0;
	f->now += ref_tsc(f->hz, 100);
	assert_int_equal(vpit_poll(&f->t, f->now), UINT64_MAX);
	assert_int_equal(f->calls, 2);
	assert_true(f->log[0]);
	assert_false(f->log[1]);
	assert_int_equal(f->max_depth, 1);
}

/* ---------------------------------------------------------------- port 0x61 */

static void test_port61_bits(void **state)
{
	struct fix *f = *state;
	uint8_t a, b;

	a = inb(f, P61);
	b = inb(f, P61);
	assert_int_equal((a ^ b) & P61_REFRESH, P61_REFRESH);
	assert_int_equal(a & 0xcf, 0);
	outb(f, P61, 0xff);
	assert_int_equal(inb(f, P61) & 0xcf, 0x0f);
	outb(f, P61, 0xf0);
	assert_int_equal(inb(f, P61) & 0xcf, 0x00);
	/* Channel 2 idles in mode 3 with OUT high. */
	assert_true(inb(f, P61) & P61_OUT2);
	assert_int_equal(in(f, P61, 2) & 0xff00, 0xff00);
}

static void test_gate_mode0(void **state)
{
	struct fix *f = *state;

	program(f, 2, 0xb0, 100);		/* gate low: loaded, not counting */
	assert_int_equal(count_at(f, 2, 50), 100);
	gate2(f, true);
	assert_int_equal(count_at(f, 2, 80), 70);
	gate2(f, false);
	assert_int_equal(count_at(f, 2, 120), 70);
	assert_false(out2_at(f, 120));
	gate2(f, true);
	assert_int_equal(count_at(f, 2, 189), 1);
	assert_false(out2_at(f, 189));
	assert_true(out2_at(f, 190));
	gate2(f, false);			/* after TC OUT stays high */
	assert_true(out2_at(f, 300));
	gate2(f, true);
	assert_true(out2_at(f, 400));
	/* The first byte of a new count stops counting and drops OUT. */
	outb(f, CH2, 10);
	assert_false(out2_at(f, 500));
	assert_int_equal(count_at(f, 2, 500), count_at(f, 2, 600));
	outb(f, CH2, 0);
	assert_int_equal(count_at(f, 2, 605), 5);
	assert_true(out2_at(f, 610));
}

static void test_gate_mode2_and_3(void **state)
{
	struct fix *f = *state;

	gate2(f, true);
	program(f, 2, 0xb4, 10);
	assert_int_equal(count_at(f, 2, 5), 5);
	assert_false(out2_at(f, 9));
	gate2(f, false);			/* OUT forced high, count held */
	assert_true(out2_at(f, 9));
	assert_int_equal(count_at(f, 2, 15), 1);
	gate2(f, true);				/* reload, restart */
	assert_int_equal(count_at(f, 2, 15), 10);
	assert_int_equal(count_at(f, 2, 16), 9);

	restart(f);
	program(f, 2, 0xb6, 10);
	assert_false(out2_at(f, 7));
	gate2(f, false);
	assert_true(out2_at(f, 7));
	assert_true(out2_at(f, 30));
	gate2(f, true);
	assert_int_equal(count_at(f, 2, 30), 10);
	assert_false(out2_at(f, 35));
	/* A count written with the gate low waits for it. */
	gate2(f, false);
	program(f, 2, 0xb4, 20);
	assert_int_equal(status(f, 2) & 0x40, 0x40);
	f->now = AT(40);
	gate2(f, true);
	assert_int_equal(count_at(f, 2, 45), 15);
}

static void test_gate_mode1_and_5(void **state)
{
	struct fix *f = *state;

	gate2(f, true);
	program(f, 2, 0xb2, 10);		/* mode 1: waits for a trigger */
	assert_true(out2_at(f, 5));
	assert_int_equal(status(f, 2) & 0xc0, 0xc0);	/* OUT high, null */
	gate2(f, false);
	gate2(f, true);				/* trigger at tick 5 */
	assert_int_equal(status(f, 2) & 0xc0, 0x00);
	assert_false(out2_at(f, 5));
	assert_int_equal(count_at(f, 2, 8), 7);
	assert_false(out2_at(f, 14));
	assert_true(out2_at(f, 15));
	gate2(f, false);			/* retrigger at 20 */
	f->now = AT(20);
	gate2(f, true);
	assert_false(out2_at(f, 29));
	assert_true(out2_at(f, 30));
	/* A new count waits for the next trigger. */
	outb(f, CH2, 50);
	outb(f, CH2, 0);
	assert_int_equal(count_at(f, 2, 31), 0xffff);
	gate2(f, false);
	gate2(f, true);
	assert_int_equal(count_at(f, 2, 41), 40);

	restart(f);
	program(f, 2, 0xba, 10);		/* mode 5 */
	assert_true(out2_at(f, 10));
	gate2(f, false);
	restart(f);
	gate2(f, true);
	f->now = AT(3);
	gate2(f, false);			/* GATE low does not stop 1 or 5 */
	assert_int_equal(count_at(f, 2, 6), 4);
	assert_true(out2_at(f, 9));
	assert_false(out2_at(f, 10));
	assert_true(out2_at(f, 11));
}

static void test_gate_mode4(void **state)
{
	struct fix *f = *state;

	gate2(f, true);
	program(f, 2, 0xb8, 10);
	gate2(f, false);			/* counting stops at tick 0 */
	assert_int_equal(count_at(f, 2, 5), 10);
	gate2(f, true);
	assert_true(out2_at(f, 14));
	assert_false(out2_at(f, 15));
	assert_true(out2_at(f, 16));
}

/* ---------------------------------------------------------------- hostile */

static void test_time_never_backwards(void **state)
{
	struct fix *f = *state;
	uint16_t a;

	program(f, 0, 0x34, 1000);
	a = count_at(f, 0, 500);
	f->now = T0;				/* another CPU's older reading */
	assert_int_equal(latched(f, 0), a);
	assert_true(vpit_poll(&f->t, 0) > T0 + ref_tsc(f->hz, 500));
}

static void test_tsc_hz_clamped(void **state)
{
	struct vpit t;

	(void)state;
	vpit_init(&t, 0, NULL, NULL, NULL, 0);	/* no callbacks: time stands at 0 */
	assert_int_equal(t.tsc_hz, VPIT_HZ);
	vpit_init(&t, UINT64_MAX, NULL, NULL, NULL, 0);
	assert_int_equal(t.tsc_hz, VPIT_MAX_TSC_HZ);
	assert_int_equal(vpit_ops.write(&t, 3, 1, 0x34), 0);
	assert_int_equal(vpit_ops.write(&t, 0, 1, 0x10), 0);
	assert_int_equal(vpit_ops.write(&t, 0, 1, 0x00), 0);
	assert_int_equal(vpit_poll(&t, 0), ref_tsc(VPIT_MAX_TSC_HZ, 16));
	assert_int_equal(vpit_poll(&t, UINT64_MAX - 1), UINT64_MAX);
	assert_int_equal(vpit_poll(&t, UINT64_MAX), UINT64_MAX);

	/* One clock per TSC cycle: clock counts reach 2^64 too. */
	vpit_init(&t, VPIT_HZ, NULL, NULL, NULL, 0);
	assert_int_equal(vpit_ops.write(&t, 3, 1, 0x34), 0);
	assert_int_equal(vpit_ops.write(&t, 0, 1, 0x05), 0);
	assert_int_equal(vpit_ops.write(&t, 0, 1, 0x00), 0);
	assert_int_equal(vpit_poll(&t, 0), 5);
	for (uint64_t now = UINT64_MAX - 7; now != 0; now++) {
		uint64_t next = vpit_poll(&t, now);

		assert_true(next > now || next == UINT64_MAX);
	}
	/* A count written then has its reload at "the end of time". */
	assert_int_equal(vpit_ops.write(&t, 0, 1, 0x09), 0);
	assert_int_equal(vpit_ops.write(&t, 0, 1, 0x00), 0);
	assert_int_equal(vpit_poll(&t, UINT64_MAX), UINT64_MAX);
}

/* Counts and deadlines match 128-bit arithmetic for any time and rate. */
static void test_exact_time_math(void **state)
{
	static const uint64_t rates[] = { VPIT_HZ, MHZ50, GHZ24, 3999999999ULL,
					  5123456789ULL, VPIT_MAX_TSC_HZ };

	(void)state;
	rng_state = 0x8254;
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t hz = rates[rng_below(ARRAY_SIZE(rates))];
		struct fix *f = make(hz);
		uint64_t d = rng() >> rng_below(64), n, due;

		d = MIN(d, UINT64_MAX / 2);
		program(f, 1, 0x74, 0);
		f->now = T0 + d;
		assert_int_equal(latched(f, 1), (65536 - ref_ticks(hz, d) % 65536) % 65536);
		n = 1 + rng_below(65536);
		f->now = T0 + d;
		program(f, 0, 0x30, (uint16_t)n);
		due = vpit_poll(&f->t, f->now);
		assert_int_equal(due - f->now, ref_tsc(hz, n));
		assert_true(ref_ticks(hz, due - f->now) >= n);
		assert_true(ref_ticks(hz, due - f->now - 1) < n);
		free(f);
	}
}

static void test_wide_access(void **state)
{
	struct fix *f = *state;

	program(f, 0, 0x34, 0x1234);
	outb(f, CTRL, 0x54);			/* ch1, LSB only, mode 2 */
	outb(f, CH1, 0x56);
	/* ch0 LSB, ch1 LSB, ch2 (idle: 0), control port 0. */
	assert_int_equal(in(f, CH0, 4), 0x00005634);
	assert_int_equal(inb(f, CH0), 0x12);
	/* A word at 0x42: count byte for ch2, then a control word. */
	outb(f, P61, P61_GATE);
	outb(f, CTRL, 0x94);			/* ch2, LSB only, mode 2 */
	out(f, CH2, 2, 0x8020);			/* count 0x20; latch ch2 */
	assert_int_equal(inb(f, CH2), 0x20);
	/* Past the range: all ones, writes dropped. */
	assert_int_equal(in(f, CTRL, 2), 0xff00);
	out(f, CTRL, 2, 0x3400);
	assert_int_equal(inb(f, CH2), 0x20);
}

/* Random port traffic and time steps: nothing breaks, deadlines are
 * never in the past, and IRQ0 edges never come closer than 10 us. */
static void test_fuzz(void **state)
{
	struct fix *f = *state;
	static const unsigned ports[] = { CH0, CH1, CH2, CTRL, CTRL, P61 };
	uint64_t last_rise = 0;

	rng_state = 0xf022;
	for (unsigned n = 0; n < 300000; n++) {
		unsigned port = ports[rng_below(ARRAY_SIZE(ports))];
		unsigned r = (unsigned)rng_below(10), rises = f->rises;
		uint64_t next;

		f->now += rng_below(4) ? rng_below(3000) : rng_below(GHZ24 / 10);
		if (r < 4)
			outb(f, port, (uint8_t)rng());
		else if (r < 7)
			inb(f, port);
		else if (r == 7)
			out(f, CH0 + (unsigned)rng_below(4), 1u << rng_below(3), rng());
		if (r >= 7) {
			next = vpit_poll(&f->t, f->now);
			assert_true(next > f->now);
			if (f->t.ch[0].state == VPIT_RUNNING && (f->t.ch[0].mode == 2 ||
								 f->t.ch[0].mode == 3))
				assert_true(next != UINT64_MAX);
		}
		assert_true(f->rises - rises <= 1);
		if (f->rises != rises) {
			assert_true(f->now >= last_rise + f->t.min_period);
			last_rise = f->now;
		}
		assert_int_equal(f->level, f->t.irq_line);
		assert_false(f->t.notifying);
		for (unsigned c = 0; c < 3; c++) {
			const struct vpit_channel *ch = &f->t.ch[c];

			assert_true(ch->mode <= 5);
			assert_true(ch->access >= 1 && ch->access <= 3);
			assert_true(ch->state <= VPIT_PAUSED);
			assert_true(ch->cr <= 65536);
			assert_true(ch->state != VPIT_RUNNING || !(ch->mode == 2 || ch->mode == 3) ||
				    ch->n >= 1);
		}
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T50(fn) cmocka_unit_test_setup_teardown(fn, setup50, teardown)
#define TI(fn) cmocka_unit_test_setup_teardown(fn, setup_int, teardown)
	const struct CMUnitTest tests[] = {
		T(test_linux_pit_calibration),
		T50(test_linux_quick_calibration),
		T50(test_mode2_counts),
		T(test_mode3_counts),
		T50(test_mode3_counts),
		T(test_count_zero_and_bcd),
		T(test_latch_command),
		T(test_read_back),
		T(test_flipflops_per_channel),
		T(test_mode0_irq_at_terminal_count),
		T(test_mode4_oneshot),
		T(test_mode2_periodic_edges),
		T(test_mode3_irq_and_new_count),
		T50(test_mode3_irq_and_new_count),
		T(test_mode2_new_count_at_period_end),
		T(test_count1_storm),
		T(test_irq0_reentry),
		T(test_port61_bits),
		TI(test_gate_mode0),
		TI(test_gate_mode2_and_3),
		TI(test_gate_mode1_and_5),
		TI(test_gate_mode4),
		T(test_time_never_backwards),
		cmocka_unit_test(test_tsc_hz_clamped),
		cmocka_unit_test(test_exact_time_math),
		T(test_wide_access),
		T(test_fuzz),
	};
#undef T
#undef T50
#undef TI

	return cmocka_run_group_tests_name("vpit", tests, NULL, NULL);
}
