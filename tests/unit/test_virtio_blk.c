/* Unit tests for virtio-blk (vmm/virtio_blk.c), virtio 1.2 section 5.2:
 * configuration space, requests over the image and its copy-on-write
 * overlay, errors a driver can provoke, and a hostile-ring fuzz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/virtio_blk.h"
#include "tests/unit/virtq_driver.h"
#include "tests/unit/test_rng.h"

#define BIT(n)		(1ULL << (n))
#define R		0
#define W		VIRTQ_DESC_F_WRITE
#define N		VIRTQ_DESC_F_NEXT
#define I		VIRTQ_DESC_F_INDIRECT
#define HDR		DRV_DATA
#define STATUS		(DRV_DATA + 0x100)
#define DATA		(DRV_DATA + 0x1000)
#define ITAB		DRV_INDIRECT
/* 2056 whole sectors (17 overlay chunks, the last one partly used) and
 * a 100-byte tail the guest never sees. */
#define IMAGE_SECTORS	2056
#define IMAGE_SIZE	(IMAGE_SECTORS * 512 + 100)
#define BASE_FEATURES	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_INDIRECT_DESC) | \
			 BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(VIRTIO_BLK_F_SEG_MAX) | \
			 BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH))

struct fx {
	struct drv d;
	struct vblk b;
	uint8_t *image, *pristine;
	struct virtio_transport t;
	struct vblk_store store;
	unsigned irqs, resets;
	long live;		/* store allocations not yet freed */
	int fail_in;		/* allocations left before the store fails; <0 never */
	uint32_t used_len;	/* of the last request */
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

static void *st_alloc(void *ctx, size_t bytes)
{
	struct fx *f = ctx;

	if (f->fail_in == 0)
		return NULL;
	if (f->fail_in > 0)
		f->fail_in--;
	f->live++;
	return calloc(1, bytes);
}

static void st_free(void *ctx, void *p, size_t bytes)
{
	struct fx *f = ctx;

	f->live--;
	free(p);
}

/* The driver's side of initialisation: features, then the queue. */
static void start(struct fx *f, uint64_t features)
{
	struct virtq *q;

	assert_int_equal(vblk_ops.set_features(&f->b, features), 0);
	q = vblk_ops.queue(&f->b, 0);
	assert_ptr_equal(q, &f->b.vq);
	drv_program(&f->d, q);
	assert_true(q->ready);
}

static void init_fx(struct fx *f, bool readonly)
{
	drv_init(&f->d, 16);
	f->image = malloc(IMAGE_SIZE);
	f->pristine = malloc(IMAGE_SIZE);
	for (size_t i = 0; i < IMAGE_SIZE; i++)
		f->image[i] = (uint8_t)(i * 7 + (i >> 9));
	memcpy(f->pristine, f->image, IMAGE_SIZE);
	f->t = (struct virtio_transport){ f, on_irq, on_needs_reset };
	f->store = (struct vblk_store){ f, st_alloc, st_free };
	f->fail_in = -1;
	assert_int_equal(vblk_init(&f->b, &f->d.mem, &f->t, f->image, IMAGE_SIZE, readonly,
				   &f->store), 0);
	start(f, BASE_FEATURES | (readonly ? BIT(VIRTIO_BLK_F_RO) : 0));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	init_fx(f, false);
	*state = f;
	return 0;
}

static int setup_ro(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	init_fx(f, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vblk_destroy(&f->b);
	assert_int_equal(f->live, 0);
	/* The image is never written, whatever the guest did. */
	assert_memory_equal(f->image, f->pristine, IMAGE_SIZE);
	drv_free(&f->d);
	free(f->image);
	free(f->pristine);
	free(f);
	return 0;
}

static void header(struct fx *f, uint32_t type, uint64_t sector)
{
	drv_w32(&f->d, HDR, type);
	drv_w32(&f->d, HDR + 4, 0);
	drv_w64(&f->d, HDR + 8, sector);
}

/* Kick and check that exactly one chain came back; returns its status. */
static uint8_t kick(struct fx *f, uint16_t head)
{
	uint16_t before = drv_used_idx(&f->d);
	uint32_t id;

	f->d.ram[STATUS] = 0xee;
	drv_publish(&f->d, head);
	vblk_ops.notify(&f->b, 0);
	assert_int_equal(drv_used_idx(&f->d), (uint16_t)(before + 1));
	drv_used_elem(&f->d, before, &id, &f->used_len);
	assert_int_equal(id, head);
	return f->d.ram[STATUS];
}

/* A request laid out as Linux does: header, data (if any), status. */
static uint8_t req(struct fx *f, uint32_t type, uint64_t sector, uint32_t len, bool to_guest)
{
	uint16_t s = len ? 2 : 1;

	header(f, type, sector);
	drv_desc(&f->d, DRV_DESC, 0, HDR, 16, R | N, 1);
	if (len)
		drv_desc(&f->d, DRV_DESC, 1, DATA, len, (to_guest ? W : R) | N, 2);
	drv_desc(&f->d, DRV_DESC, s, STATUS, 1, W, 0);
	return kick(f, 0);
}

static uint8_t rd(struct fx *f, uint64_t sector, uint32_t len)
{
	memset(f->d.ram + DATA, 0xcc, len);
	return req(f, VIRTIO_BLK_T_IN, sector, len, true);
}

static uint8_t wr(struct fx *f, uint64_t sector, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		f->d.ram[DATA + i] = (uint8_t)(seed + i * 13);
	return req(f, VIRTIO_BLK_T_OUT, sector, len, false);
}

static uint64_t cfg(struct fx *f, uint32_t off, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	vblk_ops.config_read(&f->b, off, size, &v);
	return v;
}

/* ---------------------------------------------------------------- device */

static void test_ops_and_config(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vblk_ops.device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(vblk_ops.nr_queues, 1);
	assert_int_equal(vblk_ops.queue_max, 256);
	assert_true(vblk_ops.config_size >= 32);
	assert_null(vblk_ops.queue(&f->b, 1));
	assert_int_equal(vblk_ops.features(&f->b), BASE_FEATURES);

	assert_int_equal(cfg(f, VBLK_CFG_CAPACITY, 8), IMAGE_SECTORS);
	assert_int_equal(cfg(f, 0, 4), IMAGE_SECTORS);
	assert_int_equal(cfg(f, 4, 4), 0);
	assert_int_equal(cfg(f, 1, 1), IMAGE_SECTORS >> 8);
	assert_int_equal(cfg(f, 1, 2), IMAGE_SECTORS >> 8);
	assert_int_equal(cfg(f, VBLK_CFG_SIZE_MAX, 4), 65536);
	assert_int_equal(cfg(f, VBLK_CFG_SEG_MAX, 4), VIRTQ_MAX_SEGS - 2);
	assert_int_equal(cfg(f, 8, 8), 65536 | (uint64_t)(VIRTQ_MAX_SEGS - 2) << 32);
	assert_int_equal(cfg(f, VBLK_CFG_GEOMETRY, 4), 0);
	assert_int_equal(cfg(f, VBLK_CFG_BLK_SIZE, 4), 512);
	assert_int_equal(cfg(f, 21, 1), 2);
	assert_int_equal(cfg(f, VBLK_CFG_TOPOLOGY, 8), 0);
	assert_int_equal(cfg(f, VBLK_CFG_WRITEBACK, 4), 0);
	assert_int_equal(cfg(f, vblk_ops.config_size - 1, 8), 0);	/* past the end */
	assert_int_equal(cfg(f, 0xfffffffe, 8), 0);

	/* Read-only fields ignore writes. */
	vblk_ops.config_write(&f->b, 0, 8, 1);
	vblk_ops.config_write(&f->b, VBLK_CFG_WRITEBACK, 1, 1);
	assert_int_equal(cfg(f, 0, 8), IMAGE_SECTORS);
	assert_int_equal(cfg(f, VBLK_CFG_WRITEBACK, 1), 0);
}

static void test_feature_negotiation(void **state)
{
	struct fx *f = *state;

	assert_int_not_equal(vblk_ops.set_features(&f->b, BASE_FEATURES & ~BIT(VIRTIO_F_VERSION_1)), 0);
	assert_int_not_equal(vblk_ops.set_features(&f->b, BASE_FEATURES | BIT(VIRTIO_F_EVENT_IDX)), 0);
	assert_int_not_equal(vblk_ops.set_features(&f->b, BASE_FEATURES | BIT(VIRTIO_BLK_F_RO)), 0);
	assert_int_equal(vblk_ops.set_features(&f->b, BIT(VIRTIO_F_VERSION_1)), 0);
	assert_false(f->b.vq.indirect);
	assert_int_equal(vblk_ops.set_features(&f->b, BASE_FEATURES), 0);
	assert_true(f->b.vq.indirect);
	assert_int_equal(f->b.features, BASE_FEATURES);
}

/* ---------------------------------------------------------------- requests */

static void test_read_from_image(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, 3, 1024), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, f->image + 3 * 512, 1024);
	assert_int_equal(f->used_len, 1025);
	assert_int_equal(f->irqs, 1);
	assert_int_equal(f->b.stats.reads, 1);
	assert_int_equal(f->b.stats.bytes_read, 1024);
	assert_int_equal(f->b.overlay_bytes, 0);

	/* The last sector is there; the partial one after it is not. */
	assert_int_equal(rd(f, IMAGE_SECTORS - 1, 512), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, f->image + (IMAGE_SECTORS - 1) * 512, 512);
	assert_int_equal(rd(f, IMAGE_SECTORS, 512), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->used_len, 1);
	assert_int_equal(rd(f, IMAGE_SECTORS - 1, 1024), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->b.stats.errors, 2);
	assert_int_equal(f->resets, 0);
}

static void test_write_read_round_trip(void **state)
{
	struct fx *f = *state;
	uint8_t expect[5 * 512];

	assert_int_equal(wr(f, 10, 3 * 512, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(f->used_len, 1);
	assert_int_equal(f->b.stats.writes, 1);
	assert_int_equal(f->b.stats.bytes_written, 3 * 512);
	assert_int_equal(f->b.overlay_bytes, VBLK_CHUNK);
	memcpy(expect, f->image + 9 * 512, 512);
	for (unsigned i = 0; i < 3 * 512; i++)
		expect[512 + i] = (uint8_t)(1 + i * 13);
	memcpy(expect + 4 * 512, f->image + 13 * 512, 512);

	/* Sectors 9 and 13 still come from the image (by way of the chunk). */
	assert_int_equal(rd(f, 9, 5 * 512), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, expect, sizeof(expect));
	assert_int_equal(f->used_len, 5 * 512 + 1);
	/* A chunk never written is read from the image. */
	assert_int_equal(rd(f, 1000, 512), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, f->image + 1000 * 512, 512);
	/* Overwrite part of it again. */
	assert_int_equal(wr(f, 11, 512, 99), VIRTIO_BLK_S_OK);
	assert_int_equal(rd(f, 10, 3 * 512), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, expect + 512, 512);
	assert_int_equal(f->d.ram[DATA + 512], 99);
	assert_memory_equal(f->d.ram + DATA + 1024, expect + 3 * 512, 512);
	assert_int_equal(f->b.overlay_bytes, VBLK_CHUNK);
	assert_int_equal(f->live, 2);		/* the table and one chunk */
}

static void test_write_across_chunks_and_tail(void **state)
{
	struct fx *f = *state;
	const uint64_t per_chunk = VBLK_CHUNK / 512;

	assert_int_equal(wr(f, per_chunk - 1, 1024, 7), VIRTIO_BLK_S_OK);
	assert_int_equal(f->b.overlay_bytes, 2 * VBLK_CHUNK);
	assert_int_equal(rd(f, per_chunk - 2, 2048), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, f->image + (per_chunk - 2) * 512, 512);
	assert_int_equal(f->d.ram[DATA + 512], 7);
	assert_int_equal(f->d.ram[DATA + 1024], (uint8_t)(7 + 512 * 13));
	assert_memory_equal(f->d.ram + DATA + 1536, f->image + (per_chunk + 1) * 512, 512);

	/* The last chunk is only partly disk. */
	assert_int_equal(wr(f, IMAGE_SECTORS - 1, 512, 3), VIRTIO_BLK_S_OK);
	assert_int_equal(rd(f, IMAGE_SECTORS - 2, 1024), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, f->image + (IMAGE_SECTORS - 2) * 512, 512);
	assert_int_equal(f->d.ram[DATA + 512], 3);
	assert_int_equal(wr(f, IMAGE_SECTORS, 512, 3), VIRTIO_BLK_S_IOERR);
}

static void test_out_of_range(void **state)
{
	struct fx *f = *state;
	static const uint64_t sectors[] = {
		IMAGE_SECTORS, IMAGE_SECTORS + 1, UINT64_MAX / 512, UINT64_MAX / 512 + 1,
		UINT64_MAX - 1, UINT64_MAX, 1ULL << 55,
	};

	for (unsigned i = 0; i < ARRAY_SIZE(sectors); i++) {
		assert_int_equal(rd(f, sectors[i], 512), VIRTIO_BLK_S_IOERR);
		assert_int_equal(wr(f, sectors[i], 512, 0), VIRTIO_BLK_S_IOERR);
	}
	assert_int_equal(f->b.stats.errors, 2 * ARRAY_SIZE(sectors));
	assert_int_equal(f->b.overlay_bytes, 0);
	assert_int_equal(f->resets, 0);
}

static void test_bad_lengths(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, 0, 100), VIRTIO_BLK_S_IOERR);
	assert_int_equal(wr(f, 0, 513, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(wr(f, 0, 511, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->b.overlay_bytes, 0);

	/* More than a request may carry (the buffers need not even be RAM:
	 * nothing is copied). */
	header(f, VIRTIO_BLK_T_IN, 0);
	drv_desc(&f->d, DRV_DESC, 0, HDR, 16, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x40000000, (uint32_t)VBLK_MAX_DATA + 512, W | N, 2);
	drv_desc(&f->d, DRV_DESC, 2, STATUS, 1, W, 0);
	assert_int_equal(kick(f, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->d.faults, 0);
	header(f, VIRTIO_BLK_T_OUT, 0);
	drv_desc(&f->d, DRV_DESC, 1, 0x40000000, (uint32_t)VBLK_MAX_DATA + 512, R | N, 2);
	assert_int_equal(kick(f, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->d.faults, 0);
	/* Zero-length reads and writes are harmless. */
	assert_int_equal(req(f, VIRTIO_BLK_T_IN, 5, 0, true), VIRTIO_BLK_S_OK);
	assert_int_equal(req(f, VIRTIO_BLK_T_OUT, 5, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(f->b.overlay_bytes, 0);
}

static void test_readonly(void **state)
{
	struct fx *f = *state;

	assert_true(vblk_ops.features(&f->b) & BIT(VIRTIO_BLK_F_RO));
	assert_int_equal(wr(f, 0, 512, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->b.overlay_bytes, 0);
	assert_int_equal(f->b.stats.writes, 0);
	assert_int_equal(rd(f, 0, 512), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, f->image, 512);
	assert_int_equal(req(f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
}

static void test_flush_get_id_unsupported(void **state)
{
	struct fx *f = *state;
	static const uint32_t unsupported[] = { 2, 3, 5, 10, 11, 13, 14, 0x80000000u, 0xffffffffu };
	char id[VIRTIO_BLK_ID_BYTES] = "keel-vda";

	/* FLUSH carries no data; the sector field is ignored. */
	assert_int_equal(req(f, VIRTIO_BLK_T_FLUSH, UINT64_MAX, 0, false), VIRTIO_BLK_S_OK);
	assert_int_equal(f->used_len, 1);
	assert_int_equal(f->b.stats.flushes, 1);

	memset(f->d.ram + DATA, 0xcc, 64);
	assert_int_equal(req(f, VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, id, sizeof(id));
	assert_int_equal(f->used_len, 21);

	vblk_set_serial(&f->b, "0123456789abcdefghijKLMN");
	memset(f->d.ram + DATA, 0xcc, 64);
	assert_int_equal(req(f, VIRTIO_BLK_T_GET_ID, 0, 8, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, "01234567", 8);
	assert_int_equal(f->d.ram[DATA + 8], 0xcc);
	assert_int_equal(f->used_len, 9);
	assert_int_equal(req(f, VIRTIO_BLK_T_GET_ID, 0, 40, true), VIRTIO_BLK_S_OK);
	assert_memory_equal(f->d.ram + DATA, "0123456789abcdefghij", 20);
	assert_int_equal(f->d.ram[DATA + 20], 0xcc);
	assert_int_equal(f->used_len, 21);

	for (unsigned i = 0; i < ARRAY_SIZE(unsupported); i++) {
		assert_int_equal(req(f, unsupported[i], 0, 512, true), VIRTIO_BLK_S_UNSUPP);
		assert_int_equal(f->used_len, 1);
	}
	assert_int_equal(f->b.stats.errors, ARRAY_SIZE(unsupported));
	assert_int_equal(f->resets, 0);
}

static void test_alloc_failure(void **state)
{
	struct fx *f = *state;
	struct vblk *b2 = calloc(1, sizeof(*b2));

	f->fail_in = 0;
	assert_int_equal(wr(f, 0, 512, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->b.stats.nomem, 1);
	assert_int_equal(f->b.overlay_bytes, 0);
	/* The first chunk is given, the second is not. */
	f->fail_in = 1;
	assert_int_equal(wr(f, VBLK_CHUNK / 512 - 1, 1024, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->b.stats.nomem, 2);
	assert_int_equal(f->b.overlay_bytes, VBLK_CHUNK);
	/* The device goes on once memory is back. */
	f->fail_in = -1;
	assert_int_equal(wr(f, 0, 512, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(rd(f, 0, 512), VIRTIO_BLK_S_OK);
	assert_int_equal(f->d.ram[DATA + 1], 14);
	assert_int_equal(f->resets, 0);

	/* No room for the chunk table. */
	f->fail_in = 0;
	assert_int_equal(vblk_init(b2, &f->d.mem, &f->t, f->image, IMAGE_SIZE, false, &f->store),
			 -E_NOMEM);
	f->fail_in = -1;
	free(b2);
}

static void test_init_args(void **state)
{
	struct fx *f = *state;
	struct vblk *b2 = calloc(1, sizeof(*b2));

	assert_int_equal(vblk_init(b2, &f->d.mem, &f->t, NULL, 512, false, &f->store), -E_INVAL);
	assert_int_equal(vblk_init(b2, &f->d.mem, &f->t, f->image, 512, false, NULL), -E_INVAL);
	/* Less than a sector: an empty disk, every I/O out of range. */
	assert_int_equal(vblk_init(b2, &f->d.mem, &f->t, f->image, 511, false, &f->store), 0);
	assert_int_equal(b2->capacity, 0);
	assert_null(b2->chunks);
	vblk_destroy(b2);
	free(b2);
}

static void test_destroy_frees_overlay(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(wr(f, i * 300, 512, (uint8_t)i), VIRTIO_BLK_S_OK);
	assert_int_equal(f->live, 1 + 5);
	vblk_destroy(&f->b);
	assert_int_equal(f->live, 0);
	vblk_destroy(&f->b);		/* twice is harmless */
}

/* The spec lets the driver frame a request any way (2.6.4). */
static void test_any_framing(void **state)
{
	struct fx *f = *state;

	/* Header and data in one readable buffer. */
	header(f, VIRTIO_BLK_T_OUT, 20);
	memset(f->d.ram + HDR + 16, 0xab, 512);
	drv_desc(&f->d, DRV_DESC, 3, HDR, 16 + 512, R | N, 4);
	drv_desc(&f->d, DRV_DESC, 4, STATUS, 1, W, 0);
	assert_int_equal(kick(f, 3), VIRTIO_BLK_S_OK);

	/* Data and status in one writable buffer. */
	header(f, VIRTIO_BLK_T_IN, 20);
	drv_desc(&f->d, DRV_DESC, 5, HDR, 16, R | N, 6);
	drv_desc(&f->d, DRV_DESC, 6, DATA, 513, W, 0);
	f->d.ram[DATA + 512] = 0xee;
	drv_publish(&f->d, 5);
	vblk_ops.notify(&f->b, 0);
	assert_int_equal(f->d.ram[DATA + 512], VIRTIO_BLK_S_OK);
	assert_int_equal(f->d.ram[DATA], 0xab);
	assert_int_equal(f->d.ram[DATA + 511], 0xab);

	/* Indirect, with the data in many small pieces. */
	header(f, VIRTIO_BLK_T_IN, 20);
	drv_desc(&f->d, ITAB, 0, HDR, 8, R | N, 1);
	drv_desc(&f->d, ITAB, 1, HDR + 8, 8, R | N, 2);
	for (unsigned i = 0; i < 8; i++)
		drv_desc(&f->d, ITAB, 2 + i, DATA + 0x100 * i, 64, W | N, (uint16_t)(3 + i));
	drv_desc(&f->d, ITAB, 10, STATUS, 1, W, 0);
	drv_desc(&f->d, DRV_DESC, 7, ITAB, 11 * 16, I, 0);
	memset(f->d.ram + DATA, 0, 0x800);
	assert_int_equal(kick(f, 7), VIRTIO_BLK_S_OK);
	assert_int_equal(f->used_len, 513);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(f->d.ram[DATA + 0x100 * i], 0xab);
		assert_int_equal(f->d.ram[DATA + 0x100 * i + 63], 0xab);
		assert_int_equal(f->d.ram[DATA + 0x100 * i + 64], 0);
	}
}

static void test_malformed_requests(void **state)
{
	struct fx *f = *state;

	/* No writable byte: nowhere for the status; given back empty. */
	header(f, VIRTIO_BLK_T_OUT, 0);
	drv_desc(&f->d, DRV_DESC, 0, HDR, 16 + 512, R, 0);
	assert_int_equal(kick(f, 0), 0xee);
	assert_int_equal(f->used_len, 0);
	assert_int_equal(f->b.overlay_bytes, 0);

	/* A header shorter than 16 bytes. */
	drv_desc(&f->d, DRV_DESC, 0, HDR, 12, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, STATUS, 1, W, 0);
	assert_int_equal(kick(f, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(f->used_len, 1);

	/* Guest buffers outside RAM. */
	header(f, VIRTIO_BLK_T_IN, 0);
	drv_desc(&f->d, DRV_DESC, 0, HDR, 16, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x80000000, 512, W | N, 2);
	drv_desc(&f->d, DRV_DESC, 2, STATUS, 1, W, 0);
	assert_int_equal(kick(f, 0), VIRTIO_BLK_S_IOERR);
	header(f, VIRTIO_BLK_T_OUT, 0);
	drv_desc(&f->d, DRV_DESC, 1, 0x80000000, 512, R | N, 2);
	assert_int_equal(kick(f, 0), VIRTIO_BLK_S_IOERR);
	drv_desc(&f->d, DRV_DESC, 0, 0x80000000, 16, R | N, 1);
	assert_int_equal(kick(f, 0), VIRTIO_BLK_S_IOERR);
	/* Even the status byte: given back with nothing written. */
	drv_desc(&f->d, DRV_DESC, 0, HDR, 16, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, 0x80000000, 1, W, 0);
	assert_int_equal(kick(f, 0), 0xee);
	assert_int_equal(f->used_len, 0);
	assert_int_equal(f->resets, 0);
	assert_int_equal(f->b.stats.errors, 6);
}

static void test_bad_ring_needs_reset(void **state)
{
	struct fx *f = *state;

	assert_int_equal(wr(f, 0, 512, 42), VIRTIO_BLK_S_OK);
	f->irqs = 0;
	/* A good request, then a head out of range. */
	header(f, VIRTIO_BLK_T_FLUSH, 0);
	drv_desc(&f->d, DRV_DESC, 0, HDR, 16, R | N, 1);
	drv_desc(&f->d, DRV_DESC, 1, STATUS, 1, W, 0);
	drv_publish(&f->d, 0);
	drv_publish(&f->d, 16);
	vblk_ops.notify(&f->b, 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->irqs, 1);		/* for the flush */
	assert_int_equal(drv_used_idx(&f->d), 2);
	assert_int_equal(f->b.stats.bad_rings, 1);
	/* Kicks do nothing until reset, and ask nothing more. */
	drv_publish(&f->d, 0);
	vblk_ops.notify(&f->b, 0);
	vblk_ops.notify(&f->b, 1);		/* no such queue */
	assert_int_equal(f->resets, 1);
	assert_int_equal(drv_used_idx(&f->d), 2);

	/* Reset and start again: the disk kept what was written. */
	vblk_ops.reset(&f->b);
	assert_int_equal(f->b.vq.size, 0);
	assert_int_equal(f->b.features, 0);
	drv_clear_rings(&f->d);
	start(f, BASE_FEATURES);
	assert_int_equal(rd(f, 0, 512), VIRTIO_BLK_S_OK);
	assert_int_equal(f->d.ram[DATA], 42);
}

static void test_no_interrupt(void **state)
{
	struct fx *f = *state;

	drv_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(rd(f, 0, 512), VIRTIO_BLK_S_OK);
	assert_int_equal(f->irqs, 0);
	drv_avail_flags(&f->d, 0);
	assert_int_equal(rd(f, 0, 512), VIRTIO_BLK_S_OK);
	assert_int_equal(f->irqs, 1);
	/* A kick with nothing available: no interrupt. */
	vblk_ops.notify(&f->b, 0);
	assert_int_equal(f->irqs, 1);
}

/* Several requests per kick, one interrupt. */
static void test_batch(void **state)
{
	struct fx *f = *state;

	for (uint16_t r = 0; r < 5; r++) {
		uint16_t d0 = (uint16_t)(3 * r);
		uint64_t h = HDR + 0x20 * r;

		drv_w32(&f->d, h, VIRTIO_BLK_T_IN);
		drv_w64(&f->d, h + 8, r);
		drv_desc(&f->d, DRV_DESC, d0, h, 16, R | N, (uint16_t)(d0 + 1));
		drv_desc(&f->d, DRV_DESC, d0 + 1, DATA + 512 * r, 512, W | N, (uint16_t)(d0 + 2));
		drv_desc(&f->d, DRV_DESC, d0 + 2, STATUS + r, 1, W, 0);
		drv_publish(&f->d, d0);
	}
	vblk_ops.notify(&f->b, 0);
	assert_int_equal(drv_used_idx(&f->d), 5);
	assert_int_equal(f->irqs, 1);
	assert_memory_equal(f->d.ram + DATA, f->image, 5 * 512);
	for (unsigned r = 0; r < 5; r++)
		assert_int_equal(f->d.ram[STATUS + r], VIRTIO_BLK_S_OK);
}

/* ---------------------------------------------------------------- fuzz */

static void random_desc(struct fx *f, uint64_t table, unsigned i, unsigned next_range)
{
	static const uint16_t flags[] = { R, R | N, W, W | N, R | N, W | N, I, I | N };
	uint16_t fl = flags[rng_below(ARRAY_SIZE(flags))];
	uint64_t addr = DRV_DATA + rng_below(DRV_RAM_SIZE - DRV_DATA);
	uint32_t len = (uint32_t)rng_below(4096);

	switch (rng_below(10)) {
	case 0:
		addr = rng();
		len = (uint32_t)rng();
		break;
	case 1:
		addr = HDR + 0x20 * rng_below(8);
		len = 16;
		break;
	case 2:
		len = 512 * (uint32_t)rng_below(4);
		break;
	}
	if (fl & I) {
		addr = ITAB;
		len = 16 * (uint32_t)rng_below(20);
	}
	drv_desc(&f->d, table, i, addr, len, fl, (uint16_t)rng_below(next_range));
}

/* Request r: descriptors 3r .. 3r + 2, header at HDR + 0x20 * r, a random
 * type, sector and length. */
static void plausible_request(struct fx *f, uint16_t r)
{
	uint16_t d0 = (uint16_t)(3 * r);
	uint64_t h = HDR + 0x20 * r;
	uint32_t type = (uint32_t)rng_below(10), len = 512 * (uint32_t)rng_below(5);
	uint16_t dir = type == VIRTIO_BLK_T_OUT ? R : W;

	drv_w32(&f->d, h, type);
	drv_w64(&f->d, h + 8, rng_below(8) ? rng_below(IMAGE_SECTORS + 2) : rng());
	if (!rng_below(8))
		len = (uint32_t)rng_below(8192);
	drv_desc(&f->d, DRV_DESC, d0, h, 16, R | N, (uint16_t)(d0 + 1));
	drv_desc(&f->d, DRV_DESC, d0 + 1, DATA + rng_below(DRV_RAM_SIZE - DATA - 8192), len,
		 dir | N, (uint16_t)(d0 + 2));
	drv_desc(&f->d, DRV_DESC, d0 + 2, STATUS + r, 1, W, 0);
}

static void test_fuzz_hostile_rings(void **state)
{
	struct fx *f = *state;
	unsigned broken = 0;

	for (unsigned round = 0; round < 4000; round++) {
		uint16_t used_before = drv_used_idx(&f->d);
		unsigned resets_before = f->resets, n;

		/* Five plausible requests, then random damage. */
		for (uint16_t r = 0; r < 5; r++)
			plausible_request(f, r);
		for (unsigned i = 0; i < 20; i++)
			random_desc(f, ITAB, i, 22);
		n = (unsigned)rng_below(5);
		for (unsigned i = 0; i < n; i++)
			random_desc(f, DRV_DESC, (unsigned)rng_below(16), 18);
		n = (unsigned)rng_below(6);
		for (unsigned i = 0; i < n; i++)
			drv_publish(&f->d, (uint16_t)(rng_below(8) ? 3 * rng_below(5) : rng_below(17)));
		if (!rng_below(50))
			drv_set_avail_idx(&f->d, (uint16_t)rng());
		vblk_ops.notify(&f->b, 0);

		/* At most a queue's worth came back, each with a valid head. */
		assert_true((uint16_t)(drv_used_idx(&f->d) - used_before) <= 16);
		for (uint16_t u = used_before; u != drv_used_idx(&f->d); u++) {
			uint32_t id, len;

			drv_used_elem(&f->d, u, &id, &len);
			assert_true(id < 16);
			assert_true(len <= VBLK_MAX_DATA + 1);
		}
		assert_true(f->resets - resets_before <= 1);
		if (f->b.vq.broken || !rng_below(200)) {
			broken += f->b.vq.broken;
			vblk_ops.reset(&f->b);
			drv_clear_rings(&f->d);
			start(f, rng_below(2) ? BASE_FEATURES : BIT(VIRTIO_F_VERSION_1));
		}
	}
	assert_int_equal(f->resets, broken);
	assert_true(broken > 100);
	assert_true(f->b.stats.reads > 200 && f->b.stats.writes > 200);
	assert_true(f->b.stats.errors > 500);
	assert_true(f->b.overlay_bytes <= f->b.nr_chunks * VBLK_CHUNK);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ops_and_config),
		T(test_feature_negotiation),
		T(test_read_from_image),
		T(test_write_read_round_trip),
		T(test_write_across_chunks_and_tail),
		T(test_out_of_range),
		T(test_bad_lengths),
		cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
		T(test_flush_get_id_unsupported),
		T(test_alloc_failure),
		T(test_init_args),
		T(test_destroy_frees_overlay),
		T(test_any_framing),
		T(test_malformed_requests),
		T(test_bad_ring_needs_reset),
		T(test_no_interrupt),
		T(test_batch),
		T(test_fuzz_hostile_rings),
	};
#undef T

	return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
