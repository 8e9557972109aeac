/*
 * virtio-blk, the block device: virtio 1.2 (OASIS) section 5.2 (feature
 * bits 5.2.3, configuration layout 5.2.4, requests 5.2.6).
 *
 * The disk is an image the domain's configuration directory supplies
 * (read-only, possibly shared by several domains) under a copy-on-write
 * overlay that lives in memory for the life of the domain: the first
 * write to a VBLK_CHUNK-sized piece copies that piece of the image into a
 * chunk from 'store', and from then on the chunk is the disk there. An
 * image whose size is not a multiple of 512 loses its tail: the device
 * shows only whole sectors.
 *
 * One request queue. Requests: IN, OUT, FLUSH (a no-op: nothing is
 * cached on the way to memory), GET_ID; anything else is answered
 * VIRTIO_BLK_S_UNSUPP. A request whose data length is not a multiple of
 * 512, is longer than VBLK_MAX_DATA, reaches past the capacity, writes a
 * read-only disk or needs a chunk the store cannot give is answered
 * VIRTIO_BLK_S_IOERR; the domain keeps running. A chain with no writable
 * byte (nowhere to put the status) is given back with nothing written.
 * A malformed ring makes the device ask for NEEDS_RESET (vmm/virtq.h).
 *
 * Features offered: VERSION_1, INDIRECT_DESC, SIZE_MAX, SEG_MAX,
 * BLK_SIZE, FLUSH, and RO for a read-only disk. Not EVENT_IDX: notify()
 * does at most a queue's worth of requests per kick, which is only safe
 * when every batch the driver adds comes with its own kick.
 *
 * Locking: notify() holds the queue's lock while it processes requests
 * (virtq_serve); it calls store->alloc under it, and the transport's
 * callbacks after releasing it. The statistics are written under it (or
 * atomically) and read without it.
 *
 * Pure code: built hosted for tests/unit/test_virtio_blk.c.
 */
#ifndef KEEL_VMM_VIRTIO_BLK_H
#define KEEL_VMM_VIRTIO_BLK_H

#include "kernel/klib.h"
#include "vmm/virtio.h"
#include "vmm/virtq.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX	1
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_HDR_SIZE	16	/* le32 type, le32 reserved, le64 sector */
#define VIRTIO_BLK_ID_BYTES	20

/* Configuration space (5.2.4): offsets of the fields we fill. */
#define VBLK_CFG_CAPACITY	0	/* le64, in 512-byte sectors */
#define VBLK_CFG_SIZE_MAX	8	/* le32 */
#define VBLK_CFG_SEG_MAX	12	/* le32 */
#define VBLK_CFG_GEOMETRY	16	/* le16 cylinders, u8 heads, u8 sectors */
#define VBLK_CFG_BLK_SIZE	20	/* le32 */
#define VBLK_CFG_TOPOLOGY	24	/* u8, u8, le16, le32 */
#define VBLK_CFG_WRITEBACK	32	/* u8, then u8 unused, le16 num_queues */
#define VBLK_CONFIG_SIZE	36

#define VBLK_SECTOR		512
#define VBLK_QUEUE_MAX		256
/* The header and the status take a segment each (5.2.6). */
#define VBLK_SEG_MAX		(VIRTQ_MAX_SEGS - 2)
#define VBLK_SIZE_MAX		(64 * 1024)
/* Linux never sends more than seg_max segments of size_max bytes; this
 * bounds the work one request can ask for. */
#define VBLK_MAX_DATA		((uint64_t)VBLK_SEG_MAX * VBLK_SIZE_MAX)
#define VBLK_CHUNK		(64 * 1024)	/* overlay granule */
#define VBLK_SERIAL_DEFAULT	"keel-vda"

/* Where overlay memory comes from: alloc returns zeroed memory or NULL. */
struct vblk_store {
	void *ctx;
	void *(*alloc)(void *ctx, size_t bytes);
	void (*free)(void *ctx, void *p, size_t bytes);
};

struct vblk_stats {
	uint64_t reads, writes, flushes;	/* requests completed OK */
	uint64_t bytes_read, bytes_written;
	uint64_t errors;	/* answered IOERR or UNSUPP, or without a status */
	uint64_t nomem;		/* of which: the store had no chunk */
	uint64_t bad_rings;	/* malformed rings (NEEDS_RESET asked) */
};

struct vblk {
	struct virtq vq;
	const struct virtio_transport *t;
	struct vblk_store store;
	const uint8_t *image;
	uint64_t capacity;	/* sectors */
	bool readonly;
	uint64_t features;	/* accepted by the driver */
	uint8_t **chunks;	/* overlay: one pointer per VBLK_CHUNK, or NULL */
	uint64_t nr_chunks;
	uint64_t overlay_bytes;	/* memory held by chunks */
	char serial[VIRTIO_BLK_ID_BYTES];	/* zero padded, maybe unterminated */
	uint8_t config[VBLK_CONFIG_SIZE];	/* little-endian, built at init */
	struct vblk_stats stats;
	struct virtq_chain chain;	/* the request being processed (vq.lock) */
};

/* Returns 0, -E_INVAL (no image bytes for a nonzero size, missing
 * callbacks) or -E_NOMEM (the chunk table). 'image' must stay valid, and
 * unchanged, until vblk_destroy. */
int vblk_init(struct vblk *b, const struct guest_access *mem, const struct virtio_transport *t,
	      const uint8_t *image, uint64_t image_size, bool readonly,
	      const struct vblk_store *store);
/* The GET_ID string (at most 20 bytes kept); before the driver starts. */
void vblk_set_serial(struct vblk *b, const char *serial);
/* Free the overlay; no queue may be processed any more. */
void vblk_destroy(struct vblk *b);

/* The transport's view; dev pointer = struct vblk *. */
extern const struct virtio_dev_ops vblk_ops;

#endif
