/*
 * Calendar arithmetic: Unix seconds (UTC, no leap seconds, as POSIX counts
 * them) to and from a broken-down proleptic Gregorian date. Used by the RTC
 * model (vmm/vrtc.c) and the host RTC reader (drivers/cmos.c).
 *
 * Gregorian rule: a year is leap when divisible by 4, except centuries,
 * except every fourth century (so 2000 is leap, 2100 is not). 1970-01-01
 * was a Thursday.
 *
 * Pure code: built hosted too (tests/unit/test_date.c).
 */
#ifndef KEEL_DATE_H
#define KEEL_DATE_H

#include "kernel/klib.h"

#define DATE_MIN_YEAR	1970u
#define DATE_MAX_YEAR	9999u
/* 9999-12-31 23:59:59: the last second these functions represent. */
#define DATE_MAX_UNIX	253402300799ULL
#define DATE_SECS_PER_DAY 86400u

struct date {
	uint16_t year;	/* DATE_MIN_YEAR..DATE_MAX_YEAR */
	uint8_t month;	/* 1..12 */
	uint8_t day;	/* 1..date_days_in_month() */
	uint8_t hour;	/* 0..23 */
	uint8_t min;	/* 0..59 */
	uint8_t sec;	/* 0..59 */
	uint8_t wday;	/* 0 = Sunday .. 6 = Saturday (output only) */
};

bool date_is_leap(unsigned year);
/* 28..31, or 0 when month is not 1..12. */
unsigned date_days_in_month(unsigned year, unsigned month);
/* Break 'secs' down. Saturates: anything past DATE_MAX_UNIX gives
 * 9999-12-31 23:59:59. */
void date_from_unix(uint64_t secs, struct date *d);
/* The inverse; d->wday is ignored. Returns 0, -E_INVAL when a field is out
 * of its range (month 13, February 30, hour 24, ...), or -E_RANGE when the
 * year is outside DATE_MIN_YEAR..DATE_MAX_YEAR. */
int date_to_unix(const struct date *d, uint64_t *secs);

#endif
