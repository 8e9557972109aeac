/*
 * virtio-rng, the entropy device: virtio 1.2 (OASIS) section 5.4. One
 * request queue of device-writable buffers (5.4.2, 5.4.6); no feature
 * bits of its own and no configuration space (5.4.3, 5.4.4).
 *
 * Each chain gets min(its writable bytes, VRNG_MAX_REQ) bytes from the
 * 'fill' callback (5.4.6.1 lets the device use less than the whole
 * buffer); the used length says how many. Readable descriptors, which a
 * driver should not send, are ignored.
 *
 * Locking: notify() calls 'fill' with the queue's lock held, so 'fill'
 * must not call back into this device; the transport's callbacks are
 * called after the lock is released.
 *
 * Pure code: built hosted for tests/unit/test_virtio_rng.c.
 */
#ifndef KEEL_VMM_VIRTIO_RNG_H
#define KEEL_VMM_VIRTIO_RNG_H

#include "kernel/klib.h"
#include "vmm/virtio.h"
#include "vmm/virtq.h"

#define VRNG_QUEUE_MAX		64
#define VRNG_MAX_REQ		4096	/* bytes of entropy per request */

struct vrng {
	struct virtq vq;
	const struct virtio_transport *t;
	void (*fill)(void *ctx, void *buf, size_t len);
	void *fill_ctx;
	uint64_t features;	/* accepted by the driver */
	/* Statistics: written under vq.lock, read without it. */
	uint64_t requests, bytes;
	uint64_t errors;	/* buffers not written (no writable byte, not RAM) */
	uint64_t bad_rings;	/* malformed rings (NEEDS_RESET asked) */
	struct virtq_chain chain;	/* the request being served (vq.lock) */
	uint8_t buf[VRNG_MAX_REQ];	/* (vq.lock) */
};

void vrng_init(struct vrng *r, const struct guest_access *mem, const struct virtio_transport *t,
	       void (*fill)(void *ctx, void *buf, size_t len), void *fill_ctx);

/* The transport's view; dev pointer = struct vrng *. */
extern const struct virtio_dev_ops vrng_ops;

#endif
