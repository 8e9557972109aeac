/*
 * Split virtqueues, device side (virtio 1.2 section 2.7; the contract and
 * the limits are in vmm/virtq.h).
 *
 * The rings are read with guest_access copies and decoded from little-
 * endian bytes. Each descriptor is copied once and checked before it
 * becomes a segment: index below the table's size, no loop (a chain
 * longer than its table is one), no wrap past 2^64, readable before
 * writable, and the limits on count and bytes. Ordering (2.7.13): read
 * avail->idx, then the ring entry; write the used element, then
 * used->idx; a full fence between our stores and the loads of the
 * driver's suppression fields (2.7.7, 2.7.10).
 */
#include "kernel/errno.h"
#include "vmm/virtq.h"

/* The queue's geometry, read once per operation so that a transport
 * writing the registers meanwhile cannot make one walk see two sizes. */
struct rings {
	uint32_t size;
	uint64_t desc, avail, used;
};

/* A descriptor as the guest wrote it (2.7.5). */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* What a chain walk has gathered so far. */
struct walk {
	struct virtq_chain *c;
	unsigned count;		/* descriptors taken, for VIRTQ_MAX_SEGS */
	bool seen_writable;
};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static int read_le16(const struct virtq *q, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];
	int err = q->mem->read(q->mem->ctx, gpa, b, sizeof(b));

	*v = get_le16(b);
	return err;
}

static int write_le16(const struct virtq *q, uint64_t gpa, uint16_t v)
{
	uint8_t b[2];

	put_le16(b, v);
	return q->mem->write(q->mem->ctx, gpa, b, sizeof(b));
}

/* [addr, addr + len) with len > 0 stays below 2^64. */
static bool no_wrap(uint64_t addr, uint64_t len)
{
	return addr <= UINT64_MAX - (len - 1);
}

static int layout_ok(const struct rings *r)
{
	if (r->size == 0 || r->size > VIRTQ_MAX_SIZE || (r->size & (r->size - 1)))
		return -E_INVAL;
	if (r->desc % 16 || r->avail % 2 || r->used % 4)
		return -E_INVAL;
	if (!no_wrap(r->desc, VIRTQ_DESC_BYTES(r->size)) ||
	    !no_wrap(r->avail, VIRTQ_AVAIL_BYTES(r->size)) ||
	    !no_wrap(r->used, VIRTQ_USED_BYTES(r->size)))
		return -E_INVAL;
	return 0;
}

static int snapshot(const struct virtq *q, struct rings *r)
{
	r->size = q->size;
	r->desc = q->desc_addr;
	r->avail = q->avail_addr;
	r->used = q->used_addr;
	return layout_ok(r);
}

int virtq_check_layout(const struct virtq *q)
{
	struct rings r;

	return snapshot(q, &r);
}

void virtq_init(struct virtq *q, const struct guest_access *mem)
{
	memset(q, 0, sizeof(*q));
	q->mem = mem;
}

void virtq_reset(struct virtq *q)
{
	spin_lock(&q->lock);
	q->ready = false;
	q->size = 0;
	q->desc_addr = q->avail_addr = q->used_addr = 0;
	q->indirect = q->event_idx = false;
	q->broken = false;
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->signalled_valid = false;
	spin_unlock(&q->lock);
}

void virtq_set_features(struct virtq *q, uint64_t features)
{
	spin_lock(&q->lock);
	q->indirect = features & (1ULL << VIRTIO_F_INDIRECT_DESC);
	q->event_idx = features & (1ULL << VIRTIO_F_EVENT_IDX);
	spin_unlock(&q->lock);
}

static int read_desc(const struct virtq *q, uint64_t gpa, struct desc *d)
{
	uint8_t b[VIRTQ_DESC_SIZE];
	int err = q->mem->read(q->mem->ctx, gpa, b, sizeof(b));

	if (err)
		return err;
	d->addr = get_le64(b);
	d->len = get_le32(b + 8);
	d->flags = get_le16(b + 12);
	d->next = get_le16(b + 14);
	return 0;
}

/* Take one buffer descriptor into the chain. */
static int take_desc(struct walk *w, const struct desc *d)
{
	struct virtq_chain *c = w->c;
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint64_t *total = writable ? &c->writable : &c->readable;
	struct virtq_seg *s;

	if (++w->count > VIRTQ_MAX_SEGS)
		return -E_RANGE;
	/* 2.7.4.2: device-writable buffers come after the readable ones. */
	if (!writable && w->seen_writable)
		return -E_INVAL;
	w->seen_writable |= writable;
	if (d->len == 0)
		return 0;
	if (!no_wrap(d->addr, d->len))
		return -E_INVAL;
	if (*total + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return -E_RANGE;
	*total += d->len;
	s = &c->seg[c->nr_segs++];	/* nr_segs < count <= VIRTQ_MAX_SEGS */
	s->gpa = d->addr;
	s->len = d->len;
	s->writable = writable;
	if (!writable)
		c->nr_readable++;
	return 0;
}

/* The chain continues in an indirect table (2.7.5.3): one level only,
 * always the last descriptor of the chain, whose own WRITE flag the device
 * ignores (2.7.5.3.2). */
static int walk_indirect(const struct virtq *q, struct walk *w, const struct desc *d)
{
	uint32_t n = d->len / VIRTQ_DESC_SIZE;
	uint32_t idx = 0, i;
	struct desc e;
	int err;

	if (!q->indirect || (d->flags & VIRTQ_DESC_F_NEXT))
		return -E_INVAL;
	if (d->len == 0 || d->len % VIRTQ_DESC_SIZE || !no_wrap(d->addr, d->len))
		return -E_INVAL;
	if (n > VIRTQ_MAX_SEGS)
		return -E_RANGE;
	for (i = 0;; i++) {
		if (idx >= n || i >= n)		/* out of the table, or a loop */
			return -E_INVAL;
		err = read_desc(q, d->addr + (uint64_t)idx * VIRTQ_DESC_SIZE, &e);
		if (err)
			return err;
		if (e.flags & VIRTQ_DESC_F_INDIRECT)
			return -E_INVAL;
		err = take_desc(w, &e);
		if (err || !(e.flags & VIRTQ_DESC_F_NEXT))
			return err;
		idx = e.next;
	}
}

/* Walk the chain starting at descriptor 'head' of the queue's table. The
 * loop ends within VIRTQ_MAX_SEGS + 1 steps: take_desc counts them. */
static int walk_chain(const struct virtq *q, const struct rings *r, uint16_t head,
		      struct virtq_chain *c)
{
	struct walk w = { .c = c };
	uint32_t idx = head, i;
	struct desc d;
	int err;

	c->head = head;
	c->nr_segs = c->nr_readable = 0;
	c->readable = c->writable = 0;
	for (i = 0;; i++) {
		/* 2.7.5.2: a chain is never longer than the queue: a loop. */
		if (idx >= r->size || i >= r->size)
			return -E_INVAL;
		err = read_desc(q, r->desc + (uint64_t)idx * VIRTQ_DESC_SIZE, &d);
		if (err)
			return err;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return walk_indirect(q, &w, &d);
		err = take_desc(&w, &d);
		if (err || !(d.flags & VIRTQ_DESC_F_NEXT))
			return err;
		idx = d.next;
	}
}

/* How many entries the driver made available beyond ours. With EVENT_IDX
 * an empty ring first asks for a kick at the next entry, then looks again
 * in case the driver added one meanwhile (2.7.10). */
static int avail_pending(struct virtq *q, const struct rings *r, uint16_t *pending)
{
	uint16_t idx;
	int err = read_le16(q, r->avail + 2, &idx);

	if (!err && idx == q->last_avail && q->event_idx) {
		err = write_le16(q, r->used + 4 + 8ULL * r->size, q->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!err)
			err = read_le16(q, r->avail + 2, &idx);
	}
	if (err)
		return err;
	*pending = (uint16_t)(idx - q->last_avail);
	/* The driver cannot have more entries out than the ring holds. */
	return *pending > r->size ? -E_INVAL : 0;
}

static int pop(struct virtq *q, struct virtq_chain *c)
{
	struct rings r;
	uint16_t pending = 0, head;
	int err;

	err = snapshot(q, &r);
	if (!err)
		err = avail_pending(q, &r, &pending);
	if (err || pending == 0)
		return err;
	/* Read the ring entry only after the index that published it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	err = read_le16(q, r.avail + 4 + 2ULL * (q->last_avail & (r.size - 1)), &head);
	if (!err)
		err = walk_chain(q, &r, head, c);
	if (err)
		return err;
	q->last_avail++;
	return 1;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	int ret;

	if (!q->ready || q->broken)
		return 0;
	ret = pop(q, c);
	if (ret < 0)
		q->broken = true;
	return ret;
}

/* Copy between a host buffer and the readable (to_guest false) or
 * writable (to_guest true) part of a chain. */
static int chain_copy(const struct virtq *q, const struct virtq_chain *c, bool to_guest,
		      uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t total = to_guest ? c->writable : c->readable;
	unsigned i = to_guest ? c->nr_readable : 0;
	unsigned end = to_guest ? c->nr_segs : c->nr_readable;
	int err;

	if (off > total || len > total - off)
		return -E_RANGE;
	for (; i < end && len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		size_t n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = (size_t)MIN((uint64_t)len, s->len - off);
		if (to_guest)
			err = q->mem->write(q->mem->ctx, s->gpa + off, buf, n);
		else
			err = q->mem->read(q->mem->ctx, s->gpa + off, buf, n);
		if (err)
			return err;
		buf += n;
		len -= n;
		off = 0;
	}
	return 0;
}

int virtq_chain_read(const struct virtq *q, const struct virtq_chain *c,
		     uint64_t off, void *dst, size_t len)
{
	return chain_copy(q, c, false, off, dst, len);
}

int virtq_chain_write(const struct virtq *q, const struct virtq_chain *c,
		      uint64_t off, const void *src, size_t len)
{
	return chain_copy(q, c, true, off, (uint8_t *)src, len);
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct rings r;
	uint8_t elem[VIRTQ_USED_ELEM_SIZE];
	uint16_t slot;
	int err;

	if (!q->ready || q->broken || snapshot(q, &r) || head >= r.size)
		return -E_INVAL;
	slot = q->used_idx & (r.size - 1);
	put_le32(elem, head);
	put_le32(elem + 4, written);
	err = q->mem->write(q->mem->ctx, r.used + 4 + 8ULL * slot, elem, sizeof(elem));
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!err)
		err = write_le16(q, r.used + 2, (uint16_t)(q->used_idx + 1));
	if (err) {
		q->broken = true;
		return err;
	}
	q->used_idx++;
	/* used_idx ran 2^15 past the last signalled value: the EVENT_IDX
	 * comparison would be ambiguous, so interrupt next time. */
	if ((int16_t)(q->used_idx - q->signalled_used) < 1)
		q->signalled_valid = false;
	return 0;
}

/* 2.7.7.2 with EVENT_IDX: interrupt if used_event lies in
 * [signalled_used, used_idx), i.e. the driver asked to hear about an
 * entry we added since the last decision. */
static bool event_idx_wants(struct virtq *q, const struct rings *r)
{
	uint16_t old = q->signalled_used, event;
	bool valid = q->signalled_valid;

	q->signalled_used = q->used_idx;
	q->signalled_valid = true;
	if (read_le16(q, r->avail + 4 + 2ULL * r->size, &event) || !valid)
		return true;
	return (uint16_t)(q->used_idx - event - 1) < (uint16_t)(q->used_idx - old);
}

bool virtq_should_interrupt(struct virtq *q)
{
	struct rings r;
	uint16_t flags;

	if (!q->ready || snapshot(q, &r))
		return false;
	/* Our used->idx store before the load of the driver's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx)
		return event_idx_wants(q, &r);
	/* An unreadable ring gets the interrupt: it costs nothing. */
	if (read_le16(q, r.avail, &flags))
		return true;
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

unsigned virtq_serve(struct virtq *q, struct virtq_chain *c,
		     uint32_t (*handle)(void *dev, const struct virtq_chain *c), void *dev)
{
	unsigned result = 0;
	uint32_t budget;
	int ret = 0;

	spin_lock(&q->lock);
	for (budget = q->size; budget > 0; budget--) {
		ret = virtq_pop(q, c);
		if (ret <= 0)
			break;
		ret = virtq_push(q, c->head, handle(dev, c));
		if (ret < 0)
			break;
		result |= VIRTQ_SERVED_IRQ;
	}
	if (result && !virtq_should_interrupt(q))
		result = 0;
	if (ret < 0)
		result |= VIRTQ_SERVED_BROKEN;
	spin_unlock(&q->lock);
	return result;
}
