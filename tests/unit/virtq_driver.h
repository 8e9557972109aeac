/*
 * A fake guest for the virtio unit tests (test_virtq.c, test_virtio_blk.c,
 * test_virtio_rng.c): DRV_RAM_SIZE bytes of RAM at guest physical 0, read
 * and written through struct guest_access callbacks that refuse anything
 * outside it, and a minimal split-virtqueue driver (virtio 1.2 section
 * 2.7) that lays out rings and descriptors in it the way Linux does.
 */
#ifndef KEEL_TEST_VIRTQ_DRIVER_H
#define KEEL_TEST_VIRTQ_DRIVER_H

#include <stdlib.h>
#include <string.h>

#include "kernel/errno.h"
#include "vmm/virtq.h"

#define DRV_RAM_SIZE	(4u << 20)
/* Ring layout for queues of up to 1024 entries. */
#define DRV_DESC	0x1000ULL	/* 16 KiB */
#define DRV_AVAIL	0x5000ULL	/* 6 + 2 * 1024 */
#define DRV_USED	0x6000ULL	/* 6 + 8 * 1024 */
#define DRV_INDIRECT	0x10000ULL	/* indirect tables, 8 KiB apart */
#define DRV_RINGS_END	0x20000ULL
#define DRV_DATA	0x100000ULL	/* buffers from here to the end */

struct drv {
	uint8_t *ram;
	struct guest_access mem;
	uint16_t size;
	uint16_t avail_idx;		/* the driver's next avail->idx */
	unsigned faults;		/* accesses refused */
	/* Called after every successful device write, to play a driver
	 * running on another vCPU meanwhile. */
	void (*on_write)(struct drv *d, uint64_t gpa, size_t len);
	void *priv;
};

static inline bool drv_in_ram(uint64_t gpa, size_t len)
{
	return gpa <= DRV_RAM_SIZE && len <= DRV_RAM_SIZE - gpa;
}

static inline int drv_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct drv *d = ctx;

	if (!drv_in_ram(gpa, len)) {
		d->faults++;
		return -E_FAULT;
	}
	memcpy(dst, d->ram + gpa, len);
	return 0;
}

static inline int drv_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct drv *d = ctx;

	if (!drv_in_ram(gpa, len)) {
		d->faults++;
		return -E_FAULT;
	}
	memcpy(d->ram + gpa, src, len);
	if (d->on_write)
		d->on_write(d, gpa, len);
	return 0;
}

static inline void drv_init(struct drv *d, uint16_t size)
{
	memset(d, 0, sizeof(*d));
	d->ram = calloc(1, DRV_RAM_SIZE);
	d->mem.ctx = d;
	d->mem.read = drv_read;
	d->mem.write = drv_write;
	d->size = size;
}

static inline void drv_free(struct drv *d)
{
	free(d->ram);
	d->ram = NULL;
}

static inline void drv_w16(struct drv *d, uint64_t gpa, uint16_t v)
{
	d->ram[gpa] = (uint8_t)v;
	d->ram[gpa + 1] = (uint8_t)(v >> 8);
}

static inline void drv_w32(struct drv *d, uint64_t gpa, uint32_t v)
{
	drv_w16(d, gpa, (uint16_t)v);
	drv_w16(d, gpa + 2, (uint16_t)(v >> 16));
}

static inline void drv_w64(struct drv *d, uint64_t gpa, uint64_t v)
{
	drv_w32(d, gpa, (uint32_t)v);
	drv_w32(d, gpa + 4, (uint32_t)(v >> 32));
}

static inline uint16_t drv_r16(const struct drv *d, uint64_t gpa)
{
	return (uint16_t)(d->ram[gpa] | d->ram[gpa + 1] << 8);
}

static inline uint32_t drv_r32(const struct drv *d, uint64_t gpa)
{
	return drv_r16(d, gpa) | (uint32_t)drv_r16(d, gpa + 2) << 16;
}

/* Descriptor i of the table at 'table' (DRV_DESC or an indirect one). */
static inline void drv_desc(struct drv *d, uint64_t table, uint32_t i, uint64_t addr,
			    uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t p = table + 16ULL * i;

	drv_w64(d, p, addr);
	drv_w32(d, p + 8, len);
	drv_w16(d, p + 12, flags);
	drv_w16(d, p + 14, next);
}

static inline void drv_set_avail_idx(struct drv *d, uint16_t idx)
{
	d->avail_idx = idx;
	drv_w16(d, DRV_AVAIL + 2, idx);
}

/* Make chain 'head' available (2.7.13): ring entry, then the index. */
static inline void drv_publish(struct drv *d, uint16_t head)
{
	drv_w16(d, DRV_AVAIL + 4 + 2ULL * (d->avail_idx & (d->size - 1)), head);
	drv_set_avail_idx(d, (uint16_t)(d->avail_idx + 1));
}

static inline void drv_avail_flags(struct drv *d, uint16_t flags)
{
	drv_w16(d, DRV_AVAIL, flags);
}

/* used_event, the last field of the available ring (2.7.7). */
static inline void drv_used_event(struct drv *d, uint16_t v)
{
	drv_w16(d, DRV_AVAIL + 4 + 2ULL * d->size, v);
}

/* avail_event, the last field of the used ring (2.7.10). */
static inline uint16_t drv_avail_event(const struct drv *d)
{
	return drv_r16(d, DRV_USED + 4 + 8ULL * d->size);
}

static inline uint16_t drv_used_idx(const struct drv *d)
{
	return drv_r16(d, DRV_USED + 2);
}

static inline void drv_used_elem(const struct drv *d, uint16_t n, uint32_t *id, uint32_t *len)
{
	uint64_t p = DRV_USED + 4 + 8ULL * (n & (d->size - 1));

	*id = drv_r32(d, p);
	*len = drv_r32(d, p + 4);
}

/* Forget every ring and the driver's index. */
static inline void drv_clear_rings(struct drv *d)
{
	memset(d->ram, 0, DRV_RINGS_END);
	d->avail_idx = 0;
}

/* Program 'q' the way the transport does for this driver. */
static inline void drv_program(struct drv *d, struct virtq *q)
{
	q->size = d->size;
	q->desc_addr = DRV_DESC;
	q->avail_addr = DRV_AVAIL;
	q->used_addr = DRV_USED;
	q->ready = virtq_check_layout(q) == 0;
}

#endif
