/* Unit tests for split virtqueues (vmm/virtq.c), virtio 1.2 section 2.7:
 * chains as Linux builds them, index wrap-around, indirect tables, and
 * the hostile rings a malicious driver can build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/virtq.h"
#include "tests/unit/virtq_driver.h"
#include "tests/unit/test_rng.h"

#define F_INDIRECT	(1ULL << VIRTIO_F_INDIRECT_DESC)
#define F_EVENT_IDX	(1ULL << VIRTIO_F_EVENT_IDX)
#define R		0
#define W		VIRTQ_DESC_F_WRITE
#define N		VIRTQ_DESC_F_NEXT
#define I		VIRTQ_DESC_F_INDIRECT
#define BUF(n)		(DRV_DATA + 0x1000ULL * (n))
#define ITAB(n)		(DRV_INDIRECT + 0x2000ULL * (n))

struct fx {
	struct drv d;
	struct virtq q;
	struct virtq_chain c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	drv_init(&f->d, 8);
	virtq_init(&f->q, &f->d.mem);
	drv_program(&f->d, &f->q);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	drv_free(&f->d);
	free(f);
	return 0;
}

/* A new queue of 'size' entries with 'features', as after a device reset. */
static void fresh(struct fx *f, uint16_t size, uint64_t features)
{
	virtq_reset(&f->q);
	assert_int_equal(f->q.size, 0);
	assert_false(f->q.ready);
	drv_clear_rings(&f->d);
	f->d.size = size;
	f->d.on_write = NULL;
	virtq_set_features(&f->q, features);
	drv_program(&f->d, &f->q);
	assert_true(f->q.ready);
}

/* The queue rejects what was published with 'err', then stays idle even
 * when a good chain follows, until it is reset. */
static void expect_broken(struct fx *f, int err)
{
	assert_int_equal(virtq_pop(&f->q, &f->c), err);
	assert_true(f->q.broken);
	drv_desc(&f->d, DRV_DESC, f->d.size - 1, BUF(0), 1, W, 0);
	drv_publish(&f->d, f->d.size - 1);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(virtq_push(&f->q, 0, 0), -E_INVAL);
}

/* Publish a chain made of the single descriptor 0 and expect 'err'. */
static void expect_head0_error(struct fx *f, int err)
{
	drv_publish(&f->d, 0);
	expect_broken(f, err);
}

static void check_chain_invariants(const struct virtq_chain *c, uint16_t size)
{
	uint64_t rd = 0, wr = 0;

	assert_true(c->head < size);
	assert_true(c->nr_segs <= VIRTQ_MAX_SEGS);
	assert_true(c->nr_readable <= c->nr_segs);
	for (unsigned i = 0; i < c->nr_segs; i++) {
		const struct virtq_seg *s = &c->seg[i];

		assert_true(s->len > 0);
		assert_true(s->gpa <= UINT64_MAX - (s->len - 1));
		assert_int_equal(s->writable, i >= c->nr_readable);
		if (s->writable)
			wr += s->len;
		else
			rd += s->len;
	}
	assert_true(rd == c->readable && wr == c->writable);
	assert_true(rd <= VIRTQ_MAX_CHAIN_BYTES && wr <= VIRTQ_MAX_CHAIN_BYTES);
}

/* ---------------------------------------------------------------- layout */

static void test_check_layout(void **state)
{
	struct virtq q;

	virtq_init(&q, NULL);
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);	/* size 0 */
	q.size = 256;
	q.desc_addr = 0x1000;
	q.avail_addr = 0x2002;
	q.used_addr = 0x3004;
	assert_int_equal(virtq_check_layout(&q), 0);
	q.size = 1;
	assert_int_equal(virtq_check_layout(&q), 0);
	q.size = 32768;
	assert_int_equal(virtq_check_layout(&q), 0);
	for (unsigned bad = 3; bad < 65536; bad += 1000)
		if (bad & (bad - 1)) {
			q.size = (uint16_t)bad;
			assert_int_equal(virtq_check_layout(&q), -E_INVAL);
		}
	q.size = 65535;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
	q.size = 8;
	q.desc_addr = 0x1008;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
	q.desc_addr = 0x1000;
	q.avail_addr = 0x2001;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
	q.avail_addr = 0x2000;
	q.used_addr = 0x3002;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
	q.used_addr = 0x3000;
	assert_int_equal(virtq_check_layout(&q), 0);

	/* Rings may end exactly at 2^64, not past it. */
	q.size = 1;
	q.desc_addr = UINT64_MAX - 15;
	assert_int_equal(virtq_check_layout(&q), 0);
	q.size = 2;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
	q.desc_addr = 0x1000;
	q.size = 1;
	q.avail_addr = UINT64_MAX - 7;		/* 8 bytes for size 1 */
	assert_int_equal(virtq_check_layout(&q), 0);
	q.avail_addr = UINT64_MAX - 5;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
	q.avail_addr = 0x2000;
	q.used_addr = UINT64_MAX - 15;		/* 14 bytes for size 1 */
	assert_int_equal(virtq_check_layout(&q), 0);
	q.used_addr = UINT64_MAX - 11;
	assert_int_equal(virtq_check_layout(&q), -E_INVAL);
}

/* A transport that sets 'ready' without checking gets nothing from a
 * bad layout. */
static void test_pop_checks_layout(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, W, 0);
	drv_publish(&f->d, 0);
	f->q.size = 6;
	expect_broken(f, -E_INVAL);
}

static void test_not_ready(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, W, 0);
	drv_publish(&f->d, 0);
	f->q.ready = false;
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(virtq_push(&f->q, 0, 0), -E_INVAL);
	assert_false(virtq_should_interrupt(&f->q));
	f->q.ready = true;
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
}

/* ---------------------------------------------------------------- good chains */

static void test_simple_chain(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64], st = 0x5a;
	uint32_t id, len;

	for (unsigned i = 0; i < 200; i++)
		f->d.ram[BUF(1) + i] = (uint8_t)i;
	/* A virtio-blk write as Linux sends it: header, data, status. */
	drv_desc(&f->d, DRV_DESC, 3, BUF(0), 16, R | N, 5);
	drv_desc(&f->d, DRV_DESC, 5, BUF(1), 100, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, BUF(2), 1, W, 0);
	drv_desc(&f->d, DRV_DESC, 6, BUF(3), 8, W, 0);
	drv_publish(&f->d, 3);
	drv_publish(&f->d, 6);

	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	check_chain_invariants(&f->c, 8);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr_segs, 3);
	assert_int_equal(f->c.nr_readable, 2);
	assert_int_equal(f->c.readable, 116);
	assert_int_equal(f->c.writable, 1);
	assert_int_equal(f->c.seg[1].gpa, BUF(1));
	assert_int_equal(f->c.seg[1].len, 100);
	assert_true(f->c.seg[2].writable);

	/* Reads and writes by byte offset, across segments. */
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 10, buf, 20), 0);
	assert_memory_equal(buf, f->d.ram + BUF(0) + 10, 6);
	assert_memory_equal(buf + 6, f->d.ram + BUF(1), 14);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 115, buf, 1), 0);
	assert_int_equal(buf[0], 99);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 116, buf, 1), -E_RANGE);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 0, buf, 117), -E_RANGE);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, UINT64_MAX, buf, 2), -E_RANGE);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 116, buf, 0), 0);
	assert_int_equal(virtq_chain_write(&f->q, &f->c, 0, &st, 1), 0);
	assert_int_equal(f->d.ram[BUF(2)], 0x5a);
	assert_int_equal(virtq_chain_write(&f->q, &f->c, 1, &st, 1), -E_RANGE);

	assert_int_equal(virtq_push(&f->q, f->c.head, 1), 0);
	assert_int_equal(drv_used_idx(&f->d), 1);
	drv_used_elem(&f->d, 0, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 1);

	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.head, 6);
	assert_int_equal(f->c.nr_readable, 0);
	assert_int_equal(f->c.writable, 8);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(virtq_push(&f->q, 6, 8), 0);
	assert_int_equal(drv_used_idx(&f->d), 2);
	drv_used_elem(&f->d, 1, &id, &len);
	assert_int_equal(id, 6);
	assert_int_equal(len, 8);
	assert_int_equal(virtq_push(&f->q, 8, 0), -E_INVAL);	/* head >= size */
	assert_int_equal(drv_used_idx(&f->d), 2);
}

/* The 16-bit indexes run over 65535 -> 0 on both rings. */
static void test_index_wraparound(void **state)
{
	struct fx *f = *state;
	uint32_t id, len;

	f->q.last_avail = f->q.used_idx = 65533;
	drv_w16(&f->d, DRV_USED + 2, 65533);
	drv_set_avail_idx(&f->d, 65533);
	for (uint16_t i = 0; i < 6; i++) {
		drv_desc(&f->d, DRV_DESC, i, BUF(i), 10 + i, W, 0);
		drv_publish(&f->d, i);
	}
	assert_int_equal(drv_r16(&f->d, DRV_AVAIL + 2), 3);
	for (uint16_t i = 0; i < 6; i++) {
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
		assert_int_equal(f->c.head, i);
		assert_int_equal(f->c.writable, 10 + i);
		assert_int_equal(virtq_push(&f->q, i, 10 + i), 0);
	}
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->q.last_avail, 3);
	assert_int_equal(drv_used_idx(&f->d), 3);
	for (uint16_t i = 0; i < 6; i++) {
		drv_used_elem(&f->d, (uint16_t)(65533 + i), &id, &len);
		assert_int_equal(id, i);
		assert_int_equal(len, 10 + i);
	}
}

/* Exactly 'size' entries outstanding is allowed. */
static void test_full_ring(void **state)
{
	struct fx *f = *state;

	for (uint16_t i = 0; i < 8; i++) {
		drv_desc(&f->d, DRV_DESC, i, BUF(i), 1, W, 0);
		drv_publish(&f->d, i);
	}
	for (uint16_t i = 0; i < 8; i++)
		assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
}

static void test_indirect_chain(void **state)
{
	struct fx *f = *state;
	uint8_t buf[4];

	fresh(f, 8, F_INDIRECT);
	/* Entries linked out of order; the pointer's own WRITE flag is
	 * ignored (2.7.5.3.2). */
	drv_desc(&f->d, ITAB(0), 0, BUF(0), 16, R | N, 2);
	drv_desc(&f->d, ITAB(0), 2, BUF(1), 512, R | N, 1);
	drv_desc(&f->d, ITAB(0), 1, BUF(2), 1, W, 0);
	drv_desc(&f->d, DRV_DESC, 4, ITAB(0), 48, I | W, 0);
	drv_publish(&f->d, 4);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	check_chain_invariants(&f->c, 8);
	assert_int_equal(f->c.head, 4);
	assert_int_equal(f->c.nr_segs, 3);
	assert_int_equal(f->c.readable, 528);
	assert_int_equal(f->c.writable, 1);
	assert_int_equal(f->c.seg[1].gpa, BUF(1));

	/* Direct descriptors followed by an indirect table (2.7.5.3.2). */
	f->d.ram[BUF(5)] = 0x77;
	drv_desc(&f->d, DRV_DESC, 0, BUF(4), 16, R | N, 7);
	drv_desc(&f->d, DRV_DESC, 7, ITAB(1), 32, I, 0);
	drv_desc(&f->d, ITAB(1), 0, BUF(5), 4, R | N, 1);
	drv_desc(&f->d, ITAB(1), 1, BUF(6), 2, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.head, 0);
	assert_int_equal(f->c.nr_segs, 3);
	assert_int_equal(f->c.nr_readable, 2);
	assert_int_equal(f->c.readable, 20);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 16, buf, 4), 0);
	assert_int_equal(buf[0], 0x77);

	/* 256 entries, the most a table may hold. */
	for (unsigned i = 0; i < 256; i++)
		drv_desc(&f->d, ITAB(2), i, BUF(i % 64), 1, R | (i < 255 ? N : 0), (uint16_t)(i + 1));
	drv_desc(&f->d, DRV_DESC, 1, ITAB(2), 256 * 16, I, 0);
	drv_publish(&f->d, 1);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr_segs, 256);
	assert_int_equal(f->c.readable, 256);
}

static void test_zero_length_descriptors(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 0, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, BUF(1), 10, R | N, 2);
	drv_desc(&f->d, DRV_DESC, 2, 0xdead0000000ULL, 0, W | N, 3);	/* not RAM: no matter */
	drv_desc(&f->d, DRV_DESC, 3, BUF(3), 5, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	check_chain_invariants(&f->c, 8);
	assert_int_equal(f->c.nr_segs, 2);
	assert_int_equal(f->c.readable, 10);
	assert_int_equal(f->c.writable, 5);

	/* They still obey the order rule. */
	drv_desc(&f->d, DRV_DESC, 4, BUF(1), 10, W | N, 5);
	drv_desc(&f->d, DRV_DESC, 5, BUF(2), 0, R, 0);
	drv_publish(&f->d, 4);
	expect_broken(f, -E_INVAL);
}

/* ---------------------------------------------------------------- hostile rings */

static void test_loops(void **state)
{
	struct fx *f = *state;

	/* Self-loop. */
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, R | N, 0);
	expect_head0_error(f, -E_INVAL);

	/* Self-loop of empty descriptors. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 0, R | N, 0);
	expect_head0_error(f, -E_INVAL);

	/* Two-cycle. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, BUF(1), 1, R | N, 0);
	expect_head0_error(f, -E_INVAL);

	/* A cycle through all 256 descriptors. */
	fresh(f, 256, 0);
	for (unsigned i = 0; i < 256; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(0), 1, W | N, (uint16_t)((i + 1) % 256));
	expect_head0_error(f, -E_INVAL);

	/* A cycle inside an indirect table. */
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, ITAB(0), 0, BUF(0), 1, R | N, 1);
	drv_desc(&f->d, ITAB(0), 1, BUF(0), 1, R | N, 2);
	drv_desc(&f->d, ITAB(0), 2, BUF(0), 1, R | N, 0);
	drv_desc(&f->d, DRV_DESC, 0, ITAB(0), 48, I, 0);
	expect_head0_error(f, -E_INVAL);

	/* Reset brings the queue back. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
}

static void test_bad_indexes(void **state)
{
	struct fx *f = *state;

	/* Head out of range. */
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, W, 0);
	drv_publish(&f->d, 8);
	expect_broken(f, -E_INVAL);

	fresh(f, 8, 0);
	drv_publish(&f->d, 0xffff);
	expect_broken(f, -E_INVAL);

	/* Next out of range. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, R | N, 8);
	expect_head0_error(f, -E_INVAL);

	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, R | N, 0xffff);
	expect_head0_error(f, -E_INVAL);

	/* Next out of an indirect table (3 entries, next = 3). */
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, ITAB(0), 0, BUF(0), 1, R | N, 3);
	drv_desc(&f->d, ITAB(0), 3, BUF(0), 1, R, 0);
	drv_desc(&f->d, DRV_DESC, 0, ITAB(0), 48, I, 0);
	expect_head0_error(f, -E_INVAL);
}

static void test_avail_idx_jumps(void **state)
{
	struct fx *f = *state;

	for (uint16_t i = 0; i < 8; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(i), 1, W, 0);
	drv_set_avail_idx(&f->d, 9);		/* size + 1 ahead */
	expect_broken(f, -E_INVAL);

	/* Going backwards looks like 65535 entries ahead. */
	fresh(f, 8, 0);
	for (uint16_t i = 0; i < 8; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(i), 1, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	drv_set_avail_idx(&f->d, 0);
	expect_broken(f, -E_INVAL);
}

static void test_outside_ram(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8];

	/* Descriptor table not RAM. */
	f->q.desc_addr = DRV_RAM_SIZE;
	drv_publish(&f->d, 0);
	expect_broken(f, -E_FAULT);

	/* Available ring not RAM. */
	fresh(f, 8, 0);
	f->q.avail_addr = 0x10000000000ULL;
	assert_int_equal(virtq_pop(&f->q, &f->c), -E_FAULT);
	assert_true(f->q.broken);

	/* Indirect table not RAM, or running off its end. */
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, DRV_DESC, 0, 0x8000000000ULL, 32, I, 0);
	expect_head0_error(f, -E_FAULT);
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, DRV_RAM_SIZE - 16, 0, BUF(0), 1, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 0, DRV_RAM_SIZE - 16, 32, I, 0);
	expect_head0_error(f, -E_FAULT);

	/* Buffers outside RAM pass the pop; the copies then fail. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, DRV_RAM_SIZE - 4, 8, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x4000000000ULL, 8, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 0, buf, 4), 0);
	assert_int_equal(virtq_chain_read(&f->q, &f->c, 0, buf, 8), -E_FAULT);
	assert_int_equal(virtq_chain_write(&f->q, &f->c, 0, buf, 1), -E_FAULT);
	assert_false(f->q.broken);

	/* Used ring not RAM: the push fails and the queue is broken. */
	f->q.used_addr = 0x20000000000ULL;
	assert_int_equal(virtq_push(&f->q, 0, 0), -E_FAULT);
	assert_true(f->q.broken);
}

static void test_address_wrap(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, UINT64_MAX - 10, 100, R, 0);
	expect_head0_error(f, -E_INVAL);

	/* Ending exactly at 2^64 is representable; the copy then faults. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, UINT64_MAX - 99, 100, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_chain_write(&f->q, &f->c, 99, "x", 1), -E_FAULT);

	/* An indirect table that wraps. */
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, DRV_DESC, 0, UINT64_MAX - 15, 32, I, 0);
	expect_head0_error(f, -E_INVAL);
}

static void test_length_sums(void **state)
{
	struct fx *f = *state;

	/* Two readable halves of 4 GiB. */
	drv_desc(&f->d, DRV_DESC, 0, 0x100000000ULL, 0x80000000u, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x200000000ULL, 0x80000000u, R, 0);
	expect_head0_error(f, -E_RANGE);

	/* The totals are per direction: 4 GiB - 1 each way is fine. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, 0x100000000ULL, 0xffffffffu, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x200000000ULL, 0xffffffffu, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.readable, 0xffffffffu);
	assert_int_equal(f->c.writable, 0xffffffffu);

	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 0, 0x100000000ULL, 0x7fffffffu, W | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x200000000ULL, 0x7fffffffu, W | N, 2);
	drv_desc(&f->d, DRV_DESC, 2, 0x300000000ULL, 2, W, 0);
	expect_head0_error(f, -E_RANGE);
}

static void test_readable_after_writable(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 16, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, BUF(1), 1, W | N, 2);
	drv_desc(&f->d, DRV_DESC, 2, BUF(2), 16, R, 0);
	expect_head0_error(f, -E_INVAL);

	/* Also across the switch to an indirect table. */
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, W | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, ITAB(0), 16, I, 0);
	drv_desc(&f->d, ITAB(0), 0, BUF(1), 1, R, 0);
	expect_head0_error(f, -E_INVAL);
}

static void test_indirect_hostile(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint32_t len;
		uint16_t flags;
		int err;
	} bad[] = {
		{ 32, I | N, -E_INVAL },	/* INDIRECT with NEXT */
		{ 0, I, -E_INVAL },
		{ 17, I, -E_INVAL },
		{ 24, I, -E_INVAL },
		{ 257 * 16, I, -E_RANGE },	/* more entries than we take */
		{ 0xfffffff0u, I, -E_RANGE },
	};

	/* Not negotiated. */
	drv_desc(&f->d, ITAB(0), 0, BUF(0), 1, W, 0);
	drv_desc(&f->d, DRV_DESC, 0, ITAB(0), 16, I, 0);
	expect_head0_error(f, -E_INVAL);

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		fresh(f, 8, F_INDIRECT);
		drv_desc(&f->d, ITAB(0), 0, BUF(0), 1, W, 0);
		drv_desc(&f->d, ITAB(0), 1, BUF(0), 1, W, 0);
		drv_desc(&f->d, DRV_DESC, 0, ITAB(0), bad[i].len, bad[i].flags, 1);
		drv_desc(&f->d, DRV_DESC, 1, BUF(1), 1, W, 0);
		expect_head0_error(f, bad[i].err);
	}

	/* Nested: an indirect entry inside a table. */
	fresh(f, 8, F_INDIRECT);
	drv_desc(&f->d, ITAB(1), 0, BUF(0), 1, W, 0);
	drv_desc(&f->d, ITAB(0), 0, ITAB(1), 16, I, 0);
	drv_desc(&f->d, DRV_DESC, 0, ITAB(0), 16, I, 0);
	expect_head0_error(f, -E_INVAL);
}

static void test_chain_too_long(void **state)
{
	struct fx *f = *state;

	/* 256 direct descriptors in a queue of 512: the most we take. */
	fresh(f, 512, 0);
	for (unsigned i = 0; i < 256; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(0), 1, R | (i < 255 ? N : 0), (uint16_t)(i + 1));
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.nr_segs, 256);

	/* 257: legal for the spec, beyond our limit. */
	fresh(f, 512, 0);
	for (unsigned i = 0; i < 257; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(0), 1, R | (i < 256 ? N : 0), (uint16_t)(i + 1));
	expect_head0_error(f, -E_RANGE);

	/* Direct and indirect descriptors count together. */
	fresh(f, 512, F_INDIRECT);
	for (unsigned i = 0; i < 200; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(0), 1, R | N, (uint16_t)(i + 1));
	drv_desc(&f->d, DRV_DESC, 200, ITAB(0), 100 * 16, I, 0);
	for (unsigned i = 0; i < 100; i++)
		drv_desc(&f->d, ITAB(0), i, BUF(0), 1, W | (i < 99 ? N : 0), (uint16_t)(i + 1));
	expect_head0_error(f, -E_RANGE);
}

/* ---------------------------------------------------------------- interrupts */

static void test_no_interrupt_flag(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 1, W, 0);
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(virtq_push(&f->q, 0, 1), 0);
	assert_true(virtq_should_interrupt(&f->q));
	drv_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(virtq_should_interrupt(&f->q));
	drv_avail_flags(&f->d, 0);
	assert_true(virtq_should_interrupt(&f->q));
}

static void test_event_idx(void **state)
{
	struct fx *f = *state;

	fresh(f, 8, F_EVENT_IDX);
	for (uint16_t i = 0; i < 8; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(i), 1, W, 0);
	/* An empty ring asks for a kick at the next entry. */
	drv_publish(&f->d, 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(drv_avail_event(&f->d), 0);
	assert_int_equal(virtq_pop(&f->q, &f->c), 0);
	assert_int_equal(drv_avail_event(&f->d), 1);

	/* The first decision always interrupts. */
	assert_int_equal(virtq_push(&f->q, 0, 1), 0);
	drv_used_event(&f->d, 0);
	assert_true(virtq_should_interrupt(&f->q));
	/* used_event = 1: interrupt once entry 1 is used. */
	drv_used_event(&f->d, 1);
	assert_int_equal(virtq_push(&f->q, 1, 1), 0);
	assert_true(virtq_should_interrupt(&f->q));
	/* used_event = 4: not for entries 2 and 3, then for 4. */
	drv_used_event(&f->d, 4);
	assert_int_equal(virtq_push(&f->q, 2, 1), 0);
	assert_false(virtq_should_interrupt(&f->q));
	assert_int_equal(virtq_push(&f->q, 3, 1), 0);
	assert_false(virtq_should_interrupt(&f->q));
	assert_int_equal(virtq_push(&f->q, 4, 1), 0);
	assert_true(virtq_should_interrupt(&f->q));
	/* Several at once: one decision covering entries 5 and 6. */
	drv_used_event(&f->d, 5);
	assert_int_equal(virtq_push(&f->q, 5, 1), 0);
	assert_int_equal(virtq_push(&f->q, 6, 1), 0);
	assert_true(virtq_should_interrupt(&f->q));
	/* NO_INTERRUPT does not count with EVENT_IDX (2.7.7.2). */
	drv_used_event(&f->d, 7);
	drv_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_push(&f->q, 7, 1), 0);
	assert_true(virtq_should_interrupt(&f->q));
}

/* The driver adds an entry on another vCPU just as we write
 * avail_event: the second look must find it. */
static void add_on_avail_event(struct drv *d, uint64_t gpa, size_t len)
{
	if (gpa == DRV_USED + 4 + 8ULL * d->size) {
		d->on_write = NULL;
		drv_publish(d, 2);
	}
}

static void test_event_idx_race(void **state)
{
	struct fx *f = *state;

	fresh(f, 8, F_EVENT_IDX);
	drv_desc(&f->d, DRV_DESC, 2, BUF(2), 1, W, 0);
	f->d.on_write = add_on_avail_event;
	assert_int_equal(virtq_pop(&f->q, &f->c), 1);
	assert_int_equal(f->c.head, 2);
}

/* ---------------------------------------------------------------- serve */

static unsigned handled;

/* A driver that puts a new chain in the ring for each one we finish. */
static uint32_t refill(void *dev, const struct virtq_chain *c)
{
	struct fx *f = dev;

	handled++;
	drv_publish(&f->d, c->head);
	return c->head;
}

static void test_serve_bounded(void **state)
{
	struct fx *f = *state;
	uint32_t id, len;
	unsigned r;

	for (uint16_t i = 0; i < 8; i++)
		drv_desc(&f->d, DRV_DESC, i, BUF(i), 1, W, 0);
	drv_publish(&f->d, 5);
	handled = 0;
	r = virtq_serve(&f->q, &f->c, refill, f);
	assert_int_equal(r, VIRTQ_SERVED_IRQ);
	assert_int_equal(handled, 8);		/* one queue's worth */
	assert_int_equal(drv_used_idx(&f->d), 8);
	drv_used_elem(&f->d, 7, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, 5);

	/* Nothing to do: no interrupt. */
	fresh(f, 8, 0);
	assert_int_equal(virtq_serve(&f->q, &f->c, refill, f), 0);

	/* Suppressed interrupt. */
	drv_desc(&f->d, DRV_DESC, 1, BUF(1), 1, W, 0);
	drv_publish(&f->d, 1);
	drv_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
	handled = 0;
	assert_int_equal(virtq_serve(&f->q, &f->c, refill, f), 0);
	assert_int_equal(handled, 8);

	/* A bad ring: broken, and whatever was pushed is still signalled. */
	fresh(f, 8, 0);
	drv_desc(&f->d, DRV_DESC, 1, BUF(1), 1, W, 0);
	drv_publish(&f->d, 1);
	drv_publish(&f->d, 9);
	assert_int_equal(virtq_serve(&f->q, &f->c, refill, f),
			 VIRTQ_SERVED_IRQ | VIRTQ_SERVED_BROKEN);
}

/* ---------------------------------------------------------------- fuzz */

static uint64_t random_addr(void)
{
	switch (rng_below(8)) {
	case 0:
		return rng();
	case 1:
		return UINT64_MAX - rng_below(64);
	case 2:
		return DRV_RAM_SIZE - rng_below(64);
	default:
		return DRV_DATA + rng_below(DRV_RAM_SIZE - DRV_DATA);
	}
}

static uint32_t random_len(void)
{
	switch (rng_below(8)) {
	case 0:
		return (uint32_t)rng();
	case 1:
		return 0;
	case 2:
		return 0x80000000u + (uint32_t)rng_below(16);
	default:
		return (uint32_t)rng_below(8192);
	}
}

static void random_table(struct fx *f, uint64_t table, unsigned n, uint16_t next_range)
{
	static const uint16_t flags[] = { 0, N, W, N | W, N, N | W, I, I | N };

	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = random_addr();
		uint32_t len = random_len();
		uint16_t fl = flags[rng_below(ARRAY_SIZE(flags))];

		if ((fl & I) && rng_below(2)) {
			addr = ITAB(rng_below(4));
			len = 16 * (uint32_t)rng_below(300);
		}
		drv_desc(&f->d, table, i, addr, len, fl, (uint16_t)rng_below(next_range));
	}
}

static void test_fuzz(void **state)
{
	struct fx *f = *state;
	unsigned chains = 0, errors = 0;

	for (unsigned round = 0; round < 3000; round++) {
		uint16_t size = (uint16_t)(1u << rng_below(9));
		uint64_t feat = (rng_below(2) ? F_INDIRECT : 0) | (rng_below(2) ? F_EVENT_IDX : 0);
		unsigned n;

		fresh(f, size, feat);
		random_table(f, DRV_DESC, size, (uint16_t)(size + 2));
		for (unsigned t = 0; t < 4; t++)
			random_table(f, ITAB(t), 300, 310);
		n = (unsigned)rng_below(size + 2u);
		for (unsigned i = 0; i < n; i++)
			drv_publish(&f->d, (uint16_t)rng_below(size + 1u));
		if (!rng_below(16))
			drv_set_avail_idx(&f->d, (uint16_t)rng());
		for (unsigned i = 0; i < size + 2u; i++) {
			int ret = virtq_pop(&f->q, &f->c);

			if (ret == 0)
				break;
			if (ret < 0) {
				assert_true(ret == -E_INVAL || ret == -E_RANGE || ret == -E_FAULT);
				assert_int_equal(virtq_pop(&f->q, &f->c), 0);
				errors++;
				break;
			}
			assert_int_equal(ret, 1);
			check_chain_invariants(&f->c, size);
			assert_int_equal(virtq_push(&f->q, f->c.head, 0), 0);
			chains++;
		}
	}
	/* The generator hits both sides. */
	assert_true(chains > 500);
	assert_true(errors > 1000);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_layout),
		T(test_pop_checks_layout),
		T(test_not_ready),
		T(test_simple_chain),
		T(test_index_wraparound),
		T(test_full_ring),
		T(test_indirect_chain),
		T(test_zero_length_descriptors),
		T(test_loops),
		T(test_bad_indexes),
		T(test_avail_idx_jumps),
		T(test_outside_ram),
		T(test_address_wrap),
		T(test_length_sums),
		T(test_readable_after_writable),
		T(test_indirect_hostile),
		T(test_chain_too_long),
		T(test_no_interrupt_flag),
		T(test_event_idx),
		T(test_event_idx_race),
		T(test_serve_bounded),
		T(test_fuzz),
	};
#undef T

	return cmocka_run_group_tests_name("virtq", tests, NULL, NULL);
}
