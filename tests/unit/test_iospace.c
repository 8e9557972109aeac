/* Unit tests for the per-domain device address spaces (vmm/iospace.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/iospace.h"
#include "tests/unit/test_rng.h"

/* A device that records its last access and answers reads with a
 * pattern built from the offset. */
struct dev {
	unsigned reads, writes;
	uint64_t offset, val;
	unsigned size;
	int ret;		/* returned by every access */
};

static int dev_read(void *ctx, uint64_t offset, unsigned size, uint64_t *val)
{
	struct dev *d = ctx;

	d->reads++;
	d->offset = offset;
	d->size = size;
	*val = 0xab00 + offset;
	return d->ret;
}

static int dev_write(void *ctx, uint64_t offset, unsigned size, uint64_t val)
{
	struct dev *d = ctx;

	d->writes++;
	d->offset = offset;
	d->size = size;
	d->val = val;
	return d->ret;
}

static const struct io_ops dev_ops = { dev_read, dev_write };
static const struct io_ops no_ops = { NULL, NULL };

static void test_all_ones(void **state)
{
	(void)state;
	assert_int_equal(io_all_ones(1), 0xff);
	assert_int_equal(io_all_ones(2), 0xffff);
	assert_int_equal(io_all_ones(4), 0xffffffffULL);
	assert_true(io_all_ones(8) == ~0ULL);
}

static void test_register_invalid(void **state)
{
	struct iospace s = { 0 };

	(void)state;
	assert_int_equal(io_register(&s, 0x100, 0, &dev_ops, NULL, "zero"), -E_INVAL);
	assert_int_equal(io_register(&s, 0x100, 8, NULL, NULL, "no ops"), -E_INVAL);
	/* [base, base + len) must not wrap, not even to exactly 2^64. */
	assert_int_equal(io_register(&s, ~0ULL - 7, 9, &dev_ops, NULL, "wrap"), -E_INVAL);
	assert_int_equal(io_register(&s, ~0ULL - 7, 8, &dev_ops, NULL, "to 2^64"), -E_INVAL);
	assert_int_equal(io_register(&s, 1, ~0ULL, &dev_ops, NULL, "huge"), -E_INVAL);
	assert_int_equal(s.nr, 0);
	/* The largest range that fits ends one byte short of 2^64. */
	assert_int_equal(io_register(&s, ~0ULL - 7, 7, &dev_ops, NULL, "top"), 0);
	assert_non_null(io_find(&s, ~0ULL - 1, 1));
	assert_null(io_find(&s, ~0ULL, 1));
}

static void test_register_overlap(void **state)
{
	struct iospace s = { 0 };

	(void)state;
	assert_int_equal(io_register(&s, 0x3f8, 8, &dev_ops, NULL, "uart"), 0);
	assert_int_equal(io_register(&s, 0x3f8, 8, &dev_ops, NULL, "same"), -E_EXIST);
	assert_int_equal(io_register(&s, 0x3ff, 1, &dev_ops, NULL, "last"), -E_EXIST);
	assert_int_equal(io_register(&s, 0x3f0, 9, &dev_ops, NULL, "tail"), -E_EXIST);
	assert_int_equal(io_register(&s, 0x3fa, 2, &dev_ops, NULL, "inside"), -E_EXIST);
	assert_int_equal(io_register(&s, 0x300, 0x200, &dev_ops, NULL, "around"), -E_EXIST);
	assert_int_equal(s.nr, 1);
	/* Touching at either end is not overlapping. */
	assert_int_equal(io_register(&s, 0x3f0, 8, &dev_ops, NULL, "below"), 0);
	assert_int_equal(io_register(&s, 0x400, 1, &dev_ops, NULL, "above"), 0);
	assert_int_equal(s.nr, 3);
}

static void test_register_sorted_and_full(void **state)
{
	struct iospace s = { 0 };
	unsigned i;

	(void)state;
	/* Register the slots 0..N-1 (16 bytes apart) in a scrambled order. */
	for (i = 0; i < IOSPACE_MAX_RANGES; i++) {
		uint64_t slot = (i * 7) % IOSPACE_MAX_RANGES;	/* 7 is coprime to 32 */

		assert_int_equal(io_register(&s, 0x1000 + slot * 16, 16, &dev_ops, NULL, "r"), 0);
	}
	assert_int_equal(s.nr, IOSPACE_MAX_RANGES);
	for (i = 0; i < IOSPACE_MAX_RANGES; i++)
		assert_int_equal(s.ranges[i].base, 0x1000 + i * 16);
	assert_int_equal(io_register(&s, 0x9000, 1, &dev_ops, NULL, "more"), -E_NOMEM);
	assert_int_equal(s.nr, IOSPACE_MAX_RANGES);
	for (i = 0; i < IOSPACE_MAX_RANGES; i++) {
		const struct io_range *r = io_find(&s, 0x1000 + i * 16 + 15, 1);

		assert_non_null(r);
		assert_int_equal(r->base, 0x1000 + i * 16);
	}
}

static void test_unregister(void **state)
{
	struct iospace s = { 0 };
	struct dev a, b, c;

	(void)state;
	assert_int_equal(io_register(&s, 0x2000, 0x1000, &dev_ops, &a, "a"), 0);
	assert_int_equal(io_register(&s, 0x1000, 0x1000, &dev_ops, &b, "b"), 0);
	assert_int_equal(io_register(&s, 0x3000, 0x1000, &dev_ops, &c, "c"), 0);
	/* Only a range's exact base releases it. */
	assert_int_equal(io_unregister(&s, 0x2001), -E_NOENT);
	assert_int_equal(io_unregister(&s, 0x1fff), -E_NOENT);
	assert_int_equal(io_unregister(&s, 0), -E_NOENT);
	assert_int_equal(s.nr, 3);
	assert_int_equal(io_unregister(&s, 0x2000), 0);
	assert_int_equal(s.nr, 2);
	assert_null(io_find(&s, 0x2000, 1));
	assert_ptr_equal(io_find(&s, 0x1fff, 1)->ctx, &b);
	assert_ptr_equal(io_find(&s, 0x3000, 1)->ctx, &c);
	assert_int_equal(io_unregister(&s, 0x2000), -E_NOENT);
	/* The freed space can be claimed again, and the order stays sorted. */
	assert_int_equal(io_register(&s, 0x2800, 0x800, &dev_ops, &a, "a2"), 0);
	assert_int_equal(s.ranges[0].base, 0x1000);
	assert_int_equal(s.ranges[1].base, 0x2800);
	assert_int_equal(s.ranges[2].base, 0x3000);
	assert_int_equal(io_unregister(&s, 0x3000), 0);	/* the last entry */
	assert_int_equal(io_unregister(&s, 0x1000), 0);	/* the first entry */
	assert_int_equal(s.nr, 1);
	assert_ptr_equal(io_find(&s, 0x2fff, 1)->ctx, &a);
	assert_int_equal(io_unregister(&s, 0x2800), 0);
	assert_int_equal(s.nr, 0);
	assert_int_equal(io_unregister(&s, 0x2800), -E_NOENT);
}

/* Random registers and unregisters agree with a model of which slots are
 * claimed. */
static void test_unregister_random(void **state)
{
	struct iospace s = { 0 };
	bool used[64] = { false };
	unsigned nr = 0;

	(void)state;
	for (unsigned n = 0; n < 20000; n++) {
		unsigned slot = (unsigned)rng_below(64);
		uint64_t base = 0x10000 + slot * 0x100;

		if (rng_below(2)) {
			int want = nr >= IOSPACE_MAX_RANGES ? -E_NOMEM : used[slot] ? -E_EXIST : 0;

			assert_int_equal(io_register(&s, base, 0x100, &dev_ops, NULL, "r"), want);
			if (!want) {
				used[slot] = true;
				nr++;
			}
		} else {
			assert_int_equal(io_unregister(&s, base), used[slot] ? 0 : -E_NOENT);
			if (used[slot])
				nr--;
			used[slot] = false;
		}
		assert_int_equal(s.nr, nr);
		assert_int_equal(io_find(&s, base + 0x80, 4) != NULL, used[slot]);
	}
	for (unsigned i = 1; i < s.nr; i++)
		assert_true(s.ranges[i - 1].base < s.ranges[i].base);
}

static void test_find_boundaries(void **state)
{
	struct iospace s = { 0 };
	struct dev a, b;
	const struct io_range *r;

	(void)state;
	assert_int_equal(io_register(&s, 0x60, 1, &dev_ops, &a, "kbd"), 0);
	assert_int_equal(io_register(&s, 0x100, 0x10, &dev_ops, &b, "b"), 0);
	assert_null(io_find(&s, 0x5f, 1));
	r = io_find(&s, 0x60, 1);
	assert_non_null(r);
	assert_ptr_equal(r->ctx, &a);
	assert_string_equal(r->name, "kbd");
	assert_null(io_find(&s, 0x60, 2));	/* runs past the one-byte range */
	assert_null(io_find(&s, 0x61, 1));
	assert_null(io_find(&s, 0xff, 1));
	assert_null(io_find(&s, 0xff, 2));	/* starts before the range */
	assert_ptr_equal(io_find(&s, 0x100, 8)->ctx, &b);
	assert_ptr_equal(io_find(&s, 0x108, 8)->ctx, &b);	/* ends on the last byte */
	assert_null(io_find(&s, 0x109, 8));
	assert_ptr_equal(io_find(&s, 0x10c, 4)->ctx, &b);
	assert_null(io_find(&s, 0x10d, 4));
	assert_ptr_equal(io_find(&s, 0x10f, 1)->ctx, &b);
	assert_null(io_find(&s, 0x110, 1));
	assert_null(io_find(&s, ~0ULL, 8));	/* addr + size wraps */
}

/* Random ranges: io_find agrees with a plain linear scan. */
static void test_find_matches_linear_scan(void **state)
{
	struct iospace s = { 0 };

	(void)state;
	for (unsigned n = 0; n < 200; n++)
		io_register(&s, rng_below(0x1000), 1 + rng_below(64), &dev_ops, NULL, "r");
	assert_true(s.nr > 8);
	for (unsigned n = 0; n < 20000; n++) {
		uint64_t addr = rng_below(0x1100);
		unsigned size = 1u << rng_below(4);
		const struct io_range *want = NULL;

		for (unsigned i = 0; i < s.nr; i++) {
			const struct io_range *r = &s.ranges[i];

			if (addr >= r->base && addr + size <= r->base + r->len)
				want = r;
		}
		assert_ptr_equal(io_find(&s, addr, size), want);
	}
}

static void test_access_claimed(void **state)
{
	struct iospace s = { 0 };
	struct dev d = { 0 };
	uint64_t val = 0x1122334455667788ULL;

	(void)state;
	assert_int_equal(io_register(&s, 0xcf8, 8, &dev_ops, &d, "pci"), 0);
	assert_int_equal(io_access(&s, 0xcfc, 4, true, &val), 0);
	assert_int_equal(d.writes, 1);
	assert_int_equal(d.offset, 4);
	assert_int_equal(d.size, 4);
	assert_true(d.val == 0x1122334455667788ULL);
	assert_int_equal(io_access(&s, 0xcfe, 2, false, &val), 0);
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.offset, 6);
	assert_int_equal(d.size, 2);
	assert_int_equal(val, 0xab06);
	assert_int_equal(s.unclaimed_reads, 0);
	assert_int_equal(s.unclaimed_writes, 0);

	/* The device's error comes back unchanged. */
	d.ret = -E_IO;
	assert_int_equal(io_access(&s, 0xcf8, 1, false, &val), -E_IO);
	assert_int_equal(io_access(&s, 0xcf8, 1, true, &val), -E_IO);
}

static void test_access_unclaimed(void **state)
{
	struct iospace s = { 0 };
	struct dev d = { 0 };
	uint64_t val;

	(void)state;
	assert_int_equal(io_register(&s, 0x70, 2, &dev_ops, &d, "rtc"), 0);
	val = 0;
	assert_int_equal(io_access(&s, 0x80, 1, false, &val), 1);
	assert_int_equal(val, 0xff);
	val = 0;
	assert_int_equal(io_access(&s, 0x80, 2, false, &val), 1);
	assert_int_equal(val, 0xffff);
	val = 0;
	assert_int_equal(io_access(&s, 0x80, 4, false, &val), 1);
	assert_int_equal(val, 0xffffffffULL);
	val = 0;
	assert_int_equal(io_access(&s, 0x80, 8, false, &val), 1);
	assert_true(val == ~0ULL);
	/* Straddling the end of a claimed range is unclaimed too. */
	assert_int_equal(io_access(&s, 0x71, 2, false, &val), 1);
	assert_int_equal(val, 0xffff);
	assert_int_equal(s.unclaimed_reads, 5);

	val = 0x42;
	assert_int_equal(io_access(&s, 0x80, 1, true, &val), 1);
	assert_int_equal(io_access(&s, 0x6f, 2, true, &val), 1);
	assert_int_equal(s.unclaimed_writes, 2);
	assert_int_equal(s.unclaimed_reads, 5);
	assert_int_equal(d.reads + d.writes, 0);
}

/* A device without a read or write handler reads as all ones and ignores
 * writes, without counting them as unclaimed. */
static void test_access_null_handlers(void **state)
{
	struct iospace s = { 0 };
	uint64_t val = 0;

	(void)state;
	assert_int_equal(io_register(&s, 0x80, 1, &no_ops, NULL, "post"), 0);
	assert_int_equal(io_access(&s, 0x80, 1, false, &val), 0);
	assert_int_equal(val, 0xff);
	val = 0x12;
	assert_int_equal(io_access(&s, 0x80, 1, true, &val), 0);
	assert_int_equal(s.unclaimed_reads, 0);
	assert_int_equal(s.unclaimed_writes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ones),
		cmocka_unit_test(test_register_invalid),
		cmocka_unit_test(test_register_overlap),
		cmocka_unit_test(test_register_sorted_and_full),
		cmocka_unit_test(test_unregister),
		cmocka_unit_test(test_unregister_random),
		cmocka_unit_test(test_find_boundaries),
		cmocka_unit_test(test_find_matches_linear_scan),
		cmocka_unit_test(test_access_claimed),
		cmocka_unit_test(test_access_unclaimed),
		cmocka_unit_test(test_access_null_handlers),
	};

	return cmocka_run_group_tests_name("iospace", tests, NULL, NULL);
}
