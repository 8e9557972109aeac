/*
 * Split virtqueues, device side: virtio 1.2 (OASIS) section 2.7 (the
 * descriptor table 2.7.5, indirect descriptors 2.7.5.3, the available
 * ring 2.7.6, the used ring 2.7.8, notification suppression 2.7.7 and
 * 2.7.10) and 2.7.13 (how a device processes a queue).
 *
 * Every ring lives in guest RAM and is reached only through
 * struct guest_access copies; every field read from it is hostile. A
 * descriptor is copied once, then validated, then used: the guest may
 * rewrite its rings at any time without changing what Keel already
 * decided. A driver error that the device cannot make sense of (a
 * malformed chain, rings outside RAM) makes virtq_pop() fail once; the
 * device then asks its transport for NEEDS_RESET and the queue yields
 * nothing until it is reset.
 *
 * Limits (the spec allows more; Linux never needs more):
 * - a chain holds at most VIRTQ_MAX_SEGS descriptors, counting those of an
 *   indirect table (but not the descriptor that points at the table);
 * - an indirect table holds at most VIRTQ_MAX_SEGS entries;
 * - the readable bytes of a chain, and its writable bytes, each sum to at
 *   most VIRTQ_MAX_CHAIN_BYTES (the used ring's length is 32 bits).
 * Zero-length descriptors are accepted (2.7.5 does not forbid them); they
 * count towards VIRTQ_MAX_SEGS and the ordering rule but add no segment.
 *
 * Locking: q->lock serialises everything that touches the rings.
 * virtq_pop/virtq_push/virtq_should_interrupt expect it held; a device
 * normally calls virtq_serve, which holds it around all three and lets
 * the device call its transport after releasing it. virtq_reset and
 * virtq_set_features take it themselves.
 *
 * Pure code: built hosted for tests/unit/test_virtq.c.
 */
#ifndef KEEL_VMM_VIRTQ_H
#define KEEL_VMM_VIRTQ_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/virtio.h"

#define VIRTQ_MAX_SIZE		32768	/* largest queue size (2.7) */
#define VIRTQ_MAX_SEGS		256
#define VIRTQ_MAX_CHAIN_BYTES	0xffffffffULL

/* struct virtq_desc (2.7.5): le64 addr, le32 len, le16 flags, le16 next. */
#define VIRTQ_DESC_SIZE		16
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4

/* struct virtq_avail (2.7.6): le16 flags, le16 idx, le16 ring[size],
 * le16 used_event (with EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
/* struct virtq_used (2.7.8): le16 flags, le16 idx,
 * {le32 id, le32 len} ring[size], le16 avail_event (with EVENT_IDX). */
#define VIRTQ_USED_F_NO_NOTIFY		1
#define VIRTQ_USED_ELEM_SIZE		8

/* Ring sizes in bytes for a queue of 'size' entries (2.7, table of
 * alignments and sizes). */
#define VIRTQ_DESC_BYTES(size)	(16ULL * (size))
#define VIRTQ_AVAIL_BYTES(size)	(6ULL + 2ULL * (size))
#define VIRTQ_USED_BYTES(size)	(6ULL + 8ULL * (size))

/* One guest buffer of a chain. */
struct virtq_seg {
	uint64_t gpa;
	uint32_t len;		/* never 0 */
	bool writable;		/* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* A descriptor chain as virtq_pop found it: the readable segments first,
 * then the writable ones. About 4 KiB: keep it in the device's struct,
 * not on the stack. */
struct virtq_chain {
	uint16_t head;		/* descriptor index to give back to virtq_push */
	uint16_t nr_segs;
	uint16_t nr_readable;	/* seg[0 .. nr_readable) are readable */
	uint64_t readable;	/* total bytes of the readable segments */
	uint64_t writable;	/* total bytes of the writable segments */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	/* Set by the transport while the queue is not ready (the driver
	 * programs them, 4.1.4.3); read by the device under 'lock'. */
	uint16_t size;		/* power of 2, <= 32768; 0 = not configured */
	bool ready;		/* the driver enabled it */
	uint64_t desc_addr, avail_addr, used_addr;	/* guest physical */

	/* Private. */
	spinlock_t lock;
	const struct guest_access *mem;
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */
	bool broken;		/* malformed driver data seen: idle until reset */
	uint16_t last_avail;	/* next available-ring entry to take */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx at the last interrupt decision */
	bool signalled_valid;	/* signalled_used means something */
};

/* Once, before anything else; the queue starts reset. */
void virtq_init(struct virtq *q, const struct guest_access *mem);
/* Back to unconfigured: size 0, not ready, indexes 0, no features.
 * Takes q->lock (waits for a device still processing the queue). */
void virtq_reset(struct virtq *q);
/* 0 if the size is a power of 2 in 1..32768, the rings are aligned
 * (descriptors 16, available 2, used 4) and none wraps past 2^64; else
 * -E_INVAL. The transport calls it before it sets 'ready'. */
int virtq_check_layout(const struct virtq *q);
/* The features the driver accepted (a mask of 1ULL << VIRTIO_F_*): only
 * INDIRECT_DESC and EVENT_IDX matter here. Takes q->lock. */
void virtq_set_features(struct virtq *q, uint64_t features);

/* With q->lock held. Returns 1 and fills 'c' with the next available
 * chain; 0 if none is available (or the queue is not ready, or broken);
 * a negative E_* if the driver's data is malformed (-E_INVAL), beyond
 * the limits above (-E_RANGE), or outside guest RAM (-E_FAULT). After an
 * error the queue is broken: the device should call its transport's
 * needs_reset, and further pops return 0 until virtq_reset. */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/* Copy 'len' bytes at byte offset 'off' of the chain's readable part to
 * 'dst', or 'src' into its writable part. -E_RANGE if [off, off + len)
 * goes past that part, -E_FAULT if guest memory refused (some bytes may
 * have been copied). */
int virtq_chain_read(const struct virtq *q, const struct virtq_chain *c,
		     uint64_t off, void *dst, size_t len);
int virtq_chain_write(const struct virtq *q, const struct virtq_chain *c,
		      uint64_t off, const void *src, size_t len);

/* With q->lock held: give chain 'head' back with 'written' bytes written
 * to its writable part (2.7.8). -E_INVAL for a head >= size, -E_FAULT if
 * the used ring is not RAM (the queue is then broken). */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* With q->lock held, after pushing: does the driver want an interrupt
 * (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX, 2.7.7)? */
bool virtq_should_interrupt(struct virtq *q);

/* A device's notify in one call. Takes q->lock; pops at most q->size
 * chains into 'c' (a driver refilling the ring as fast as we empty it
 * cannot hold the CPU), has 'handle' carry each out under the lock and
 * return its used length, and pushes it. Returns what the device must
 * tell its transport once it holds no lock: VIRTQ_SERVED_IRQ (call
 * queue_interrupt) and/or VIRTQ_SERVED_BROKEN (call needs_reset).
 *
 * Stopping after a queue's worth is safe only without EVENT_IDX: then
 * every batch the driver adds later comes with its own kick, which
 * serves it after us. A device that offers EVENT_IDX must not rely on
 * this bound. */
#define VIRTQ_SERVED_IRQ	1u
#define VIRTQ_SERVED_BROKEN	2u
unsigned virtq_serve(struct virtq *q, struct virtq_chain *c,
		     uint32_t (*handle)(void *dev, const struct virtq_chain *c), void *dev);

#endif
