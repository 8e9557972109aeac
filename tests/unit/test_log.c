/*
 * Unit tests for the kernel log ring buffer (kernel/log.c, logbuf_*):
 * reads and writes, wrap-around, readers that fell behind, writes larger
 * than the ring, and long random runs checked against a reference copy of
 * every byte ever written. The ring's memory sits between guard bytes so a
 * stray write outside it is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define TEST_RNG_SEED 0x2545f4914f6cdd1dULL
#include "tests/unit/test_rng.h"

#include "kernel/log.h"

#define GUARD		16
#define GUARD_BYTE	0x5a
#define RING_MAX	256
#define OUT_MAX		1024
#define OUT_FILL	0x77
#define STREAM_MAX	(256 * 1024)

/* ---------------------------------------------------------------- fixture */

static char mem[GUARD + RING_MAX + GUARD];
static struct logbuf lb;

static void ring_init(size_t size)
{
	assert_true(size <= RING_MAX);
	memset(mem, GUARD_BYTE, sizeof(mem));
	logbuf_init(&lb, mem + GUARD, size);
}

static void assert_guards(void)
{
	for (size_t i = 0; i < GUARD; i++)
		assert_int_equal((unsigned char)mem[i], GUARD_BYTE);
	for (size_t i = GUARD + lb.size; i < sizeof(mem); i++)
		assert_int_equal((unsigned char)mem[i], GUARD_BYTE);
}

static void put(const char *s)
{
	logbuf_write(&lb, s, strlen(s));
	assert_guards();
}

/* Read up to max bytes from *pos; check what came out and where *pos is. */
static void expect_read(uint64_t *pos, size_t max, const char *want, uint64_t want_pos)
{
	char out[OUT_MAX];
	size_t n;

	assert_true(max <= sizeof(out));
	memset(out, OUT_FILL, sizeof(out));
	n = logbuf_read(&lb, pos, out, max);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	for (size_t i = n; i < sizeof(out); i++)
		assert_int_equal((unsigned char)out[i], OUT_FILL);
	assert_int_equal(*pos, want_pos);
}


/* ---------------------------------------------------------------- basics */

static void test_empty(void **state)
{
	uint64_t pos = 0;

	ring_init(16);
	assert_int_equal(lb.head, 0);
	expect_read(&pos, 16, "", 0);
}

static void test_write_then_read(void **state)
{
	uint64_t pos = 0;

	ring_init(16);
	put("hello");
	expect_read(&pos, 64, "hello", 5);
	expect_read(&pos, 64, "", 5);	/* caught up */
	put(" world");
	expect_read(&pos, 64, " world", 11);
	assert_int_equal(lb.head, 11);
}

/* Two readers with their own positions do not disturb each other. */
static void test_independent_readers(void **state)
{
	uint64_t a = 0, b = 0;

	ring_init(16);
	put("abcdef");
	expect_read(&a, 2, "ab", 2);
	expect_read(&b, 64, "abcdef", 6);
	expect_read(&a, 64, "cdef", 6);
}

static void test_read_respects_max(void **state)
{
	uint64_t pos = 0;

	ring_init(16);
	put("hello");
	expect_read(&pos, 3, "hel", 3);
	expect_read(&pos, 0, "", 3);
	expect_read(&pos, 3, "lo", 5);
}

static void test_zero_length_write(void **state)
{
	uint64_t pos = 0;

	ring_init(8);
	put("ab");
	logbuf_write(&lb, "zzz", 0);
	assert_int_equal(lb.head, 2);
	expect_read(&pos, 8, "ab", 2);
}

/* ---------------------------------------------------------------- wrap-around */

static void test_fill_exactly(void **state)
{
	uint64_t pos = 0;

	ring_init(8);
	put("01234567");
	expect_read(&pos, 64, "01234567", 8);
	put("8");
	pos = 0;
	expect_read(&pos, 64, "12345678", 9);
}

static void test_wrap_around(void **state)
{
	uint64_t pos = 0;

	ring_init(8);
	put("abcdef");
	expect_read(&pos, 64, "abcdef", 6);
	put("ghijk");			/* wraps: ring holds "defghijk" */
	expect_read(&pos, 64, "ghijk", 11);
	pos = 5;
	expect_read(&pos, 64, "fghijk", 11);
	pos = 5;
	expect_read(&pos, 4, "fghi", 9);	/* a read that itself wraps */
}

/* A position whose bytes were overwritten restarts at the oldest byte
 * still in the ring. */
static void test_overwritten_position_skips(void **state)
{
	uint64_t pos;

	ring_init(8);
	put("abcdef");
	put("ghijk");			/* head 11, oldest surviving is 3 */
	for (uint64_t from = 0; from <= 3; from++) {
		pos = from;
		expect_read(&pos, 64, "defghijk", 11);
	}
	pos = 0;
	expect_read(&pos, 2, "de", 5);	/* skip, then a short read */
}

/* A position ahead of everything written reads nothing and writes nothing. */
static void test_position_in_future(void **state)
{
	uint64_t pos = 100;
	char out[4] = { 1, 2, 3, 4 };

	ring_init(8);
	put("abc");
	assert_int_equal(logbuf_read(&lb, &pos, out, sizeof(out)), 0);
	assert_int_equal(out[0], 1);
	assert_true(pos >= lb.head);
}

/* ---------------------------------------------------------------- oversized writes */

static void test_write_larger_than_ring(void **state)
{
	uint64_t pos = 0;

	ring_init(8);
	put("0123456789abcdefghij");	/* 20 bytes */
	assert_int_equal(lb.head, 20);
	expect_read(&pos, 64, "cdefghij", 20);
	pos = 19;
	expect_read(&pos, 64, "j", 20);
}

static void test_large_write_after_data(void **state)
{
	uint64_t pos = 0;

	ring_init(8);
	put("xyz");
	put("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	assert_int_equal(lb.head, 29);
	expect_read(&pos, 64, "STUVWXYZ", 29);
	put("12");
	pos = 0;
	expect_read(&pos, 64, "UVWXYZ12", 31);
}

static void test_ring_of_one(void **state)
{
	uint64_t pos = 0;

	ring_init(1);
	put("abc");
	expect_read(&pos, 64, "c", 3);
	put("d");
	put("e");
	expect_read(&pos, 64, "e", 5);
}

/* ---------------------------------------------------------------- zero-size ring */

static void test_zero_size(void **state)
{
	char out[4] = { 1, 2, 3, 4 };
	uint64_t pos = 0;

	logbuf_init(&lb, NULL, 0);
	logbuf_write(&lb, "abc", 3);
	logbuf_write(&lb, "", 0);
	assert_int_equal(logbuf_read(&lb, &pos, out, sizeof(out)), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(out[0], 1);
}

/* ---------------------------------------------------------------- random runs */

/* Every byte ever written, for comparison. */
static char stream[STREAM_MAX];
static size_t stream_len;

static void random_write(size_t max_len)
{
	char chunk[3 * RING_MAX];
	size_t n = rng_below(max_len + 1);

	assert_true(n <= sizeof(chunk));
	assert_true(stream_len + n <= sizeof(stream));
	for (size_t i = 0; i < n; i++)
		chunk[i] = (char)(' ' + rng_below(95));
	logbuf_write(&lb, chunk, n);
	memcpy(stream + stream_len, chunk, n);
	stream_len += n;
	assert_int_equal(lb.head, stream_len);
}

/* One chunked read, checked against the reference: it starts at *pos or,
 * if that was overwritten, at the oldest surviving byte. */
static size_t checked_read(uint64_t *pos, size_t max)
{
	char out[OUT_MAX];
	uint64_t oldest = stream_len > lb.size ? stream_len - lb.size : 0;
	uint64_t start = *pos > oldest ? *pos : oldest;
	size_t n = logbuf_read(&lb, pos, out, max);

	assert_int_equal(n, MIN((uint64_t)max, stream_len - start));
	assert_memory_equal(out, stream + start, n);
	assert_int_equal(*pos, start + n);
	return n;
}

/* Writes no bigger than the ring and a reader that drains in small chunks
 * after each: the chunks put back together are exactly the stream. */
static void test_chunks_reassemble_stream(void **state)
{
	static const size_t sizes[] = { 1, 7, 37, 64, RING_MAX };
	static char got[STREAM_MAX];

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		size_t got_len = 0;
		uint64_t pos = 0;
		char out[8];
		size_t n;

		ring_init(sizes[s]);
		stream_len = 0;
		for (int round = 0; round < 400; round++) {
			random_write(sizes[s]);
			while ((n = logbuf_read(&lb, &pos, out, 1 + rng_below(sizeof(out)))) > 0) {
				memcpy(got + got_len, out, n);
				got_len += n;
			}
		}
		assert_int_equal(got_len, stream_len);
		assert_memory_equal(got, stream, stream_len);
		assert_guards();
	}
}

/* Writes of any size (up to three rings) and a reader that often falls
 * behind: every chunk matches the reference at the skipped-to position. */
static void test_lagging_reader(void **state)
{
	static const size_t sizes[] = { 1, 5, 37, RING_MAX };

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		uint64_t pos = 0;

		ring_init(sizes[s]);
		stream_len = 0;
		for (int round = 0; round < 300; round++) {
			random_write(3 * sizes[s]);
			for (size_t reads = rng_below(4); reads > 0; reads--)
				checked_read(&pos, 1 + rng_below(2 * sizes[s]));
		}
		while (checked_read(&pos, 1 + rng_below(sizes[s])) > 0)
			;
		assert_int_equal(pos, stream_len);
		assert_guards();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_then_read),
		cmocka_unit_test(test_independent_readers),
		cmocka_unit_test(test_read_respects_max),
		cmocka_unit_test(test_zero_length_write),
		cmocka_unit_test(test_fill_exactly),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_overwritten_position_skips),
		cmocka_unit_test(test_position_in_future),
		cmocka_unit_test(test_write_larger_than_ring),
		cmocka_unit_test(test_large_write_after_data),
		cmocka_unit_test(test_ring_of_one),
		cmocka_unit_test(test_zero_size),
		cmocka_unit_test(test_chunks_reassemble_stream),
		cmocka_unit_test(test_lagging_reader),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
