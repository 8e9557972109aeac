/*
 * The modern virtio PCI transport (see virtio_pci.h): virtio 1.2 section
 * 4.1.4 (capabilities, common configuration 4.1.4.3, notifications
 * 4.1.4.4, ISR 4.1.4.5, device configuration 4.1.4.6, PCI configuration
 * access 4.1.4.9) and MSI-X (PCI 3.0 section 6.8.2).
 *
 * Every register access is decoded and validated under the lock and turns
 * into at most one action; the actions that reach the device (reset,
 * feature negotiation, enabling a queue, a notification) and the
 * interrupts run after the lock is released, so a device that calls back
 * into the transport never deadlocks. A reset that overtakes an action on
 * another vCPU is noticed through reset_gen.
 */
#include "kernel/errno.h"
#include "vmm/virtio_pci.h"
#include "vmm/virtq.h"

#define INTX_SYNC_ROUNDS	8
#define MSIX_PBA_BYTES		8	/* one qword: up to 64 vectors */

_Static_assert(VIRTIO_PCI_MAX_VECTORS <= 64, "the PBA is one qword");
_Static_assert(VIRTIO_PCI_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE <= VIRTIO_PCI_MSIX_PBA,
	       "the MSI-X table runs into the PBA");

/* PCI class codes by device type; others are "unclassified, other". */
static const struct {
	uint16_t device_id;
	uint32_t class_code;
} device_classes[] = {
	{ VIRTIO_ID_BLOCK, 0x018000 },	/* mass storage, other */
	{ VIRTIO_ID_RNG, 0x00ff00 },
};
#define CLASS_OTHER 0x00ff00

/* ------------------------------------------------------------ helpers */

static uint64_t width_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static bool is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

/* What the guest set in the function's configuration space. */
struct fn_state {
	bool msix_on, maskall, intx_off;
};

static struct fn_state fn_state(struct virtio_pci *vp)
{
	uint32_t ctrl = vpci_func_read(&vp->func, vp->msix_cap + PCI_MSIX_CTRL, 2);
	uint32_t cmd = vpci_func_read(&vp->func, PCI_COMMAND, 2);

	return (struct fn_state){
		.msix_on = ctrl & PCI_MSIX_CTRL_ENABLE,
		.maskall = ctrl & PCI_MSIX_CTRL_MASKALL,
		.intx_off = cmd & PCI_COMMAND_INTX_DISABLE,
	};
}

static struct virtio_pci_queue *selected_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->ops->nr_queues ? &vp->queue[vp->queue_select] : NULL;
}

static uint16_t vector_or_none(struct virtio_pci *vp, uint64_t v)
{
	return v < vp->nr_vectors ? (uint16_t)v : VIRTIO_PCI_NO_VECTOR;
}

/* ------------------------------------------------------------ interrupts */

/* Messages to send once the lock is released. */
struct msi_out {
	unsigned nr;
	struct {
		uint64_t addr;
		uint32_t data;
	} msg[VIRTIO_PCI_MAX_VECTORS];
};

static void msi_take(struct virtio_pci *vp, unsigned vec, struct msi_out *out)
{
	const struct msix_entry *e = &vp->msix[vec];

	out->msg[out->nr].addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
	out->msg[out->nr].data = e->data;
	out->nr++;
	vp->msis++;
}

/* Pending vectors that are no longer masked go out (PCI 3.0 6.8.2.9). */
static void msix_collect_pending(struct virtio_pci *vp, const struct fn_state *st,
				 struct msi_out *out)
{
	if (!st->msix_on || st->maskall)
		return;
	for (unsigned v = 0; v < vp->nr_vectors; v++) {
		if (!(vp->pba & (1ULL << v)) || (vp->msix[v].ctrl & PCI_MSIX_ENTRY_MASKED))
			continue;
		vp->pba &= ~(1ULL << v);
		msi_take(vp, v, out);
	}
}

/* A queue (config false) or configuration-change (config true)
 * interrupt on 'vec'. With the lock held. */
static void raise_locked(struct virtio_pci *vp, bool config, uint16_t vec, struct msi_out *out)
{
	struct fn_state st = fn_state(vp);

	if (config)
		vp->isr |= VIRTIO_PCI_ISR_CONFIG;
	if (!st.msix_on) {
		if (!config)
			vp->isr |= VIRTIO_PCI_ISR_QUEUE;
		vp->intx_pending = true;
		return;
	}
	if (vec >= vp->nr_vectors)	/* NO_VECTOR: the driver wants none */
		return;
	if (st.maskall || (vp->msix[vec].ctrl & PCI_MSIX_ENTRY_MASKED))
		vp->pba |= 1ULL << vec;
	else
		msi_take(vp, vec, out);
}

/* The INTx level the function should show, and its Status.INTX bit
 * (which ignores INTx-disable). With the lock held. */
static bool intx_wanted(struct virtio_pci *vp)
{
	struct fn_state st = fn_state(vp);
	uint32_t status = vpci_func_read(&vp->func, PCI_STATUS, 2) & ~PCI_STATUS_INTX;

	vpci_func_poke(&vp->func, PCI_STATUS, 2,
		       status | (vp->intx_pending ? PCI_STATUS_INTX : 0));
	return vp->intx_pending && !st.intx_off && !st.msix_on;
}

/*
 * Tell intx() the level the state asks for. intx() runs without the lock,
 * so two CPUs could report levels out of order; instead one CPU at a time
 * reports (intx_busy) and goes round again if the state moved meanwhile.
 * Bounded: a guest flipping the state forever only delays its own line
 * until the next event.
 */
static void intx_sync(struct virtio_pci *vp)
{
	for (unsigned round = 0; round < INTX_SYNC_ROUNDS; round++) {
		bool level;

		spin_lock(&vp->lock);
		level = intx_wanted(vp);
		if (vp->intx_busy || level == vp->intx_level) {
			spin_unlock(&vp->lock);
			return;
		}
		vp->intx_busy = true;
		vp->intx_level = level;
		spin_unlock(&vp->lock);
		vp->intx(vp->ctx, level);
		spin_lock(&vp->lock);
		vp->intx_busy = false;
		spin_unlock(&vp->lock);
	}
}

static void deliver(struct virtio_pci *vp, const struct msi_out *out)
{
	for (unsigned i = 0; i < out->nr; i++)
		vp->msi(vp->ctx, out->msg[i].addr, out->msg[i].data);
	intx_sync(vp);
}

static void queue_interrupt(void *ctx, uint16_t idx)
{
	struct virtio_pci *vp = ctx;
	struct msi_out out = { 0 };

	if (idx >= vp->ops->nr_queues)
		return;
	spin_lock(&vp->lock);
	/* Not before DRIVER_OK, nor from a request that raced a reset. */
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_locked(vp, false, vp->queue[idx].vector, &out);
	spin_unlock(&vp->lock);
	deliver(vp, &out);
}

/* The device found the rings malformed (2.1.2). */
static void needs_reset(void *ctx)
{
	struct virtio_pci *vp = ctx;
	struct msi_out out = { 0 };

	spin_lock(&vp->lock);
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_locked(vp, true, vp->config_vector, &out);
	spin_unlock(&vp->lock);
	deliver(vp, &out);
}

const struct virtio_transport *virtio_pci_transport(struct virtio_pci *vp)
{
	return &vp->transport;
}

/* ------------------------------------------------------------ common config */

enum common_field {
	CF_DFSELECT, CF_DF, CF_GFSELECT, CF_GF, CF_MSIX_CONFIG, CF_NUM_QUEUES,
	CF_STATUS, CF_CFG_GEN, CF_Q_SELECT, CF_Q_SIZE, CF_Q_MSIX, CF_Q_ENABLE,
	CF_Q_NOFF, CF_Q_DESC, CF_Q_DRIVER, CF_Q_DEVICE, CF_NR
};

static const struct {
	uint8_t off, width;
} common_fields[CF_NR] = {
	[CF_DFSELECT] = { VIRTIO_PCI_DFSELECT, 4 },
	[CF_DF] = { VIRTIO_PCI_DF, 4 },
	[CF_GFSELECT] = { VIRTIO_PCI_GFSELECT, 4 },
	[CF_GF] = { VIRTIO_PCI_GF, 4 },
	[CF_MSIX_CONFIG] = { VIRTIO_PCI_MSIX_CONFIG, 2 },
	[CF_NUM_QUEUES] = { VIRTIO_PCI_NUM_QUEUES, 2 },
	[CF_STATUS] = { VIRTIO_PCI_STATUS, 1 },
	[CF_CFG_GEN] = { VIRTIO_PCI_CFG_GEN, 1 },
	[CF_Q_SELECT] = { VIRTIO_PCI_Q_SELECT, 2 },
	[CF_Q_SIZE] = { VIRTIO_PCI_Q_SIZE, 2 },
	[CF_Q_MSIX] = { VIRTIO_PCI_Q_MSIX, 2 },
	[CF_Q_ENABLE] = { VIRTIO_PCI_Q_ENABLE, 2 },
	[CF_Q_NOFF] = { VIRTIO_PCI_Q_NOFF, 2 },
	[CF_Q_DESC] = { VIRTIO_PCI_Q_DESC, 8 },
	[CF_Q_DRIVER] = { VIRTIO_PCI_Q_DRIVER, 8 },
	[CF_Q_DEVICE] = { VIRTIO_PCI_Q_DEVICE, 8 },
};

/* Which field an access is, and at what bit 'shift' inside it: a field
 * takes its own width, and a 64-bit one also each 32-bit half. -1 for
 * anything else. */
static int common_decode(unsigned off, unsigned size, unsigned *shift)
{
	for (int i = 0; i < CF_NR; i++) {
		unsigned f = common_fields[i].off, w = common_fields[i].width;

		*shift = 0;
		if (off == f && size == w)
			return i;
		if (w == 8 && size == 4 && (off == f || off == f + 4)) {
			*shift = (off - f) * 8;
			return i;
		}
	}
	return -1;
}

static uint32_t feature_window(uint64_t features, uint32_t select)
{
	return select < 2 ? (uint32_t)(features >> (32 * select)) : 0;
}

/* A field's value; CF_DF is read by the caller. With the lock held. */
static uint64_t common_get(struct virtio_pci *vp, int field)
{
	const struct virtio_pci_queue *q = selected_queue(vp);

	switch (field) {
	case CF_DFSELECT:	return vp->dfselect;
	case CF_GFSELECT:	return vp->gfselect;
	case CF_GF:		return feature_window(vp->driver_features, vp->gfselect);
	case CF_MSIX_CONFIG:	return vp->config_vector;
	case CF_NUM_QUEUES:	return vp->ops->nr_queues;
	case CF_STATUS:		return vp->status;
	case CF_CFG_GEN:	return vp->config_generation;
	case CF_Q_SELECT:	return vp->queue_select;
	}
	if (!q)
		return 0;
	switch (field) {
	case CF_Q_SIZE:		return q->size;
	case CF_Q_MSIX:		return q->vector;
	case CF_Q_ENABLE:	return q->enabled;
	case CF_Q_NOFF:		return vp->queue_select;
	case CF_Q_DESC:		return q->desc;
	case CF_Q_DRIVER:	return q->driver;
	case CF_Q_DEVICE:	return q->device;
	}
	return 0;
}

static uint64_t common_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
	unsigned shift;
	int field = common_decode(off, size, &shift);
	uint64_t v;

	if (field == CF_DF) {
		spin_lock(&vp->lock);
		v = vp->dfselect;
		spin_unlock(&vp->lock);
		return feature_window(vp->ops->features(vp->dev), (uint32_t)v);
	}
	spin_lock(&vp->lock);
	if (field < 0) {
		vp->bad_accesses++;
		v = 0;
	} else {
		v = common_get(vp, field) >> shift;
	}
	spin_unlock(&vp->lock);
	return v & width_mask(size);
}

/* What a common-configuration write asks of the device, done unlocked. */
enum action_kind { ACT_NONE, ACT_RESET, ACT_FEATURES, ACT_ENABLE };

struct action {
	enum action_kind kind;
	uint32_t gen;			/* reset_gen when decided */
	uint64_t features;		/* ACT_FEATURES: the driver's choice */
	uint8_t status_bits;		/* ACT_FEATURES: bits that wait for it */
	uint16_t idx;			/* ACT_ENABLE */
	struct virtio_pci_queue q;	/* ACT_ENABLE: what the driver programmed */
};

/* Back to the state after init (4.1.4.3.1). The device and its queues
 * are reset by the caller, unlocked. */
static void reset_locked(struct virtio_pci *vp)
{
	vp->dfselect = vp->gfselect = 0;
	vp->driver_features = 0;
	vp->config_vector = VIRTIO_PCI_NO_VECTOR;
	vp->status = 0;
	vp->queue_select = 0;
	vp->isr = 0;
	vp->intx_pending = false;
	vp->reset_gen++;
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->queue[i] = (struct virtio_pci_queue){
			.size = vp->ops->queue_max, .vector = VIRTIO_PCI_NO_VECTOR,
		};
}

static void status_write(struct virtio_pci *vp, uint8_t v, struct action *a)
{
	uint8_t old = vp->status;
	uint8_t want = (v & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);

	if (!v) {
		reset_locked(vp);
		a->kind = ACT_RESET;
		return;
	}
	if ((want & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		a->kind = ACT_FEATURES;
		a->gen = vp->reset_gen;
		a->features = vp->driver_features;
		a->status_bits = want & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
		want &= ~a->status_bits;
	}
	if (!(want & VIRTIO_STATUS_FEATURES_OK))
		want &= ~VIRTIO_STATUS_DRIVER_OK;
	vp->status = want;
}

static void merge64(uint64_t *field, uint64_t v, unsigned shift, unsigned size)
{
	uint64_t mask = width_mask(size) << shift;

	*field = (*field & ~mask) | ((v << shift) & mask);
}

static void queue_write(struct virtio_pci *vp, int field, uint64_t v, unsigned shift,
			unsigned size, struct action *a)
{
	struct virtio_pci_queue *q = selected_queue(vp);

	if (!q)
		return;
	if (field == CF_Q_MSIX) {
		q->vector = vector_or_none(vp, v);
		return;
	}
	if (q->enabled)		/* size and rings are fixed while enabled */
		return;
	switch (field) {
	case CF_Q_SIZE:
		if (is_pow2((uint32_t)v) && v <= vp->ops->queue_max)
			q->size = (uint16_t)v;
		break;
	case CF_Q_ENABLE:
		if (v == 1) {
			a->kind = ACT_ENABLE;
			a->gen = vp->reset_gen;
			a->idx = vp->queue_select;
			a->q = *q;
		}
		break;
	case CF_Q_DESC:
		merge64(&q->desc, v, shift, size);
		break;
	case CF_Q_DRIVER:
		merge64(&q->driver, v, shift, size);
		break;
	case CF_Q_DEVICE:
		merge64(&q->device, v, shift, size);
		break;
	}
}

static void common_set(struct virtio_pci *vp, int field, uint64_t v, unsigned shift,
		       unsigned size, struct action *a)
{
	switch (field) {
	case CF_DFSELECT:
		vp->dfselect = (uint32_t)v;
		break;
	case CF_GFSELECT:
		vp->gfselect = (uint32_t)v;
		break;
	case CF_GF:
		/* The choice is frozen once FEATURES_OK stuck. */
		if (vp->gfselect < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK))
			merge64(&vp->driver_features, v, 32 * vp->gfselect, 4);
		break;
	case CF_MSIX_CONFIG:
		vp->config_vector = vector_or_none(vp, v);
		break;
	case CF_STATUS:
		status_write(vp, (uint8_t)v, a);
		break;
	case CF_Q_SELECT:
		vp->queue_select = (uint16_t)v;
		break;
	case CF_DF: case CF_NUM_QUEUES: case CF_CFG_GEN: case CF_Q_NOFF:
		break;		/* read-only */
	default:
		queue_write(vp, field, v, shift, size, a);
	}
}

static void do_reset(struct virtio_pci *vp)
{
	vp->ops->reset(vp->dev);
	for (uint16_t i = 0; i < vp->ops->nr_queues; i++) {
		struct virtq *q = vp->ops->queue(vp->dev, i);

		if (q)
			virtq_reset(q);
	}
	intx_sync(vp);
}

/* FEATURES_OK (3.1.1 step 5, 4.1.4.3.2): a subset of the offer, with
 * VERSION_1 (a modern device), that the device accepts. */
static void do_features(struct virtio_pci *vp, const struct action *a)
{
	uint64_t offered = vp->ops->features(vp->dev);
	bool ok = !(a->features & ~offered) &&
		  (a->features & (1ULL << VIRTIO_F_VERSION_1)) &&
		  vp->ops->set_features(vp->dev, a->features) == 0;

	if (!ok)
		return;
	for (uint16_t i = 0; i < vp->ops->nr_queues; i++) {
		struct virtq *q = vp->ops->queue(vp->dev, i);

		if (q)
			virtq_set_features(q, a->features);
	}
	spin_lock(&vp->lock);
	if (vp->reset_gen == a->gen)
		vp->status |= a->status_bits;
	spin_unlock(&vp->lock);
}

/* queue_enable = 1: hand the programmed layout to the device's virtq. */
static void do_enable(struct virtio_pci *vp, const struct action *a)
{
	struct virtq *q = vp->ops->queue(vp->dev, a->idx);
	bool current;

	if (!q)
		return;
	q->size = a->q.size;
	q->desc_addr = a->q.desc;
	q->avail_addr = a->q.driver;
	q->used_addr = a->q.device;
	if (virtq_check_layout(q))
		return;
	q->ready = true;
	spin_lock(&vp->lock);
	current = vp->reset_gen == a->gen;
	if (current)
		vp->queue[a->idx].enabled = true;
	spin_unlock(&vp->lock);
	if (!current)		/* a reset overtook us: the queue stays reset */
		virtq_reset(q);
}

static void common_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t v)
{
	unsigned shift;
	int field = common_decode(off, size, &shift);
	struct action a = { .kind = ACT_NONE };

	spin_lock(&vp->lock);
	if (field < 0)
		vp->bad_accesses++;
	else
		common_set(vp, field, v & width_mask(size), shift, size, &a);
	spin_unlock(&vp->lock);
	switch (a.kind) {
	case ACT_RESET:
		do_reset(vp);
		break;
	case ACT_FEATURES:
		do_features(vp, &a);
		break;
	case ACT_ENABLE:
		do_enable(vp, &a);
		break;
	case ACT_NONE:
		break;
	}
}

/* ------------------------------------------------------------ BAR 4 */

static uint64_t isr_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
	uint8_t v;

	if (off != 0 || size != 1)
		return 0;
	spin_lock(&vp->lock);
	v = vp->isr;
	vp->isr = 0;
	vp->intx_pending = false;
	spin_unlock(&vp->lock);
	intx_sync(vp);
	return v;
}

static bool device_cfg_ok(struct virtio_pci *vp, unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) &&
	       off + size <= vp->ops->config_size;
}

/* A write of any width and value at queue N's address (4.1.4.4):
 * N * notify_off_multiplier. */
static void notify_write(struct virtio_pci *vp, unsigned off)
{
	uint32_t idx = off / VIRTIO_PCI_NOTIFY_MULT;
	bool go;

	spin_lock(&vp->lock);
	go = off % VIRTIO_PCI_NOTIFY_MULT == 0 && idx < vp->ops->nr_queues &&
	     vp->queue[idx].enabled && (vp->status & VIRTIO_STATUS_DRIVER_OK);
	if (go)
		vp->notifies++;
	spin_unlock(&vp->lock);
	if (go)
		vp->ops->notify(vp->dev, (uint16_t)idx);
}

static void count_bad(struct virtio_pci *vp)
{
	spin_lock(&vp->lock);
	vp->bad_accesses++;
	spin_unlock(&vp->lock);
}

static int bar_read(void *ctx, uint64_t offset, unsigned size, uint64_t *val)
{
	struct virtio_pci *vp = ctx;
	unsigned region = (unsigned)(offset / VIRTIO_PCI_REGION_SIZE) * VIRTIO_PCI_REGION_SIZE;
	unsigned off = (unsigned)(offset % VIRTIO_PCI_REGION_SIZE);

	*val = 0;
	if (offset >= VIRTIO_PCI_BAR_SIZE || off + size > VIRTIO_PCI_REGION_SIZE) {
		count_bad(vp);
		return 0;
	}
	switch (region) {
	case VIRTIO_PCI_COMMON:
		*val = common_read(vp, off, size);
		break;
	case VIRTIO_PCI_ISR:
		*val = isr_read(vp, off, size);
		break;
	case VIRTIO_PCI_DEVICE:
		if (device_cfg_ok(vp, off, size))
			vp->ops->config_read(vp->dev, off, size, val);
		*val &= width_mask(size);
		break;
	}
	return 0;
}

static int bar_write(void *ctx, uint64_t offset, unsigned size, uint64_t val)
{
	struct virtio_pci *vp = ctx;
	unsigned region = (unsigned)(offset / VIRTIO_PCI_REGION_SIZE) * VIRTIO_PCI_REGION_SIZE;
	unsigned off = (unsigned)(offset % VIRTIO_PCI_REGION_SIZE);

	if (offset >= VIRTIO_PCI_BAR_SIZE || off + size > VIRTIO_PCI_REGION_SIZE) {
		count_bad(vp);
		return 0;
	}
	switch (region) {
	case VIRTIO_PCI_COMMON:
		common_write(vp, off, size, val);
		break;
	case VIRTIO_PCI_DEVICE:
		if (device_cfg_ok(vp, off, size))
			vp->ops->config_write(vp->dev, off, size, val & width_mask(size));
		break;
	case VIRTIO_PCI_NOTIFY:
		notify_write(vp, off);
		break;
	}
	return 0;
}

static const struct io_ops bar_ops = { bar_read, bar_write };

/* ------------------------------------------------------------ BAR 1: MSI-X */

static uint32_t *msix_field(struct virtio_pci *vp, uint64_t offset)
{
	struct msix_entry *e = &vp->msix[offset / PCI_MSIX_ENTRY_SIZE];

	switch (offset % PCI_MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_ADDR_LO:	return &e->addr_lo;
	case PCI_MSIX_ENTRY_ADDR_HI:	return &e->addr_hi;
	case PCI_MSIX_ENTRY_DATA:	return &e->data;
	default:			return &e->ctrl;
	}
}

/* Dword or qword, naturally aligned (6.8.2). */
static bool msix_width_ok(uint64_t offset, unsigned size)
{
	return (size == 4 || size == 8) && offset % size == 0;
}

static uint64_t msix_read_locked(struct virtio_pci *vp, uint64_t offset, unsigned size)
{
	uint64_t table_end = (uint64_t)vp->nr_vectors * PCI_MSIX_ENTRY_SIZE;

	if (!msix_width_ok(offset, size))
		return 0;
	if (offset < table_end) {
		uint64_t v = *msix_field(vp, offset);

		if (size == 8)
			v |= (uint64_t)*msix_field(vp, offset + 4) << 32;
		return v;
	}
	if (offset >= VIRTIO_PCI_MSIX_PBA && offset < VIRTIO_PCI_MSIX_PBA + MSIX_PBA_BYTES)
		return (vp->pba >> (8 * (offset - VIRTIO_PCI_MSIX_PBA))) & width_mask(size);
	return 0;
}

static int msix_read(void *ctx, uint64_t offset, unsigned size, uint64_t *val)
{
	struct virtio_pci *vp = ctx;

	spin_lock(&vp->lock);
	*val = msix_read_locked(vp, offset, size);
	spin_unlock(&vp->lock);
	return 0;
}

static void msix_write_dword(struct virtio_pci *vp, uint64_t offset, uint32_t v)
{
	uint32_t *field = msix_field(vp, offset);

	switch (offset % PCI_MSIX_ENTRY_SIZE) {
	case PCI_MSIX_ENTRY_ADDR_LO:
		*field = v & ~3u;	/* dword-aligned message address */
		break;
	case PCI_MSIX_ENTRY_CTRL:
		*field = v & PCI_MSIX_ENTRY_MASKED;
		break;
	default:
		*field = v;
	}
}

static int msix_write(void *ctx, uint64_t offset, unsigned size, uint64_t val)
{
	struct virtio_pci *vp = ctx;
	struct msi_out out = { 0 };
	uint64_t table_end = (uint64_t)vp->nr_vectors * PCI_MSIX_ENTRY_SIZE;
	struct fn_state st;

	if (!msix_width_ok(offset, size) || offset >= table_end)
		return 0;	/* reserved space and the read-only PBA */
	spin_lock(&vp->lock);
	msix_write_dword(vp, offset, (uint32_t)val);
	if (size == 8)
		msix_write_dword(vp, offset + 4, (uint32_t)(val >> 32));
	st = fn_state(vp);
	msix_collect_pending(vp, &st, &out);
	spin_unlock(&vp->lock);
	deliver(vp, &out);
	return 0;
}

static const struct io_ops msix_ops = { msix_read, msix_write };

/* ------------------------------------------------------------ config hooks */

/* The BAR access the PCI configuration access capability describes
 * (4.1.4.9): cap.bar, cap.offset, cap.length; false if it names no BAR,
 * a length other than 1, 2 or 4, a misaligned offset or one past the BAR. */
static bool cfg_window(struct virtio_pci *vp, const struct vpci_bar **bar, uint32_t *offset,
		       unsigned *len)
{
	unsigned c = vp->cfg_cap;
	uint32_t idx = vpci_func_read(&vp->func, c + VIRTIO_PCI_CAP_BAR, 1);

	*offset = vpci_func_read(&vp->func, c + VIRTIO_PCI_CAP_OFFSET, 4);
	*len = vpci_func_read(&vp->func, c + VIRTIO_PCI_CAP_LENGTH, 4);
	if (idx >= VPCI_NR_BARS || !vp->func.bar[idx].size)
		return false;
	*bar = &vp->func.bar[idx];
	return (*len == 1 || *len == 2 || *len == 4) && *offset % *len == 0 &&
	       (uint64_t)*offset + *len <= (*bar)->size;
}

static bool touches(unsigned off, unsigned size, unsigned start, unsigned len)
{
	return off < start + len && start < off + size;
}

static void cfg_read_hook(void *ctx, unsigned off, unsigned size, uint32_t *val)
{
	struct virtio_pci *vp = ctx;
	unsigned data = vp->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA;
	const struct vpci_bar *bar;
	uint32_t offset;
	unsigned len;
	uint64_t v = 0;

	if (!touches(off, size, data, 4) || !cfg_window(vp, &bar, &offset, &len))
		return;
	bar->ops->read(bar->ctx, offset, len, &v);
	vpci_func_poke(&vp->func, data, len, (uint32_t)v);
	*val = vpci_func_read(&vp->func, off, size);
}

static void cfg_write_hook(void *ctx, unsigned off, unsigned size, uint32_t val)
{
	struct virtio_pci *vp = ctx;
	unsigned data = vp->cfg_cap + VIRTIO_PCI_CFG_CAP_DATA;
	const struct vpci_bar *bar;
	uint32_t offset;
	unsigned len;

	if (touches(off, size, data, 4) && cfg_window(vp, &bar, &offset, &len))
		bar->ops->write(bar->ctx, offset, len, vpci_func_read(&vp->func, data, len));
	if (touches(off, size, vp->msix_cap + PCI_MSIX_CTRL, 2)) {
		struct msi_out out = { 0 };
		struct fn_state st;

		spin_lock(&vp->lock);
		st = fn_state(vp);
		msix_collect_pending(vp, &st, &out);
		spin_unlock(&vp->lock);
		deliver(vp, &out);
	} else if (touches(off, size, PCI_COMMAND, 2)) {
		intx_sync(vp);
	}
}

/* ------------------------------------------------------------ building */

static uint32_t class_of(uint16_t device_id)
{
	for (unsigned i = 0; i < ARRAY_SIZE(device_classes); i++)
		if (device_classes[i].device_id == device_id)
			return device_classes[i].class_code;
	return CLASS_OTHER;
}

/* A struct virtio_pci_cap (4.1.4); 'len' 16, or 20 for the notify and
 * PCI configuration access capabilities. */
static int add_virtio_cap(struct vpci_func *f, uint8_t type, uint8_t bar, uint32_t offset,
			  uint32_t length, unsigned len)
{
	int c = vpci_func_add_cap(f, PCI_CAP_ID_VNDR, len);

	if (c < 0)
		return c;
	vpci_func_set(f, c + VIRTIO_PCI_CAP_LEN_OFF, 1, len, 0);
	vpci_func_set(f, c + VIRTIO_PCI_CAP_TYPE, 1, type, 0);
	vpci_func_set(f, c + VIRTIO_PCI_CAP_BAR, 1, bar, 0);
	vpci_func_set(f, c + VIRTIO_PCI_CAP_OFFSET, 4, offset, 0);
	vpci_func_set(f, c + VIRTIO_PCI_CAP_LENGTH, 4, length, 0);
	return c;
}

static int add_msix_cap(struct virtio_pci *vp)
{
	struct vpci_func *f = &vp->func;
	int c = vpci_func_add_cap(f, PCI_CAP_ID_MSIX, PCI_MSIX_CAP_SIZE);

	if (c < 0)
		return c;
	vpci_func_set(f, c + PCI_MSIX_CTRL, 2, vp->nr_vectors - 1u,
		      PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	vpci_func_set(f, c + PCI_MSIX_TABLE, 4, VIRTIO_PCI_MSIX_TABLE | VIRTIO_PCI_MSIX_BAR, 0);
	vpci_func_set(f, c + PCI_MSIX_PBA, 4, VIRTIO_PCI_MSIX_PBA | VIRTIO_PCI_MSIX_BAR, 0);
	vp->msix_cap = (uint8_t)c;
	return 0;
}

static int add_caps(struct virtio_pci *vp)
{
	struct vpci_func *f = &vp->func;
	const unsigned std = VIRTIO_PCI_CAP_SIZE, ext = VIRTIO_PCI_CAP_EXT_SIZE;
	const uint32_t rs = VIRTIO_PCI_REGION_SIZE;
	int c;

	if (add_msix_cap(vp) < 0 ||
	    add_virtio_cap(f, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON, rs,
			   std) < 0 ||
	    add_virtio_cap(f, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_ISR, rs, std) < 0)
		return -E_NOMEM;
	if (vp->ops->config_size &&
	    add_virtio_cap(f, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_DEVICE, rs,
			   std) < 0)
		return -E_NOMEM;
	c = add_virtio_cap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_BAR, VIRTIO_PCI_NOTIFY, rs, ext);
	if (c < 0)
		return c;
	vpci_func_set(f, c + VIRTIO_PCI_NOTIFY_CAP_MULT, 4, VIRTIO_PCI_NOTIFY_MULT, 0);
	/* The access window: the driver programs bar, offset and length. */
	c = add_virtio_cap(f, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, ext);
	if (c < 0)
		return c;
	vpci_func_set(f, c + VIRTIO_PCI_CAP_BAR, 1, 0, 0xff);
	vpci_func_set(f, c + VIRTIO_PCI_CAP_OFFSET, 4, 0, 0xffffffff);
	vpci_func_set(f, c + VIRTIO_PCI_CAP_LENGTH, 4, 0, 0xffffffff);
	vpci_func_set(f, c + VIRTIO_PCI_CFG_CAP_DATA, 4, 0, 0xffffffff);
	vp->cfg_cap = (uint8_t)c;
	return 0;
}

static int build_func(struct virtio_pci *vp)
{
	struct vpci_func *f = &vp->func;
	const struct vpci_id id = {
		.vendor = VIRTIO_PCI_VENDOR,
		.device = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + vp->ops->device_id),
		.subsys_vendor = VIRTIO_PCI_VENDOR, .subsys_id = VIRTIO_PCI_SUBSYS_ID,
		.class_code = class_of(vp->ops->device_id),
		.revision = 1,		/* non-transitional (4.1.2.1) */
		.irq_pin = 1,		/* INTA */
	};
	int ret;

	vpci_func_init(f, &id);
	f->name = "virtio-pci";
	ret = vpci_func_set_bar(f, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_BAR_SIZE, 0, &msix_ops, vp);
	if (!ret)
		ret = vpci_func_set_bar(f, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, VPCI_BAR_64,
					&bar_ops, vp);
	if (!ret)
		ret = add_caps(vp);
	f->cfg_read = cfg_read_hook;
	f->cfg_write = cfg_write_hook;
	f->hook_ctx = vp;
	return ret;
}

static bool ops_ok(const struct virtio_dev_ops *ops)
{
	return ops->nr_queues >= 1 && ops->nr_queues <= VIRTIO_PCI_MAX_QUEUES &&
	       is_pow2(ops->queue_max) && ops->queue_max <= VIRTQ_MAX_SIZE &&
	       ops->config_size <= VIRTIO_PCI_REGION_SIZE && ops->features &&
	       ops->set_features && ops->config_read && ops->config_write && ops->queue &&
	       ops->notify && ops->reset;
}

int vpci_virtio_init(struct virtio_pci *vp, struct vpci *bus, const struct virtio_dev_ops *ops,
		     void *dev, void (*msi)(void *ctx, uint64_t addr, uint32_t data),
		     void (*intx)(void *ctx, bool level), void *ctx)
{
	int ret;

	if (!ops_ok(ops) || !msi || !intx)
		return -E_INVAL;
	memset(vp, 0, sizeof(*vp));
	vp->ops = ops;
	vp->dev = dev;
	vp->msi = msi;
	vp->intx = intx;
	vp->ctx = ctx;
	vp->transport = (struct virtio_transport){ vp, queue_interrupt, needs_reset };
	vp->nr_vectors = (uint16_t)(ops->nr_queues + 1);
	for (unsigned i = 0; i < VIRTIO_PCI_MAX_VECTORS; i++)
		vp->msix[i].ctrl = PCI_MSIX_ENTRY_MASKED;
	reset_locked(vp);
	ret = build_func(vp);
	return ret ? ret : vpci_add(bus, &vp->func);
}
