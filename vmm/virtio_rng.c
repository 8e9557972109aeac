/*
 * virtio-rng (virtio 1.2 section 5.4): fills the driver's buffers with
 * bytes from the entropy callback. The contract is in vmm/virtio_rng.h.
 */
#include "kernel/errno.h"
#include "vmm/virtio_rng.h"

#define VERSION_1	(1ULL << VIRTIO_F_VERSION_1)

void vrng_init(struct vrng *r, const struct guest_access *mem, const struct virtio_transport *t,
	       void (*fill)(void *ctx, void *buf, size_t len), void *fill_ctx)
{
	memset(r, 0, sizeof(*r));
	virtq_init(&r->vq, mem);
	r->t = t;
	r->fill = fill;
	r->fill_ctx = fill_ctx;
}

/* Serve r->chain; returns the used length. */
static uint32_t vrng_request(struct vrng *r)
{
	size_t n = (size_t)MIN(r->chain.writable, (uint64_t)VRNG_MAX_REQ);

	if (n == 0)
		goto fail;
	r->fill(r->fill_ctx, r->buf, n);
	if (virtq_chain_write(&r->vq, &r->chain, 0, r->buf, n))
		goto fail;
	r->requests++;
	r->bytes += n;
	return (uint32_t)n;
fail:
	r->errors++;
	return 0;
}

static uint64_t vrng_features(void *dev)
{
	return VERSION_1;
}

static int vrng_set_features(void *dev, uint64_t accepted)
{
	struct vrng *r = dev;

	if (accepted & ~VERSION_1)
		return -E_INVAL;
	if (!(accepted & VERSION_1))	/* no legacy interface */
		return -E_NOTSUP;
	r->features = accepted;
	virtq_set_features(&r->vq, accepted);
	return 0;
}

/* No configuration space (5.4.4). */
static void vrng_config_read(void *dev, uint32_t off, unsigned size, uint64_t *val)
{
	*val = 0;
}

static void vrng_config_write(void *dev, uint32_t off, unsigned size, uint64_t val)
{
}

static struct virtq *vrng_queue(void *dev, uint16_t idx)
{
	struct vrng *r = dev;

	return idx == 0 ? &r->vq : NULL;
}

static uint32_t vrng_handle(void *dev, const struct virtq_chain *c)
{
	return vrng_request(dev);
}

static void vrng_notify(void *dev, uint16_t idx)
{
	struct vrng *r = dev;
	unsigned res;

	if (idx != 0)
		return;
	res = virtq_serve(&r->vq, &r->chain, vrng_handle, r);
	if (res & VIRTQ_SERVED_BROKEN) {
		__atomic_fetch_add(&r->bad_rings, 1, __ATOMIC_RELAXED);
		r->t->needs_reset(r->t->ctx);
	}
	if (res & VIRTQ_SERVED_IRQ)
		r->t->queue_interrupt(r->t->ctx, 0);
}

static void vrng_reset(void *dev)
{
	struct vrng *r = dev;

	virtq_reset(&r->vq);
	r->features = 0;
}

const struct virtio_dev_ops vrng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.queue_max = VRNG_QUEUE_MAX,
	.config_size = 0,
	.features = vrng_features,
	.set_features = vrng_set_features,
	.config_read = vrng_config_read,
	.config_write = vrng_config_write,
	.queue = vrng_queue,
	.notify = vrng_notify,
	.reset = vrng_reset,
};
