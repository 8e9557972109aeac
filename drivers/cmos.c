/*
 * Host RTC reader (drivers/cmos.h). MC146818A data sheet: the time bytes
 * are stable while register A's UIP bit is 0 (for at least 244 us), in BCD
 * or binary per register B's DM bit, hours in 12-hour form with bit 7 =
 * PM when B's 24/12 bit is 0. Byte 0x32 holds the century on IBM-compatible
 * machines but is ordinary RAM on some: it is used only when it gives a
 * plausible year, otherwise the year is taken as 20xx.
 *
 * Two consecutive reads must agree, so an update that slips in between
 * the UIP check and the last byte is never seen half-done. Every wait is
 * bounded by a count of port reads, so a missing or stuck RTC costs at
 * most a fraction of a second.
 */
#include "arch/cpu.h"
#include "drivers/cmos.h"
#include "kernel/date.h"
#include "kernel/errno.h"
#include "kernel/spinlock.h"

#define CMOS_INDEX	0x70	/* bit 7 = NMI disable: left 0 */
#define CMOS_DATA	0x71

#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_CENTURY	0x32

#define A_UIP		0x80
#define B_BINARY	0x04
#define B_24H		0x02
#define HOUR_PM		0x80

#define UIP_SPINS	200000u	/* port reads; UIP lasts ~2 ms at most */
#define READ_TRIES	10u
#define PLAUSIBLE_MIN	1970u
#define PLAUSIBLE_MAX	2199u
#define DEFAULT_CENTURY	20u

struct rtc_raw {
	uint8_t sec, min, hour, day, month, year, century, b;
};

static spinlock_t cmos_lock = SPINLOCK_INIT;

static uint8_t cmos_get(uint8_t idx)
{
	outb(CMOS_INDEX, idx);
	return inb(CMOS_DATA);
}

static bool wait_not_updating(void)
{
	outb(CMOS_INDEX, RTC_REG_A);
	for (unsigned i = 0; i < UIP_SPINS; i++)
		if (!(inb(CMOS_DATA) & A_UIP))
			return true;
	return false;
}

static int read_raw(struct rtc_raw *r)
{
	if (!wait_not_updating())
		return -E_IO;
	r->sec = cmos_get(RTC_SEC);
	r->min = cmos_get(RTC_MIN);
	r->hour = cmos_get(RTC_HOUR);
	r->day = cmos_get(RTC_DAY);
	r->month = cmos_get(RTC_MONTH);
	r->year = cmos_get(RTC_YEAR);
	r->century = cmos_get(RTC_CENTURY);
	r->b = cmos_get(RTC_REG_B);
	return 0;
}

static bool same(const struct rtc_raw *a, const struct rtc_raw *b)
{
	return a->sec == b->sec && a->min == b->min && a->hour == b->hour &&
	       a->day == b->day && a->month == b->month && a->year == b->year &&
	       a->century == b->century && a->b == b->b;
}

/* One byte in the RTC's format; false for a BCD digit above 9. */
static bool dec(uint8_t v, uint8_t b, unsigned *out)
{
	if (b & B_BINARY) {
		*out = v;
		return true;
	}
	if ((v >> 4) > 9 || (v & 0xf) > 9)
		return false;
	*out = (v >> 4) * 10u + (v & 0xfu);
	return true;
}

static bool dec_hour(uint8_t v, uint8_t b, unsigned *out)
{
	unsigned h;

	if (b & B_24H)
		return dec(v, b, out);
	if (!dec(v & (uint8_t)~HOUR_PM, b, &h) || h < 1 || h > 12)
		return false;
	*out = h % 12 + ((v & HOUR_PM) ? 12 : 0);	/* 12 AM is 0 */
	return true;
}

static unsigned full_year(const struct rtc_raw *r, unsigned yy)
{
	unsigned c;

	if (dec(r->century, r->b, &c) && c * 100 + yy >= PLAUSIBLE_MIN &&
	    c * 100 + yy <= PLAUSIBLE_MAX)
		return c * 100 + yy;
	return DEFAULT_CENTURY * 100 + yy;
}

static int convert(const struct rtc_raw *r, uint64_t *unix_seconds)
{
	unsigned sec, min, hour, day, month, yy;
	struct date d;

	if (!dec(r->sec, r->b, &sec) || !dec(r->min, r->b, &min) ||
	    !dec_hour(r->hour, r->b, &hour) || !dec(r->day, r->b, &day) ||
	    !dec(r->month, r->b, &month) || !dec(r->year, r->b, &yy) || yy > 99)
		return -E_IO;	/* date_to_unix() checks the other ranges */
	d = (struct date){ .year = (uint16_t)full_year(r, yy), .month = (uint8_t)month,
			   .day = (uint8_t)day, .hour = (uint8_t)hour, .min = (uint8_t)min,
			   .sec = (uint8_t)sec };
	return date_to_unix(&d, unix_seconds) ? -E_IO : 0;
}

int cmos_read_time(uint64_t *unix_seconds)
{
	struct rtc_raw a, b;
	unsigned tries = 0;
	int err;

	/* No interrupt handler touches the RTC: interrupts may stay on while
	 * a slow RTC is polled. */
	spin_lock(&cmos_lock);
	err = read_raw(&a);
	while (!err && tries++ < READ_TRIES) {
		err = read_raw(&b);
		if (!err && same(&a, &b))
			break;
		a = b;
	}
	spin_unlock(&cmos_lock);
	if (err || tries > READ_TRIES)
		return -E_IO;
	return convert(&a, unix_seconds);
}
