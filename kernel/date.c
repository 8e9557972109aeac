/*
 * Unix seconds <-> calendar date (see date.h). Days are counted from
 * 1970-01-01; a year's first day is found from the number of leap years
 * before it, so no table spans more than one year and every loop is bounded
 * by a small constant.
 */
#include "kernel/date.h"
#include "kernel/errno.h"

#define DAYS_PER_YEAR	365u
#define EPOCH_WDAY	4u	/* 1970-01-01 was a Thursday */
#define DAYS_PER_WEEK	7u
#define SECS_PER_HOUR	3600u
#define SECS_PER_MIN	60u

/* Days before the first of each month in a common year. */
static const uint16_t month_start[12] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
};

bool date_is_leap(unsigned year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned date_days_in_month(unsigned year, unsigned month)
{
	static const uint8_t len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	return len[month - 1] + (month == 2 && date_is_leap(year));
}

/* Leap years in [1, year). */
static uint64_t leaps_before(unsigned year)
{
	unsigned y = year - 1;

	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to January 1st of 'year' (year >= 1970). */
static uint64_t year_start(unsigned year)
{
	return (uint64_t)(year - DATE_MIN_YEAR) * DAYS_PER_YEAR +
	       leaps_before(year) - leaps_before(DATE_MIN_YEAR);
}

/* Days before the first of 'month' (1..12) within 'year'. */
static unsigned days_before_month(unsigned year, unsigned month)
{
	return month_start[month - 1] + (month > 2 && date_is_leap(year));
}

/* Counting 365 days a year can only overestimate the year, and by at most
 * the leap days so far / 365 + 1 (7 at 9999): the loop is short. */
static unsigned year_of_day(uint64_t days)
{
	unsigned year = DATE_MIN_YEAR + (unsigned)(days / DAYS_PER_YEAR);

	while (year_start(year) > days)
		year--;
	return year;
}

void date_from_unix(uint64_t secs, struct date *d)
{
	uint64_t days, rem;
	unsigned month = 12, yday;

	if (secs > DATE_MAX_UNIX)
		secs = DATE_MAX_UNIX;
	days = secs / DATE_SECS_PER_DAY;
	rem = secs % DATE_SECS_PER_DAY;
	d->year = (uint16_t)year_of_day(days);
	yday = (unsigned)(days - year_start(d->year));
	while (days_before_month(d->year, month) > yday)
		month--;
	d->month = (uint8_t)month;
	d->day = (uint8_t)(yday - days_before_month(d->year, month) + 1);
	d->hour = (uint8_t)(rem / SECS_PER_HOUR);
	d->min = (uint8_t)(rem % SECS_PER_HOUR / SECS_PER_MIN);
	d->sec = (uint8_t)(rem % SECS_PER_MIN);
	d->wday = (uint8_t)((days + EPOCH_WDAY) % DAYS_PER_WEEK);
}

int date_to_unix(const struct date *d, uint64_t *secs)
{
	uint64_t days;

	if (d->year < DATE_MIN_YEAR || d->year > DATE_MAX_YEAR)
		return -E_RANGE;
	if (d->day < 1 || d->day > date_days_in_month(d->year, d->month) ||
	    d->hour > 23 || d->min > 59 || d->sec > 59)
		return -E_INVAL;
	days = year_start(d->year) + days_before_month(d->year, d->month) + d->day - 1u;
	*secs = days * DATE_SECS_PER_DAY + d->hour * SECS_PER_HOUR + d->min * SECS_PER_MIN +
		d->sec;
	return 0;
}
