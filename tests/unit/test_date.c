/* Unit tests for the calendar conversions (kernel/date.c). Reference
 * values were computed independently (Python's datetime). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/date.h"
#include "kernel/errno.h"
#include "tests/unit/test_rng.h"

struct vec {
	uint64_t secs;
	struct date d;
};

static const struct vec vectors[] = {
	{ 0, { 1970, 1, 1, 0, 0, 0, 4 } },
	{ 68256000, { 1972, 3, 1, 0, 0, 0, 3 } },
	{ 951782400, { 2000, 2, 29, 0, 0, 0, 2 } },
	{ 1796130000, { 2026, 12, 1, 13, 0, 0, 2 } },
	{ 4102444799, { 2099, 12, 31, 23, 59, 59, 4 } },
	{ 4102444800, { 2100, 1, 1, 0, 0, 0, 5 } },
	{ 7258118399, { 2199, 12, 31, 23, 59, 59, 2 } },
	{ DATE_MAX_UNIX, { 9999, 12, 31, 23, 59, 59, 5 } },
};

static void assert_date(const struct date *a, const struct date *b)
{
	assert_int_equal(a->year, b->year);
	assert_int_equal(a->month, b->month);
	assert_int_equal(a->day, b->day);
	assert_int_equal(a->hour, b->hour);
	assert_int_equal(a->min, b->min);
	assert_int_equal(a->sec, b->sec);
	assert_int_equal(a->wday, b->wday);
}

static void test_known_dates(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		struct date d;
		uint64_t s = 1;

		date_from_unix(vectors[i].secs, &d);
		assert_date(&d, &vectors[i].d);
		assert_int_equal(date_to_unix(&vectors[i].d, &s), 0);
		assert_int_equal(s, vectors[i].secs);
	}
}

static void test_leap_rules(void **state)
{
	assert_true(date_is_leap(2000));
	assert_true(date_is_leap(2024));
	assert_true(date_is_leap(2400));
	assert_false(date_is_leap(1900));
	assert_false(date_is_leap(2100));
	assert_false(date_is_leap(2026));
	assert_int_equal(date_days_in_month(2000, 2), 29);
	assert_int_equal(date_days_in_month(2100, 2), 28);
	assert_int_equal(date_days_in_month(2026, 4), 30);
	assert_int_equal(date_days_in_month(2026, 12), 31);
	assert_int_equal(date_days_in_month(2026, 0), 0);
	assert_int_equal(date_days_in_month(2026, 13), 0);
}

/* Walk every day from 1970 to 2200 with a naive "next day" rule and check
 * that each midnight converts both ways. */
static void test_every_day(void **state)
{
	struct date want = { 1970, 1, 1, 0, 0, 0, 4 }, got;
	uint64_t secs = 0, back;

	while (want.year < 2201) {
		date_from_unix(secs, &got);
		assert_date(&got, &want);
		assert_int_equal(date_to_unix(&want, &back), 0);
		assert_int_equal(back, secs);
		/* The last second of the day is still the same date. */
		date_from_unix(secs + DATE_SECS_PER_DAY - 1, &got);
		assert_int_equal(got.day, want.day);
		assert_int_equal(got.hour, 23);
		assert_int_equal(got.min, 59);
		assert_int_equal(got.sec, 59);

		secs += DATE_SECS_PER_DAY;
		want.wday = (uint8_t)((want.wday + 1) % 7);
		if (++want.day > date_days_in_month(want.year, want.month)) {
			want.day = 1;
			if (++want.month > 12) {
				want.month = 1;
				want.year++;
			}
		}
	}
}

static void test_random_round_trip(void **state)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t s = rng_below(DATE_MAX_UNIX + 1), back = 0;
		struct date d;

		date_from_unix(s, &d);
		assert_in_range(d.year, DATE_MIN_YEAR, DATE_MAX_YEAR);
		assert_int_equal(date_to_unix(&d, &back), 0);
		assert_int_equal(back, s);
	}
}

static void test_saturates(void **state)
{
	struct date d;

	date_from_unix(DATE_MAX_UNIX + 1, &d);
	assert_date(&d, &vectors[ARRAY_SIZE(vectors) - 1].d);
	date_from_unix(UINT64_MAX, &d);
	assert_int_equal(d.year, 9999);
	assert_int_equal(d.sec, 59);
}

static void test_invalid_fields(void **state)
{
	static const struct date bad[] = {
		{ 2026, 0, 1, 0, 0, 0, 0 },
		{ 2026, 13, 1, 0, 0, 0, 0 },
		{ 2026, 1, 0, 0, 0, 0, 0 },
		{ 2026, 1, 32, 0, 0, 0, 0 },
		{ 2026, 2, 29, 0, 0, 0, 0 },	/* not a leap year */
		{ 2100, 2, 29, 0, 0, 0, 0 },
		{ 2026, 4, 31, 0, 0, 0, 0 },
		{ 2026, 1, 1, 24, 0, 0, 0 },
		{ 2026, 1, 1, 0, 60, 0, 0 },
		{ 2026, 1, 1, 0, 0, 60, 0 },
		{ 2026, 255, 255, 255, 255, 255, 255 },
	};
	uint64_t s = 42;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(date_to_unix(&bad[i], &s), -E_INVAL);
	assert_int_equal(date_to_unix(&(struct date){ 1969, 12, 31, 23, 59, 59, 0 }, &s),
			 -E_RANGE);
	assert_int_equal(date_to_unix(&(struct date){ 10000, 1, 1, 0, 0, 0, 0 }, &s), -E_RANGE);
	assert_int_equal(date_to_unix(&(struct date){ 0, 1, 1, 0, 0, 0, 0 }, &s), -E_RANGE);
	assert_int_equal(s, 42);	/* untouched on error */
	/* wday is not an input. */
	assert_int_equal(date_to_unix(&(struct date){ 2000, 2, 29, 0, 0, 0, 200 }, &s), 0);
	assert_int_equal(s, 951782400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_leap_rules),
		cmocka_unit_test(test_every_day),
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_saturates),
		cmocka_unit_test(test_invalid_fields),
	};

	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
