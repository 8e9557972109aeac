/*
 * Guest MC146818A RTC and CMOS RAM (see vrtc.h). Register layout, formats,
 * UIP timing (244 us before each update), the alarm "don't care" codes,
 * the periodic rates and register C's read-to-clear flags come from the
 * Motorola MC146818A data sheet ("Registers", "Update cycle",
 * "Interrupts"); the century byte at 0x32 is the IBM PC/AT convention.
 *
 * The clock is a base (Unix seconds at a TSC value). Reads compute the
 * date; writes of the time either land in the time bytes (SET = 1) or
 * rebase the clock at once (SET = 0). UF/AF/PF are caught up lazily from
 * the last instant checked: several missed periods or seconds set a flag
 * once, as they would on a chip whose flags nobody read.
 *
 * Guest-written times are validated when they take effect: a time that is
 * not a real date between 1970 and 9999 (BCD digits above 9, February 30,
 * hour 24, ...) is ignored, and the clock keeps running from the time it
 * had, as if the guest had never stopped it.
 */
#include "kernel/date.h"
#include "kernel/errno.h"
#include "vmm/vrtc.h"

/* Byte indices behind port 0x70 (MC146818A "Address map"). */
#define IDX_SEC		0x00
#define IDX_ALARM_SEC	0x01
#define IDX_MIN		0x02
#define IDX_ALARM_MIN	0x03
#define IDX_HOUR	0x04
#define IDX_ALARM_HOUR	0x05
#define IDX_WDAY	0x06
#define IDX_DAY		0x07
#define IDX_MONTH	0x08
#define IDX_YEAR	0x09
#define IDX_A		0x0a
#define IDX_B		0x0b
#define IDX_C		0x0c
#define IDX_D		0x0d
#define IDX_RAM_FIRST	0x0e
#define IDX_CENTURY	0x32

#define PORT_INDEX	0
#define PORT_DATA	1
#define INDEX_NMI_OFF	0x80
#define INDEX_MASK	0x7f
#define PORT_INDEX_READ	0xff		/* port 0x70 is write-only */

#define A_UIP		0x80
#define A_WRITABLE	0x7f		/* divider and rate; UIP is read-only */
#define A_RATE_MASK	0x0f
#define A_DEFAULT	0x26		/* 32.768 kHz time base, 1024 Hz */
#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_BINARY	0x04		/* DM: 1 = binary, 0 = BCD */
#define B_24H		0x02
#define B_DEFAULT	B_24H
#define C_IRQF		0x80
#define C_PF		0x40		/* the flags line up with B's enables */
#define C_AF		0x20
#define C_UF		0x10
#define C_FLAGS		(C_PF | C_AF | C_UF)
#define D_VRT		0x80		/* valid RAM and time: the battery is good */
#define HOUR_PM		0x80
#define ALARM_ANY_MASK	0xc0		/* both top bits: matches anything */

#define UIP_US		244u
#define US_PER_S	1000000u
#define TIMEBASE_HZ	32768u
#define SECS_PER_HOUR	3600u
#define SECS_PER_MIN	60u
/* Calls of irq8() one notifier makes before it leaves the rest to the next
 * entry point (another CPU keeps changing the line meanwhile). */
#define LINE_MAX_ROUNDS	8

enum field { F_NONE, F_SEC, F_MIN, F_HOUR, F_WDAY, F_DAY, F_MONTH, F_YEAR, F_CENTURY };

/* Which bytes are the running clock. */
static const uint8_t field_of[VRTC_CMOS_SIZE] = {
	[IDX_SEC] = F_SEC,     [IDX_MIN] = F_MIN,     [IDX_HOUR] = F_HOUR,
	[IDX_WDAY] = F_WDAY,   [IDX_DAY] = F_DAY,     [IDX_MONTH] = F_MONTH,
	[IDX_YEAR] = F_YEAR,   [IDX_CENTURY] = F_CENTURY,
};

static const uint8_t clock_bytes[] = {
	IDX_SEC, IDX_MIN, IDX_HOUR, IDX_WDAY, IDX_DAY, IDX_MONTH, IDX_YEAR, IDX_CENTURY,
};

/* ------------------------------------------------------------ formats */

static uint8_t enc(unsigned v, uint8_t b)
{
	return (uint8_t)((b & B_BINARY) ? v : (v / 10) << 4 | v % 10);
}

/* A byte in the current format, 0..max; false for bad BCD or range. */
static bool dec(uint8_t v, uint8_t b, unsigned max, unsigned *out)
{
	if (!(b & B_BINARY)) {
		if ((v >> 4) > 9 || (v & 0xf) > 9)
			return false;
		v = (uint8_t)((v >> 4) * 10 + (v & 0xf));
	}
	*out = v;
	return v <= max;
}

/* 12-hour mode: 12 AM is hour 0, 12 PM hour 12; bit 7 says PM. */
static uint8_t enc_hour(unsigned h, uint8_t b)
{
	if (b & B_24H)
		return enc(h, b);
	return (uint8_t)(enc(h % 12 ? h % 12 : 12, b) | (h >= 12 ? HOUR_PM : 0));
}

static bool dec_hour(uint8_t v, uint8_t b, unsigned *out)
{
	unsigned h;

	if (b & B_24H)
		return dec(v, b, 23, out);
	if (!dec(v & ~HOUR_PM, b, 12, &h) || h == 0)
		return false;
	*out = h % 12 + ((v & HOUR_PM) ? 12 : 0);
	return true;
}

static uint8_t encode(const struct date *d, enum field f, uint8_t b)
{
	switch (f) {
	case F_SEC:
		return enc(d->sec, b);
	case F_MIN:
		return enc(d->min, b);
	case F_HOUR:
		return enc_hour(d->hour, b);
	case F_WDAY:
		return enc(d->wday + 1u, b);	/* 1 = Sunday */
	case F_DAY:
		return enc(d->day, b);
	case F_MONTH:
		return enc(d->month, b);
	case F_YEAR:
		return enc(d->year % 100u, b);
	case F_CENTURY:
		return enc(d->year / 100u, b);
	default:
		return 0;
	}
}

/* The time held in the clock bytes, or false when it is not a date
 * date.c accepts. The weekday byte is not checked: it follows the date. */
static bool decode_time(const struct vrtc *r, uint64_t *secs)
{
	const uint8_t *c = r->cmos;
	uint8_t b = c[IDX_B];
	unsigned sec, min, hour, day, month, year, century;
	struct date d;

	if (!dec(c[IDX_SEC], b, 59, &sec) || !dec(c[IDX_MIN], b, 59, &min) ||
	    !dec_hour(c[IDX_HOUR], b, &hour) || !dec(c[IDX_DAY], b, 31, &day) ||
	    !dec(c[IDX_MONTH], b, 12, &month) || !dec(c[IDX_YEAR], b, 99, &year) ||
	    !dec(c[IDX_CENTURY], b, 99, &century))
		return false;
	d = (struct date){ .year = (uint16_t)(century * 100 + year), .month = (uint8_t)month,
			   .day = (uint8_t)day, .hour = (uint8_t)hour, .min = (uint8_t)min,
			   .sec = (uint8_t)sec };
	return date_to_unix(&d, secs) == 0;
}

/* ------------------------------------------------------------ time */

static uint64_t elapsed(const struct vrtc *r, uint64_t now)
{
	return now > r->base_tsc ? now - r->base_tsc : 0;
}

static uint64_t now_secs(const struct vrtc *r, uint64_t now)
{
	uint64_t s;

	if (__builtin_add_overflow(r->base_secs, elapsed(r, now) / r->tsc_hz, &s))
		return UINT64_MAX;
	return s;
}

/* TSC at which second 's' (>= base_secs) begins. */
static uint64_t sec_tsc(const struct vrtc *r, uint64_t s)
{
	uint64_t t;

	if (__builtin_mul_overflow(s - r->base_secs, r->tsc_hz, &t) ||
	    __builtin_add_overflow(t, r->base_tsc, &t))
		return UINT64_MAX;
	return t;
}

static bool running(const struct vrtc *r)
{
	return !(r->cmos[IDX_B] & B_SET);
}

/* UIP is 1 in the last 244 us before each update; SET stops updates. */
static bool uip(const struct vrtc *r, uint64_t now)
{
	uint64_t frac = elapsed(r, now) % r->tsc_hz;

	return running(r) && frac >= r->tsc_hz - r->tsc_hz * UIP_US / US_PER_S;
}

/* Periodic rate of register A's RS bits with the 32.768 kHz time base:
 * 0 = off, 1 and 2 are 256 and 128 Hz, n = 3..15 gives 65536 >> n. */
static uint64_t periodic_hz(uint8_t a)
{
	unsigned rate = a & A_RATE_MASK;

	if (!rate)
		return 0;
	if (rate < 3)
		rate += 7;
	return TIMEBASE_HZ >> (rate - 1);
}

/* Whole periods of 'hz' since base_tsc; products stay below 2^53. */
static uint64_t ticks(const struct vrtc *r, uint64_t now, uint64_t hz)
{
	uint64_t e = elapsed(r, now);

	return e / r->tsc_hz * hz + e % r->tsc_hz * hz / r->tsc_hz;
}

/* TSC of period k: the first TSC value at which ticks() reaches k. */
static uint64_t tick_tsc(const struct vrtc *r, uint64_t k, uint64_t hz)
{
	uint64_t whole, t;

	if (__builtin_mul_overflow(k / hz, r->tsc_hz, &whole))
		return UINT64_MAX;
	t = whole + (k % hz * r->tsc_hz + hz - 1) / hz;
	if (__builtin_add_overflow(t, r->base_tsc, &t))
		return UINT64_MAX;
	return t;
}

/* ------------------------------------------------------------ alarm */

#define ALARM_ANY	(-1)
#define ALARM_NEVER	(-2)

/* An alarm byte as a value to match, ALARM_ANY or ALARM_NEVER (a value no
 * clock byte can equal, e.g. minute 61). */
static int alarm_spec(uint8_t v, uint8_t b, bool hour)
{
	unsigned x;

	if ((v & ALARM_ANY_MASK) == ALARM_ANY_MASK)
		return ALARM_ANY;
	if (hour ? dec_hour(v, b, &x) : dec(v, b, 59, &x))
		return (int)x;
	return ALARM_NEVER;
}

/* The smallest value >= x (and <= max) that 'spec' accepts, or -1. */
static int first_from(int spec, int x, int max)
{
	if (x > max)
		return -1;
	if (spec == ALARM_ANY)
		return x;
	return spec >= x ? spec : -1;
}

static uint64_t at(uint64_t day, int h, int m, int s)
{
	return day + (uint64_t)h * SECS_PER_HOUR + (uint64_t)m * SECS_PER_MIN + (uint64_t)s;
}

/* The first second after 'after' whose time of day matches the alarm
 * bytes, or UINT64_MAX when none ever does. At most a day ahead. */
static uint64_t next_alarm(const struct vrtc *r, uint64_t after)
{
	uint8_t b = r->cmos[IDX_B];
	int hs = alarm_spec(r->cmos[IDX_ALARM_HOUR], b, true);
	int ms = alarm_spec(r->cmos[IDX_ALARM_MIN], b, false);
	int ss = alarm_spec(r->cmos[IDX_ALARM_SEC], b, false);
	uint64_t day = after - after % DATE_SECS_PER_DAY;
	int tod = (int)(after % DATE_SECS_PER_DAY), h = tod / 3600, m = tod / 60 % 60, s = tod % 60;
	int x;

	if (hs == ALARM_NEVER || ms == ALARM_NEVER || ss == ALARM_NEVER)
		return UINT64_MAX;
	if (first_from(hs, h, h) >= 0 && first_from(ms, m, m) >= 0 &&
	    (x = first_from(ss, s + 1, 59)) >= 0)
		return at(day, h, m, x);
	if (first_from(hs, h, h) >= 0 && (x = first_from(ms, m + 1, 59)) >= 0)
		return at(day, h, x, first_from(ss, 0, 59));
	if ((x = first_from(hs, h + 1, 23)) >= 0)
		return at(day, x, first_from(ms, 0, 59), first_from(ss, 0, 59));
	return at(day + DATE_SECS_PER_DAY, first_from(hs, 0, 23), first_from(ms, 0, 59),
		  first_from(ss, 0, 59));
}

/* ------------------------------------------------------------ flags, IRQ */

/* Set the flags of what happened since the last check, up to 'now'. */
static void catch_up(struct vrtc *r, uint64_t now)
{
	uint64_t hz = periodic_hz(r->cmos[IDX_A]);

	if (running(r)) {
		uint64_t s = now_secs(r, now);

		if (s > r->secs_seen) {
			r->cmos[IDX_C] |= C_UF;
			if (next_alarm(r, r->secs_seen) <= s)
				r->cmos[IDX_C] |= C_AF;
			r->secs_seen = s;
		}
	}
	if (hz) {
		uint64_t k = ticks(r, now, hz);

		if (k > r->ticks_seen) {
			r->cmos[IDX_C] |= C_PF;
			r->ticks_seen = k;
		}
	}
}

/* Nothing before 'now' counts as missed after the base or rate changed. */
static void resync(struct vrtc *r, uint64_t now)
{
	uint64_t hz = periodic_hz(r->cmos[IDX_A]);

	r->secs_seen = now_secs(r, now);
	r->ticks_seen = hz ? ticks(r, now, hz) : 0;
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE, and IRQ8 follows it. */
static bool irqf(const struct vrtc *r)
{
	return r->cmos[IDX_C] & r->cmos[IDX_B] & C_FLAGS;
}

/*
 * The line is told to irq8() outside the lock, by one CPU at a time, until
 * what was told matches the model: two CPUs changing it in turn can then
 * not leave the interrupt controller with the older level. Returns true if
 * the caller must run line_tell() after unlocking.
 */
static bool line_update(struct vrtc *r)
{
	r->irq = irqf(r);
	if (r->telling || r->irq == r->irq_told)
		return false;
	r->telling = true;
	return true;
}

static void line_tell(struct vrtc *r)
{
	for (unsigned i = 0; i < LINE_MAX_ROUNDS; i++) {
		bool level;

		spin_lock(&r->lock);
		if (r->irq == r->irq_told) {
			r->telling = false;
			spin_unlock(&r->lock);
			return;
		}
		level = r->irq_told = r->irq;
		spin_unlock(&r->lock);
		r->irq8(r->ctx, level);
	}
	spin_lock(&r->lock);
	r->telling = false;
	spin_unlock(&r->lock);
}

/* ------------------------------------------------------------ registers */

/* Freeze the running time into the clock bytes (SET going to 1, or a
 * byte written while running). */
static void snapshot(struct vrtc *r, uint64_t now)
{
	struct date d;

	date_from_unix(now_secs(r, now), &d);
	for (size_t i = 0; i < ARRAY_SIZE(clock_bytes); i++)
		r->cmos[clock_bytes[i]] = encode(&d, field_of[clock_bytes[i]], r->cmos[IDX_B]);
}

/* The clock bytes become the time at TSC 'tsc', if they hold a date. */
static void rebase(struct vrtc *r, uint64_t tsc, uint64_t now)
{
	uint64_t secs;

	if (decode_time(r, &secs)) {
		r->base_secs = secs;
		r->base_tsc = tsc;
	}
	resync(r, now);
}

static uint8_t read_clock(const struct vrtc *r, uint8_t idx, uint64_t now)
{
	struct date d;

	if (!running(r))
		return r->cmos[idx];
	date_from_unix(now_secs(r, now), &d);
	return encode(&d, field_of[idx], r->cmos[IDX_B]);
}

static uint8_t read_data(struct vrtc *r, uint64_t now)
{
	uint8_t idx = r->index, v;

	if (field_of[idx] != F_NONE)
		return read_clock(r, idx, now);
	switch (idx) {
	case IDX_A:
		return (uint8_t)(r->cmos[IDX_A] | (uip(r, now) ? A_UIP : 0));
	case IDX_C:
		v = (uint8_t)((r->cmos[IDX_C] & C_FLAGS) | (irqf(r) ? C_IRQF : 0));
		r->cmos[IDX_C] = 0;		/* read clears, IRQ8 drops */
		return v;
	case IDX_D:
		return D_VRT;
	default:
		return r->cmos[idx];
	}
}

/* Setting SET stops updates and clears UIE (MC146818A register B); clearing
 * it starts the clock from the bytes the guest wrote. */
static void write_b(struct vrtc *r, uint8_t v, uint64_t now)
{
	bool was_set = !running(r);

	if (v & B_SET)
		v &= (uint8_t)~B_UIE;
	r->cmos[IDX_B] = v;
	if (!was_set && (v & B_SET))
		snapshot(r, now);
	else if (was_set && !(v & B_SET))
		rebase(r, now, now);
}

/* A clock byte written while the clock runs takes effect at once; the
 * fraction of the current second is kept. */
static void write_clock(struct vrtc *r, uint8_t idx, uint8_t v, uint64_t now)
{
	if (!running(r)) {
		r->cmos[idx] = v;
		return;
	}
	snapshot(r, now);
	r->cmos[idx] = v;
	rebase(r, now - elapsed(r, now) % r->tsc_hz, now);
}

static void write_data(struct vrtc *r, uint8_t v, uint64_t now)
{
	uint8_t idx = r->index;

	if (field_of[idx] != F_NONE) {
		write_clock(r, idx, v, now);
		return;
	}
	switch (idx) {
	case IDX_A:
		r->cmos[IDX_A] = v & A_WRITABLE;
		resync(r, now);		/* a new rate starts counting now */
		break;
	case IDX_B:
		write_b(r, v, now);
		break;
	case IDX_C:
	case IDX_D:
		break;			/* read-only */
	default:
		r->cmos[idx] = v;	/* alarm bytes and RAM */
		break;
	}
}

static uint8_t port_read(struct vrtc *r, uint64_t port, uint64_t now)
{
	return port == PORT_DATA ? read_data(r, now) : PORT_INDEX_READ;
}

static void port_write(struct vrtc *r, uint64_t port, uint8_t v, uint64_t now)
{
	if (port == PORT_INDEX) {
		r->index = v & INDEX_MASK;
		r->nmi_disabled = v & INDEX_NMI_OFF;
	} else if (port == PORT_DATA) {
		write_data(r, v, now);
	}
}

/* Wider accesses touch consecutive ports, byte by byte, as on ISA. */
static int vrtc_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vrtc *r = ctx;
	uint64_t now = r->clock(r->ctx);
	bool tell;

	*val = 0;
	spin_lock(&r->lock);
	catch_up(r, now);
	for (unsigned i = 0; i < size && i < 8; i++)
		*val |= (uint64_t)port_read(r, off + i, now) << (8 * i);
	tell = line_update(r);
	spin_unlock(&r->lock);
	if (tell)
		line_tell(r);
	return 0;
}

static int vrtc_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vrtc *r = ctx;
	uint64_t now = r->clock(r->ctx);
	bool tell;

	spin_lock(&r->lock);
	catch_up(r, now);
	for (unsigned i = 0; i < size && i < 8; i++)
		port_write(r, off + i, (uint8_t)(val >> (8 * i)), now);
	tell = line_update(r);
	spin_unlock(&r->lock);
	if (tell)
		line_tell(r);
	return 0;
}

const struct io_ops vrtc_ops = { vrtc_read, vrtc_write };

/* ------------------------------------------------------------ API */

void vrtc_init(struct vrtc *r, uint64_t unix_seconds, uint64_t now, uint64_t tsc_hz,
	       uint64_t (*clock)(void *ctx), void (*irq8)(void *ctx, bool level), void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->tsc_hz = MIN(MAX(tsc_hz, VRTC_TSC_HZ_MIN), VRTC_TSC_HZ_MAX);
	r->base_secs = MIN(unix_seconds, DATE_MAX_UNIX);
	r->base_tsc = now;
	r->cmos[IDX_A] = A_DEFAULT;
	r->cmos[IDX_B] = B_DEFAULT;
	r->clock = clock;
	r->irq8 = irq8;
	r->ctx = ctx;
	resync(r, now);
}

void vrtc_set_nvram(struct vrtc *r, uint8_t index, uint8_t val)
{
	if (index >= VRTC_CMOS_SIZE || index < IDX_RAM_FIRST || field_of[index] != F_NONE)
		return;
	spin_lock(&r->lock);
	r->cmos[index] = val;
	spin_unlock(&r->lock);
}

static uint64_t next_deadline(const struct vrtc *r, uint64_t now)
{
	uint8_t b = r->cmos[IDX_B];
	uint64_t hz = periodic_hz(r->cmos[IDX_A]), best = UINT64_MAX;

	if (running(r) && (b & B_UIE))
		best = sec_tsc(r, now_secs(r, now) + 1);
	if (running(r) && (b & B_AIE)) {
		uint64_t a = next_alarm(r, now_secs(r, now));

		if (a != UINT64_MAX)
			best = MIN(best, sec_tsc(r, a));
	}
	if ((b & B_PIE) && hz)
		best = MIN(best, tick_tsc(r, ticks(r, now, hz) + 1, hz));
	return best;
}

uint64_t vrtc_poll(struct vrtc *r, uint64_t now)
{
	uint64_t deadline;
	bool tell;

	spin_lock(&r->lock);
	catch_up(r, now);
	deadline = next_deadline(r, now);
	tell = line_update(r);
	spin_unlock(&r->lock);
	if (tell)
		line_tell(r);
	return deadline;
}
