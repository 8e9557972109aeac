/* Unit tests for virtio-rng (vmm/virtio_rng.c), virtio 1.2 section 5.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/virtio_rng.h"
#include "tests/unit/virtq_driver.h"

#define VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define R		0
#define W		VIRTQ_DESC_F_WRITE
#define N		VIRTQ_DESC_F_NEXT
#define BUF(n)		(DRV_DATA + 0x4000ULL * (n))

struct fx {
	struct drv d;
	struct vrng r;
	struct virtio_transport t;
	unsigned irqs, resets, fills;
	uint8_t next;		/* the "entropy": a counting sequence */
	size_t last_fill;
};

static void on_irq(void *ctx, uint16_t idx)
{
	struct fx *f = ctx;

	assert_int_equal(idx, 0);
	f->irqs++;
}

static void on_needs_reset(void *ctx)
{
	struct fx *f = ctx;

	f->resets++;
}

static void fill(void *ctx, void *buf, size_t len)
{
	struct fx *f = ctx;
	uint8_t *p = buf;

	f->fills++;
	f->last_fill = len;
	for (size_t i = 0; i < len; i++)
		p[i] = f->next++;
}

static void start(struct fx *f)
{
	assert_int_equal(vrng_ops.set_features(&f->r, VERSION_1), 0);
	drv_program(&f->d, vrng_ops.queue(&f->r, 0));
	assert_true(f->r.vq.ready);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	drv_init(&f->d, 8);
	f->t = (struct virtio_transport){ f, on_irq, on_needs_reset };
	vrng_init(&f->r, &f->d.mem, &f->t, fill, f);
	f->next = 1;
	start(f);
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

/* Publish 'head', kick, return the used length of the one chain back. */
static uint32_t kick(struct fx *f, uint16_t head)
{
	uint16_t before = drv_used_idx(&f->d);
	uint32_t id, len;

	drv_publish(&f->d, head);
	vrng_ops.notify(&f->r, 0);
	assert_int_equal(drv_used_idx(&f->d), (uint16_t)(before + 1));
	drv_used_elem(&f->d, before, &id, &len);
	assert_int_equal(id, head);
	return len;
}

static void expect_sequence(struct fx *f, uint64_t gpa, size_t len, uint8_t first)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(f->d.ram[gpa + i], (uint8_t)(first + i));
}

static void test_ops(void **state)
{
	struct fx *f = *state;
	uint64_t v = 0x1234;

	assert_int_equal(vrng_ops.device_id, VIRTIO_ID_RNG);
	assert_int_equal(vrng_ops.nr_queues, 1);
	assert_int_equal(vrng_ops.config_size, 0);
	assert_true(vrng_ops.queue_max > 0);
	assert_int_equal(vrng_ops.features(&f->r), VERSION_1);
	assert_int_not_equal(vrng_ops.set_features(&f->r, 0), 0);
	assert_int_not_equal(vrng_ops.set_features(&f->r, VERSION_1 | (1ULL << VIRTIO_F_INDIRECT_DESC)), 0);
	assert_int_equal(vrng_ops.set_features(&f->r, VERSION_1), 0);
	assert_null(vrng_ops.queue(&f->r, 1));
	vrng_ops.config_read(&f->r, 0, 4, &v);
	assert_int_equal(v, 0);
}

static void test_fills_buffer(void **state)
{
	struct fx *f = *state;

	memset(f->d.ram + BUF(0), 0, 128);
	drv_desc(&f->d, DRV_DESC, 2, BUF(0), 64, W, 0);
	assert_int_equal(kick(f, 2), 64);
	expect_sequence(f, BUF(0), 64, 1);
	assert_int_equal(f->d.ram[BUF(0) + 64], 0);
	assert_int_equal(f->irqs, 1);
	assert_int_equal(f->r.requests, 1);
	assert_int_equal(f->r.bytes, 64);

	/* Several writable pieces; readable ones are left alone. */
	memset(f->d.ram + BUF(1), 0xcc, 16);
	drv_desc(&f->d, DRV_DESC, 0, BUF(1), 16, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, BUF(2), 100, W | N, 3);
	drv_desc(&f->d, DRV_DESC, 3, BUF(3), 50, W, 0);
	assert_int_equal(kick(f, 0), 150);
	assert_int_equal(f->d.ram[BUF(1)], 0xcc);
	expect_sequence(f, BUF(2), 100, 65);
	expect_sequence(f, BUF(3), 50, 165);
}

static void test_cap(void **state)
{
	struct fx *f = *state;

	memset(f->d.ram + BUF(0), 0, 3 * VRNG_MAX_REQ);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 3 * VRNG_MAX_REQ, W, 0);
	assert_int_equal(kick(f, 0), VRNG_MAX_REQ);
	assert_int_equal(f->last_fill, VRNG_MAX_REQ);
	expect_sequence(f, BUF(0), VRNG_MAX_REQ, 1);
	assert_int_equal(f->d.ram[BUF(0) + VRNG_MAX_REQ], 0);

	/* A huge buffer outside RAM costs no more than the cap. */
	drv_desc(&f->d, DRV_DESC, 1, 0x100000000ULL, 0xffffffffu, W, 0);
	f->fills = 0;
	assert_int_equal(kick(f, 1), 0);
	assert_int_equal(f->last_fill, VRNG_MAX_REQ);
	assert_int_equal(f->r.errors, 1);
	assert_int_equal(f->resets, 0);
}

static void test_nothing_writable(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 32, R, 0);
	assert_int_equal(kick(f, 0), 0);
	assert_int_equal(f->fills, 0);
	assert_int_equal(f->r.errors, 1);
	assert_int_equal(f->resets, 0);
}

static void test_bad_ring_and_reset(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 8, W | N, 0);	/* self-loop */
	drv_publish(&f->d, 0);
	vrng_ops.notify(&f->r, 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->irqs, 0);
	assert_int_equal(f->r.bad_rings, 1);
	vrng_ops.notify(&f->r, 0);
	assert_int_equal(f->resets, 1);

	vrng_ops.reset(&f->r);
	assert_false(f->r.vq.ready);
	drv_clear_rings(&f->d);
	start(f);
	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 8, W, 0);
	assert_int_equal(kick(f, 0), 8);
}

/* A driver that re-publishes each buffer as soon as it is used. */
static void republish(struct drv *d, uint64_t gpa, size_t len)
{
	if (gpa == DRV_USED + 2)
		drv_publish(d, 0);
}

static void test_bounded_per_kick(void **state)
{
	struct fx *f = *state;

	drv_desc(&f->d, DRV_DESC, 0, BUF(0), 16, W, 0);
	f->d.on_write = republish;
	drv_publish(&f->d, 0);
	vrng_ops.notify(&f->r, 0);
	f->d.on_write = NULL;
	assert_int_equal(f->fills, 8);		/* one queue's worth */
	assert_int_equal(drv_used_idx(&f->d), 8);
	assert_int_equal(f->irqs, 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ops),
		T(test_fills_buffer),
		T(test_cap),
		T(test_nothing_writable),
		T(test_bad_ring_and_reset),
		T(test_bounded_per_kick),
	};
#undef T

	return cmocka_run_group_tests_name("virtio_rng", tests, NULL, NULL);
}
