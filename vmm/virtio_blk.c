/*
 * virtio-blk (virtio 1.2 section 5.2): configuration space, feature
 * negotiation, and the request queue over a read-only image with an
 * in-memory copy-on-write overlay. The contract is in vmm/virtio_blk.h.
 *
 * A request (5.2.6) is framed by byte offsets, not by descriptors (the
 * spec lets the driver split it anyhow, 2.6.4): the 16-byte header is the
 * start of the readable part, OUT data the rest of it; IN data is the
 * writable part but its last byte, which is the status.
 */
#include "kernel/errno.h"
#include "vmm/virtio_blk.h"

#define BIT(n)	(1ULL << (n))

typedef uint8_t (*vblk_req_fn)(struct vblk *b, uint64_t sector, uint32_t *written);

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* 5.2.4; geometry, topology and writeback stay 0: not offered. */
static void build_config(struct vblk *b)
{
	memset(b->config, 0, sizeof(b->config));
	put_le(b->config + VBLK_CFG_CAPACITY, b->capacity, 8);
	put_le(b->config + VBLK_CFG_SIZE_MAX, VBLK_SIZE_MAX, 4);
	put_le(b->config + VBLK_CFG_SEG_MAX, VBLK_SEG_MAX, 4);
	put_le(b->config + VBLK_CFG_BLK_SIZE, VBLK_SECTOR, 4);
}

void vblk_set_serial(struct vblk *b, const char *serial)
{
	memset(b->serial, 0, sizeof(b->serial));
	memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
}

int vblk_init(struct vblk *b, const struct guest_access *mem, const struct virtio_transport *t,
	      const uint8_t *image, uint64_t image_size, bool readonly,
	      const struct vblk_store *store)
{
	const uint64_t per_chunk = VBLK_CHUNK / VBLK_SECTOR;
	size_t table_bytes;

	if (!mem || !t || !store || !store->alloc || !store->free || (image_size && !image))
		return -E_INVAL;
	memset(b, 0, sizeof(*b));
	virtq_init(&b->vq, mem);
	b->t = t;
	b->store = *store;
	b->image = image;
	b->readonly = readonly;
	b->capacity = image_size / VBLK_SECTOR;	/* a partial last sector is not shown */
	b->nr_chunks = b->capacity / per_chunk + (b->capacity % per_chunk != 0);
	if (b->nr_chunks) {
		if (b->nr_chunks > SIZE_MAX / sizeof(*b->chunks))
			return -E_NOMEM;
		table_bytes = b->nr_chunks * sizeof(*b->chunks);
		b->chunks = store->alloc(store->ctx, table_bytes);
		if (!b->chunks)
			return -E_NOMEM;
		memset(b->chunks, 0, table_bytes);
	}
	vblk_set_serial(b, VBLK_SERIAL_DEFAULT);
	build_config(b);
	return 0;
}

void vblk_destroy(struct vblk *b)
{
	if (!b->chunks)
		return;
	for (uint64_t i = 0; i < b->nr_chunks; i++)
		if (b->chunks[i])
			b->store.free(b->store.ctx, b->chunks[i], VBLK_CHUNK);
	b->store.free(b->store.ctx, b->chunks, b->nr_chunks * sizeof(*b->chunks));
	b->chunks = NULL;
	b->nr_chunks = 0;
	b->overlay_bytes = 0;
}

/* ---------------------------------------------------------------- data */

/* The chunk that holds disk byte ci * VBLK_CHUNK on, made writable: the
 * first write copies the image's bytes for it (the last chunk may be
 * partly past the capacity; those bytes are never read). */
static uint8_t *chunk_for_write(struct vblk *b, uint64_t ci)
{
	uint64_t start = ci * VBLK_CHUNK;
	uint8_t *p = b->chunks[ci];

	if (p)
		return p;
	p = b->store.alloc(b->store.ctx, VBLK_CHUNK);
	if (!p) {
		b->stats.nomem++;
		return NULL;
	}
	memcpy(p, b->image + start, (size_t)MIN((uint64_t)VBLK_CHUNK,
						b->capacity * VBLK_SECTOR - start));
	b->chunks[ci] = p;
	b->overlay_bytes += VBLK_CHUNK;
	return p;
}

/* Disk bytes [pos, pos + len) to the chain's writable part from offset 0. */
static int disk_read(struct vblk *b, uint64_t pos, uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		uint64_t ci = pos / VBLK_CHUNK, in = pos % VBLK_CHUNK;
		size_t n = (size_t)MIN(len - off, VBLK_CHUNK - in);
		const uint8_t *src = b->chunks[ci] ? b->chunks[ci] + in : b->image + pos;
		int err = virtq_chain_write(&b->vq, &b->chain, off, src, n);

		if (err)
			return err;
		pos += n;
		off += n;
	}
	return 0;
}

/* The chain's readable part after the header to disk bytes [pos, pos + len). */
static int disk_write(struct vblk *b, uint64_t pos, uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		uint64_t ci = pos / VBLK_CHUNK, in = pos % VBLK_CHUNK;
		size_t n = (size_t)MIN(len - off, VBLK_CHUNK - in);
		uint8_t *dst = chunk_for_write(b, ci);
		int err;

		if (!dst)
			return -E_NOMEM;
		err = virtq_chain_read(&b->vq, &b->chain, VIRTIO_BLK_HDR_SIZE + off, dst + in, n);
		if (err)
			return err;
		pos += n;
		off += n;
	}
	return 0;
}

/* 5.2.6.1: whole sectors, inside the disk; and our own bound per request. */
static bool data_ok(const struct vblk *b, uint64_t sector, uint64_t len)
{
	if (len % VBLK_SECTOR || len > VBLK_MAX_DATA)
		return false;
	return sector <= b->capacity && len / VBLK_SECTOR <= b->capacity - sector;
}

/* ---------------------------------------------------------------- requests */

static uint8_t req_in(struct vblk *b, uint64_t sector, uint32_t *written)
{
	uint64_t len = b->chain.writable - 1;

	if (!data_ok(b, sector, len) || disk_read(b, sector * VBLK_SECTOR, len))
		return VIRTIO_BLK_S_IOERR;
	*written = (uint32_t)len;
	b->stats.reads++;
	b->stats.bytes_read += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t req_out(struct vblk *b, uint64_t sector, uint32_t *written)
{
	uint64_t len = b->chain.readable - VIRTIO_BLK_HDR_SIZE;

	if (b->readonly || !data_ok(b, sector, len) ||
	    disk_write(b, sector * VBLK_SECTOR, len))
		return VIRTIO_BLK_S_IOERR;
	b->stats.writes++;
	b->stats.bytes_written += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t req_flush(struct vblk *b, uint64_t sector, uint32_t *written)
{
	b->stats.flushes++;
	return VIRTIO_BLK_S_OK;
}

/* 5.2.6: the ID string, zero padded to 20 bytes; a shorter buffer gets
 * what fits. */
static uint8_t req_get_id(struct vblk *b, uint64_t sector, uint32_t *written)
{
	size_t n = (size_t)MIN(b->chain.writable - 1, (uint64_t)VIRTIO_BLK_ID_BYTES);

	if (virtq_chain_write(&b->vq, &b->chain, 0, b->serial, n))
		return VIRTIO_BLK_S_IOERR;
	*written = (uint32_t)n;
	return VIRTIO_BLK_S_OK;
}

static const vblk_req_fn vblk_reqs[] = {
	[VIRTIO_BLK_T_IN] = req_in,
	[VIRTIO_BLK_T_OUT] = req_out,
	[VIRTIO_BLK_T_FLUSH] = req_flush,
	[VIRTIO_BLK_T_GET_ID] = req_get_id,
};

/* Carry out b->chain; returns the used length (bytes written to it). */
static uint32_t vblk_request(struct vblk *b)
{
	const struct virtq_chain *c = &b->chain;
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE], status = VIRTIO_BLK_S_IOERR;
	uint32_t written = 0;
	uint64_t type;
	bool reported;

	if (c->writable == 0) {		/* nowhere to say what happened */
		b->stats.errors++;
		return 0;
	}
	if (virtq_chain_read(&b->vq, c, 0, hdr, sizeof(hdr)) == 0) {
		type = get_le(hdr, 4);
		status = VIRTIO_BLK_S_UNSUPP;
		if (type < ARRAY_SIZE(vblk_reqs) && vblk_reqs[type])
			status = vblk_reqs[type](b, get_le(hdr + 8, 8), &written);
	}
	reported = virtq_chain_write(&b->vq, c, c->writable - 1, &status, 1) == 0;
	if (status != VIRTIO_BLK_S_OK || !reported)
		b->stats.errors++;
	if (!reported)
		return 0;
	return written + 1;	/* the request functions set it only on success */
}

/* ---------------------------------------------------------------- transport ops */

static uint64_t vblk_features(void *dev)
{
	struct vblk *b = dev;
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_INDIRECT_DESC) |
		BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(VIRTIO_BLK_F_SEG_MAX) |
		BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH);

	return b->readonly ? f | BIT(VIRTIO_BLK_F_RO) : f;
}

static int vblk_set_features(void *dev, uint64_t accepted)
{
	struct vblk *b = dev;

	if (accepted & ~vblk_features(dev))
		return -E_INVAL;
	if (!(accepted & BIT(VIRTIO_F_VERSION_1)))	/* no legacy interface */
		return -E_NOTSUP;
	b->features = accepted;
	virtq_set_features(&b->vq, accepted);
	return 0;
}

static void vblk_config_read(void *dev, uint32_t off, unsigned size, uint64_t *val)
{
	struct vblk *b = dev;
	uint64_t v = 0;

	for (unsigned i = 0; i < size && i < 8; i++)
		if ((uint64_t)off + i < VBLK_CONFIG_SIZE)
			v |= (uint64_t)b->config[off + i] << (8 * i);
	*val = v;
}

/* Every field we show is read-only (writeback needs CONFIG_WCE). */
static void vblk_config_write(void *dev, uint32_t off, unsigned size, uint64_t val)
{
}

static struct virtq *vblk_queue(void *dev, uint16_t idx)
{
	struct vblk *b = dev;

	return idx == 0 ? &b->vq : NULL;
}

static uint32_t vblk_handle(void *dev, const struct virtq_chain *c)
{
	return vblk_request(dev);
}

static void vblk_notify(void *dev, uint16_t idx)
{
	struct vblk *b = dev;
	unsigned r;

	if (idx != 0)
		return;
	r = virtq_serve(&b->vq, &b->chain, vblk_handle, b);
	if (r & VIRTQ_SERVED_BROKEN) {
		__atomic_fetch_add(&b->stats.bad_rings, 1, __ATOMIC_RELAXED);
		b->t->needs_reset(b->t->ctx);
	}
	if (r & VIRTQ_SERVED_IRQ)
		b->t->queue_interrupt(b->t->ctx, 0);
}

/* The overlay is the disk: it survives a device reset. */
static void vblk_reset(void *dev)
{
	struct vblk *b = dev;

	virtq_reset(&b->vq);
	b->features = 0;
}

const struct virtio_dev_ops vblk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.nr_queues = 1,
	.queue_max = VBLK_QUEUE_MAX,
	.config_size = VBLK_CONFIG_SIZE,
	.features = vblk_features,
	.set_features = vblk_set_features,
	.config_read = vblk_config_read,
	.config_write = vblk_config_write,
	.queue = vblk_queue,
	.notify = vblk_notify,
	.reset = vblk_reset,
};
