/* Unit tests for the modern virtio PCI transport (vmm/virtio_pci.c), as
 * virtio 1.2 section 4.1 and PCI 3.0 section 6.8.2 (MSI-X) describe it:
 * discovery, the driver's initialisation sequence (3.1.1) against a fake
 * device, reset, MSI-X and INTx delivery, the configuration access window
 * and a hostile guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/virtio_pci.h"
#include "vmm/virtq.h"
#include "tests/unit/test_rng.h"

#define NR_QUEUES	2
#define QUEUE_MAX	256
#define CONFIG_SIZE	12
#define F_VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define F_INDIRECT	(1ULL << VIRTIO_F_INDIRECT_DESC)
#define F_DEV0		(1ULL << 0)
#define OFFERED		(F_VERSION_1 | F_INDIRECT | F_DEV0)
#define ST_ACK		VIRTIO_STATUS_ACKNOWLEDGE
#define ST_DRIVER	VIRTIO_STATUS_DRIVER
#define ST_FEAT		VIRTIO_STATUS_FEATURES_OK
#define ST_OK		VIRTIO_STATUS_DRIVER_OK

/* ------------------------------------------------ the fake device */

struct fake_dev {
	struct virtq q[NR_QUEUES];
	uint8_t config[CONFIG_SIZE];
	int refuse;			/* set_features's answer */
	uint64_t accepted;
	unsigned set_features_calls, resets, config_writes;
	unsigned notified[NR_QUEUES];
	unsigned bad_calls;		/* calls the transport must never make */
	/* Armed: the next call of set_features or queue (reenter_at) calls
	 * it once, as a device that re-enters the transport (or another vCPU
	 * racing it) would. */
	void (*reenter)(void *ctx);
	void *reenter_ctx;
	enum reenter_at { AT_FEATURES = 1, AT_QUEUE } reenter_at;
};

static void fd_reenter(struct fake_dev *d, enum reenter_at at)
{
	void (*fn)(void *ctx) = d->reenter;

	if (!fn || d->reenter_at != at)
		return;
	d->reenter = NULL;
	fn(d->reenter_ctx);
}

static uint64_t fd_features(void *dev)
{
	return OFFERED;
}

static int fd_set_features(void *dev, uint64_t accepted)
{
	struct fake_dev *d = dev;

	d->set_features_calls++;
	fd_reenter(d, AT_FEATURES);
	if (accepted & ~OFFERED)
		d->bad_calls++;
	if (!d->refuse)
		d->accepted = accepted;
	return d->refuse;
}

static void fd_config_read(void *dev, uint32_t off, unsigned size, uint64_t *val)
{
	struct fake_dev *d = dev;

	if (off + size > CONFIG_SIZE) {
		d->bad_calls++;
		return;
	}
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)d->config[off + i] << (8 * i);
}

static void fd_config_write(void *dev, uint32_t off, unsigned size, uint64_t val)
{
	struct fake_dev *d = dev;

	if (off + size > CONFIG_SIZE) {
		d->bad_calls++;
		return;
	}
	d->config_writes++;
	for (unsigned i = 0; i < size; i++)
		d->config[off + i] = (uint8_t)(val >> (8 * i));
}

static struct virtq *fd_queue(void *dev, uint16_t idx)
{
	struct fake_dev *d = dev;

	if (idx >= NR_QUEUES) {
		d->bad_calls++;
		return NULL;
	}
	fd_reenter(d, AT_QUEUE);
	return &d->q[idx];
}

static void fd_notify(void *dev, uint16_t idx)
{
	struct fake_dev *d = dev;

	if (idx >= NR_QUEUES || !d->q[idx].ready)
		d->bad_calls++;
	else
		d->notified[idx]++;
}

static void fd_reset(void *dev)
{
	struct fake_dev *d = dev;

	d->resets++;
	d->accepted = 0;
}

static const struct virtio_dev_ops fd_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.nr_queues = NR_QUEUES,
	.queue_max = QUEUE_MAX,
	.config_size = CONFIG_SIZE,
	.features = fd_features,
	.set_features = fd_set_features,
	.config_read = fd_config_read,
	.config_write = fd_config_write,
	.queue = fd_queue,
	.notify = fd_notify,
	.reset = fd_reset,
};

static int no_mem(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	return -E_FAULT;
}

static int no_mem_w(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	return -E_FAULT;
}

static const struct guest_access fake_mem = { NULL, no_mem, no_mem_w };

/* ------------------------------------------------ the platform */

struct env {
	struct iospace mmio;
	struct vpci bus;
	struct virtio_pci vp;
	struct fake_dev dev;
	const struct virtio_transport *t;
	unsigned msis;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool intx_level;
	unsigned intx_calls;
	uint64_t bar1, bar4;
};

static void plat_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct env *e = ctx;

	e->msis++;
	e->msi_addr = addr;
	e->msi_data = data;
}

static void plat_intx(void *ctx, bool level)
{
	struct env *e = ctx;

	/* The transport reports changes only. */
	assert_int_not_equal(level, e->intx_level);
	e->intx_level = level;
	e->intx_calls++;
}

static uint32_t cfg_rd(struct env *e, unsigned reg, unsigned size)
{
	uint64_t v;

	assert_int_equal(vpci_cf8_ops.write(&e->bus, 0, 4, VPCI_ADDR_ENABLE | 1 << 11 | (reg & 0xfc)),
			 0);
	assert_int_equal(vpci_cfc_ops.read(&e->bus, reg & 3, size, &v), 0);
	return (uint32_t)v;
}

static void cfg_wr(struct env *e, unsigned reg, unsigned size, uint32_t v)
{
	assert_int_equal(vpci_cf8_ops.write(&e->bus, 0, 4, VPCI_ADDR_ENABLE | 1 << 11 | (reg & 0xfc)),
			 0);
	assert_int_equal(vpci_cfc_ops.write(&e->bus, reg & 3, size, v), 0);
}

static uint64_t mrd(struct env *e, uint64_t addr, unsigned size)
{
	uint64_t v = 0xdead;

	assert_true(io_access(&e->mmio, addr, size, false, &v) >= 0);
	return v;
}

static void mwr(struct env *e, uint64_t addr, unsigned size, uint64_t v)
{
	assert_true(io_access(&e->mmio, addr, size, true, &v) >= 0);
}

/* Common configuration, ISR, device configuration and notify accessors. */
static uint64_t crd(struct env *e, unsigned off, unsigned size)
{
	return mrd(e, e->bar4 + VIRTIO_PCI_COMMON + off, size);
}

static void cwr(struct env *e, unsigned off, unsigned size, uint64_t v)
{
	mwr(e, e->bar4 + VIRTIO_PCI_COMMON + off, size, v);
}

static uint8_t status(struct env *e)
{
	return (uint8_t)crd(e, VIRTIO_PCI_STATUS, 1);
}

static uint8_t isr(struct env *e)
{
	return (uint8_t)mrd(e, e->bar4 + VIRTIO_PCI_ISR, 1);
}

static void notify(struct env *e, unsigned q)
{
	mwr(e, e->bar4 + VIRTIO_PCI_NOTIFY + 4 * q, 2, q);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	vpci_init(&e->bus, &e->mmio);
	for (unsigned i = 0; i < NR_QUEUES; i++)
		virtq_init(&e->dev.q[i], &fake_mem);
	for (unsigned i = 0; i < CONFIG_SIZE; i++)
		e->dev.config[i] = (uint8_t)(0x10 + i);
	assert_int_equal(vpci_virtio_init(&e->vp, &e->bus, &fd_ops, &e->dev, plat_msi, plat_intx,
					  e), 0);
	e->t = virtio_pci_transport(&e->vp);
	e->bar1 = cfg_rd(e, PCI_BAR0 + 4, 4) & ~0xfULL;
	e->bar4 = (cfg_rd(e, PCI_BAR0 + 16, 4) & ~0xfULL) |
		  (uint64_t)cfg_rd(e, PCI_BAR0 + 20, 4) << 32;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->dev.bad_calls, 0);
	free(e);
	return 0;
}

/* Feature negotiation as a driver does it; returns the status after
 * FEATURES_OK. */
static uint8_t negotiate(struct env *e, uint64_t features)
{
	cwr(e, VIRTIO_PCI_STATUS, 1, 0);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER);
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 0);
	cwr(e, VIRTIO_PCI_GF, 4, (uint32_t)features);
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 1);
	cwr(e, VIRTIO_PCI_GF, 4, (uint32_t)(features >> 32));
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER | ST_FEAT);
	return status(e);
}

/* Program queue 'q' with valid rings and enable it. */
static void setup_queue(struct env *e, unsigned q, uint16_t size, uint64_t base)
{
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, q);
	cwr(e, VIRTIO_PCI_Q_SIZE, 2, size);
	cwr(e, VIRTIO_PCI_Q_DESC, 4, (uint32_t)base);
	cwr(e, VIRTIO_PCI_Q_DESC + 4, 4, (uint32_t)(base >> 32));
	cwr(e, VIRTIO_PCI_Q_DRIVER, 4, (uint32_t)(base + 0x1000));
	cwr(e, VIRTIO_PCI_Q_DRIVER + 4, 4, (uint32_t)(base >> 32));
	cwr(e, VIRTIO_PCI_Q_DEVICE, 8, base + 0x2000);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 1);
}

static void bring_up(struct env *e)
{
	assert_int_equal(negotiate(e, F_VERSION_1 | F_INDIRECT), ST_ACK | ST_DRIVER | ST_FEAT);
	setup_queue(e, 0, 128, 0x100000);
	setup_queue(e, 1, 64, 0x200000);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER | ST_FEAT | ST_OK);
	assert_int_equal(status(e), ST_ACK | ST_DRIVER | ST_FEAT | ST_OK);
}

/* Turn MSI-X on (function unmasked) and program vector 'vec'. */
static void msix_on(struct env *e, unsigned vec, uint64_t addr, uint32_t data, bool masked)
{
	uint64_t entry = e->bar1 + VIRTIO_PCI_MSIX_TABLE + vec * PCI_MSIX_ENTRY_SIZE;

	mwr(e, entry + PCI_MSIX_ENTRY_ADDR_LO, 4, (uint32_t)addr);
	mwr(e, entry + PCI_MSIX_ENTRY_ADDR_HI, 4, (uint32_t)(addr >> 32));
	mwr(e, entry + PCI_MSIX_ENTRY_DATA, 4, data);
	mwr(e, entry + PCI_MSIX_ENTRY_CTRL, 4, masked);
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
}

/* The capability of cfg_type 'type', or 0. */
static unsigned find_vcap(struct env *e, unsigned type)
{
	unsigned c = cfg_rd(e, PCI_CAP_PTR, 1);

	for (unsigned n = 0; c && n < 48; n++) {
		if (cfg_rd(e, c, 1) == PCI_CAP_ID_VNDR &&
		    cfg_rd(e, c + VIRTIO_PCI_CAP_TYPE, 1) == type)
			return c;
		c = cfg_rd(e, c + 1, 1);
	}
	return 0;
}

/* ------------------------------------------------ tests */

static void test_identity(void **state)
{
	struct env *e = *state;

	assert_int_equal(cfg_rd(e, PCI_VENDOR_ID, 4), 0x10421af4);
	assert_int_equal(cfg_rd(e, PCI_REVISION_ID, 4), 0x01800001);
	assert_int_equal(cfg_rd(e, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	assert_int_equal(cfg_rd(e, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_rd(e, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_rd(e, PCI_BAR0 + 4, 4) & 0xf, 0);		/* 32-bit */
	assert_int_equal(cfg_rd(e, PCI_BAR0 + 16, 4) & 0xf, PCI_BAR_MEM_64);
	assert_true(e->bar1 >= VPCI_MMIO_BASE && e->bar4 >= VPCI_MMIO_BASE);
	assert_int_equal(e->bar4 % VIRTIO_PCI_BAR_SIZE, 0);
	/* BAR sizes: 4 KiB and 16 KiB. */
	cfg_wr(e, PCI_COMMAND, 2, 0);
	cfg_wr(e, PCI_BAR0 + 4, 4, 0xffffffff);
	cfg_wr(e, PCI_BAR0 + 16, 4, 0xffffffff);
	assert_int_equal(cfg_rd(e, PCI_BAR0 + 4, 4), 0xfffff000);
	assert_int_equal(cfg_rd(e, PCI_BAR0 + 16, 4), 0xffffc004);
	/* Unused BARs are not implemented. */
	for (unsigned i = 0; i < 6; i++)
		if (i != 1 && i != 4 && i != 5)
			assert_int_equal(cfg_rd(e, PCI_BAR0 + 4 * i, 4), 0);
}

static void test_rng_identity(void **state)
{
	struct env *e = *state;
	struct virtio_pci *vp = malloc(sizeof(*vp));
	struct virtio_dev_ops ops = fd_ops;

	ops.device_id = VIRTIO_ID_RNG;
	ops.nr_queues = 1;
	ops.config_size = 0;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e), 0);
	assert_int_equal(vp->func.dev, 2);
	assert_int_equal(vpci_func_read(&vp->func, PCI_VENDOR_ID, 4), 0x10441af4);
	assert_int_equal(vpci_func_read(&vp->func, PCI_REVISION_ID, 4), 0x00ff0001);
	/* Two vectors; no device-configuration capability. */
	assert_int_equal(vpci_func_read(&vp->func, vp->msix_cap + PCI_MSIX_CTRL, 2), 1);
	for (unsigned c = vpci_func_read(&vp->func, PCI_CAP_PTR, 1), n = 0; c && n < 48; n++) {
		if (vpci_func_read(&vp->func, c, 1) == PCI_CAP_ID_VNDR)
			assert_int_not_equal(vpci_func_read(&vp->func, c + 3, 1),
					     VIRTIO_PCI_CAP_DEVICE_CFG);
		c = vpci_func_read(&vp->func, c + 1, 1);
	}
	free(vp);
}

static void test_init_invalid(void **state)
{
	struct env *e = *state;
	struct virtio_pci *vp = malloc(sizeof(*vp));
	struct virtio_dev_ops ops;

	ops = fd_ops, ops.nr_queues = 0;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e),
			 -E_INVAL);
	ops = fd_ops, ops.nr_queues = VIRTIO_PCI_MAX_QUEUES + 1;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e),
			 -E_INVAL);
	ops = fd_ops, ops.queue_max = 100;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e),
			 -E_INVAL);
	ops = fd_ops, ops.queue_max = 0;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e),
			 -E_INVAL);
	ops = fd_ops, ops.config_size = 0x1001;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e),
			 -E_INVAL);
	ops = fd_ops, ops.notify = NULL;
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &ops, &e->dev, plat_msi, plat_intx, e),
			 -E_INVAL);
	assert_int_equal(vpci_virtio_init(vp, &e->bus, &fd_ops, &e->dev, NULL, plat_intx, e),
			 -E_INVAL);
	assert_int_equal(e->bus.dev[2], NULL);
	free(vp);
}

/* The capabilities a Linux driver looks for (4.1.4), each at its place. */
static void test_capabilities(void **state)
{
	struct env *e = *state;
	static const struct { unsigned type, offset, length, len; } want[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON, 0x1000, 16 },
		{ VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 0x1000, 16 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE, 0x1000, 16 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY, 0x1000, 20 },
	};
	unsigned m = e->vp.msix_cap, c;

	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		c = find_vcap(e, want[i].type);
		assert_int_not_equal(c, 0);
		assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_LEN_OFF, 1), want[i].len);
		assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_BAR, 1), VIRTIO_PCI_BAR);
		assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_OFFSET, 4), want[i].offset);
		assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_LENGTH, 4), want[i].length);
		/* Read-only. */
		cfg_wr(e, c + VIRTIO_PCI_CAP_BAR, 1, 2);
		cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, 0);
		assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_BAR, 1), VIRTIO_PCI_BAR);
		assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_OFFSET, 4), want[i].offset);
	}
	c = find_vcap(e, VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_NOTIFY_CAP_MULT, 4), VIRTIO_PCI_NOTIFY_MULT);
	assert_int_not_equal(find_vcap(e, VIRTIO_PCI_CAP_PCI_CFG), 0);
	/* MSI-X: 3 vectors, table and PBA in BAR 1, starting disabled. */
	assert_int_equal(cfg_rd(e, m, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(cfg_rd(e, m + PCI_MSIX_CTRL, 2), NR_QUEUES);
	assert_int_equal(cfg_rd(e, m + PCI_MSIX_TABLE, 4), VIRTIO_PCI_MSIX_TABLE | 1);
	assert_int_equal(cfg_rd(e, m + PCI_MSIX_PBA, 4), VIRTIO_PCI_MSIX_PBA | 1);
	cfg_wr(e, m + PCI_MSIX_CTRL, 2, 0xffff);
	assert_int_equal(cfg_rd(e, m + PCI_MSIX_CTRL, 2),
			 PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL | NR_QUEUES);
	/* Fixed registers of the common configuration. */
	assert_int_equal(crd(e, VIRTIO_PCI_NUM_QUEUES, 2), NR_QUEUES);
	assert_int_equal(crd(e, VIRTIO_PCI_MSIX_CONFIG, 2), VIRTIO_PCI_NO_VECTOR);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), QUEUE_MAX);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_NOFF, 2), 1);
	assert_int_equal(crd(e, VIRTIO_PCI_CFG_GEN, 1), 0);
}

static void test_handshake(void **state)
{
	struct env *e = *state;

	assert_int_equal(status(e), 0);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER);
	assert_int_equal(status(e), ST_ACK | ST_DRIVER);
	/* The offered features in two windows; the third is 0. */
	cwr(e, VIRTIO_PCI_DFSELECT, 4, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_DF, 4), (uint32_t)OFFERED);
	cwr(e, VIRTIO_PCI_DFSELECT, 4, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_DFSELECT, 4), 1);
	assert_int_equal(crd(e, VIRTIO_PCI_DF, 4), OFFERED >> 32);
	cwr(e, VIRTIO_PCI_DFSELECT, 4, 2);
	assert_int_equal(crd(e, VIRTIO_PCI_DF, 4), 0);
	/* The driver's choice; FEATURES_OK sticks. */
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 0);
	cwr(e, VIRTIO_PCI_GF, 4, (uint32_t)F_INDIRECT);
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 1);
	cwr(e, VIRTIO_PCI_GF, 4, 1);
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 7);	/* beyond: ignored */
	cwr(e, VIRTIO_PCI_GF, 4, 0xffffffff);
	assert_int_equal(crd(e, VIRTIO_PCI_GF, 4), 0);
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_GF, 4), (uint32_t)F_INDIRECT);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER | ST_FEAT);
	assert_int_equal(status(e), ST_ACK | ST_DRIVER | ST_FEAT);
	assert_int_equal(e->dev.accepted, F_VERSION_1 | F_INDIRECT);
	assert_true(e->dev.q[0].indirect && e->dev.q[1].indirect);
	/* Frozen afterwards. */
	cwr(e, VIRTIO_PCI_GF, 4, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_GF, 4), (uint32_t)F_INDIRECT);
	/* Queue 0: 128 entries at 0x1_0000_0000 + ..., vector setting. */
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), QUEUE_MAX);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
	setup_queue(e, 0, 128, 0x100000000ULL);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), 128);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_DESC, 4), 0);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_DESC + 4, 4), 1);
	assert_true(crd(e, VIRTIO_PCI_Q_DRIVER, 8) == 0x100001000ULL);
	assert_true(crd(e, VIRTIO_PCI_Q_DEVICE, 8) == 0x100002000ULL);
	assert_true(e->dev.q[0].ready);
	assert_int_equal(e->dev.q[0].size, 128);
	assert_true(e->dev.q[0].desc_addr == 0x100000000ULL);
	assert_true(e->dev.q[0].avail_addr == 0x100001000ULL);
	assert_true(e->dev.q[0].used_addr == 0x100002000ULL);
	assert_false(e->dev.q[1].ready);
	/* Notifications wait for DRIVER_OK. */
	notify(e, 0);
	assert_int_equal(e->dev.notified[0], 0);
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER | ST_FEAT | ST_OK);
	assert_int_equal(status(e), ST_ACK | ST_DRIVER | ST_FEAT | ST_OK);
	notify(e, 0);
	mwr(e, e->bar4 + VIRTIO_PCI_NOTIFY, 4, 0xffffffff);	/* any value and width */
	mwr(e, e->bar4 + VIRTIO_PCI_NOTIFY, 1, 0);
	assert_int_equal(e->dev.notified[0], 3);
	/* Not queue 1 (not enabled), no queue 2, nothing off the grid. */
	notify(e, 1);
	notify(e, 2);
	notify(e, 1000);
	mwr(e, e->bar4 + VIRTIO_PCI_NOTIFY + 2, 2, 0);
	assert_int_equal(e->dev.notified[0], 3);
	assert_int_equal(e->dev.notified[1], 0);
	/* Device configuration in every width. */
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_DEVICE, 1), 0x10);
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_DEVICE + 2, 2), 0x1312);
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_DEVICE + 4, 4), 0x17161514);
	assert_true(mrd(e, e->bar4 + VIRTIO_PCI_DEVICE + 4, 8) == 0x1b1a191817161514ULL);
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_DEVICE + 10, 4), 0);	/* past the end */
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_DEVICE + 0x800, 4), 0);
	mwr(e, e->bar4 + VIRTIO_PCI_DEVICE + 1, 1, 0xaa);
	mwr(e, e->bar4 + VIRTIO_PCI_DEVICE + 11, 2, 0xbbbb);	/* past the end */
	assert_int_equal(e->dev.config[1], 0xaa);
	assert_int_equal(e->dev.config_writes, 1);
}

static void test_features_refused(void **state)
{
	struct env *e = *state;
	const uint8_t no_feat = ST_ACK | ST_DRIVER;

	/* More than offered. */
	assert_int_equal(negotiate(e, F_VERSION_1 | (1ULL << 40)), no_feat);
	assert_int_equal(negotiate(e, F_VERSION_1 | (1ULL << 5)), no_feat);
	/* No VERSION_1: a legacy driver. */
	assert_int_equal(negotiate(e, F_INDIRECT), no_feat);
	assert_int_equal(e->dev.set_features_calls, 0);
	/* The device says no. */
	e->dev.refuse = -E_INVAL;
	assert_int_equal(negotiate(e, F_VERSION_1), no_feat);
	assert_int_equal(e->dev.set_features_calls, 1);
	assert_false(e->dev.q[0].indirect);
	/* DRIVER_OK without FEATURES_OK does not stick, nor do queues run. */
	setup_queue(e, 0, 16, 0x4000);
	cwr(e, VIRTIO_PCI_STATUS, 1, no_feat | ST_OK);
	assert_int_equal(status(e), no_feat);
	notify(e, 0);
	assert_int_equal(e->dev.notified[0], 0);
	/* FEATURES_OK and DRIVER_OK at once, refused: neither. */
	cwr(e, VIRTIO_PCI_STATUS, 1, no_feat | ST_FEAT | ST_OK);
	assert_int_equal(status(e), no_feat);
	/* Accepted at last: the subset without extras is fine. */
	e->dev.refuse = 0;
	assert_int_equal(negotiate(e, F_VERSION_1), no_feat | ST_FEAT);
	assert_int_equal(e->dev.accepted, F_VERSION_1);
	assert_false(e->dev.q[0].indirect);
}

static void test_reset(void **state)
{
	struct env *e = *state;

	bring_up(e);
	cwr(e, VIRTIO_PCI_MSIX_CONFIG, 2, 0);
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, 1);
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, 2);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_MSIX, 2), 2);
	e->dev.resets = 0;
	cwr(e, VIRTIO_PCI_STATUS, 1, 0);
	assert_int_equal(status(e), 0);
	assert_int_equal(e->dev.resets, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_MSIX_CONFIG, 2), VIRTIO_PCI_NO_VECTOR);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SELECT, 2), 0);
	for (unsigned q = 0; q < NR_QUEUES; q++) {
		cwr(e, VIRTIO_PCI_Q_SELECT, 2, q);
		assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
		assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), QUEUE_MAX);
		assert_int_equal(crd(e, VIRTIO_PCI_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
		assert_true(crd(e, VIRTIO_PCI_Q_DESC, 8) == 0);
		assert_false(e->dev.q[q].ready);
		assert_int_equal(e->dev.q[q].size, 0);
		assert_false(e->dev.q[q].indirect);
	}
	cwr(e, VIRTIO_PCI_GFSELECT, 4, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_GF, 4), 0);
	notify(e, 0);
	assert_int_equal(e->dev.notified[0], 0);
	/* And the driver can start over. */
	bring_up(e);
	notify(e, 1);
	assert_int_equal(e->dev.notified[1], 1);
}

static void reset_device(void *ctx)
{
	cwr(ctx, VIRTIO_PCI_STATUS, 1, 0);
}

/* A reset that lands while the transport is out calling the device (a
 * re-entrant device, or another vCPU) wins: no deadlock, and nothing of
 * the interrupted negotiation or queue enable survives it. */
static void test_reset_overtakes(void **state)
{
	struct env *e = *state;

	e->dev.reenter = reset_device;
	e->dev.reenter_ctx = e;
	e->dev.reenter_at = AT_FEATURES;
	assert_int_equal(negotiate(e, F_VERSION_1), 0);
	assert_int_equal(e->dev.set_features_calls, 1);
	assert_null(e->dev.reenter);
	assert_int_equal(negotiate(e, F_VERSION_1), ST_ACK | ST_DRIVER | ST_FEAT);
	e->dev.reenter = reset_device;
	e->dev.reenter_at = AT_QUEUE;
	setup_queue(e, 1, 16, 0x8000);
	assert_null(e->dev.reenter);
	assert_int_equal(status(e), 0);
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
	assert_false(e->dev.q[1].ready);
	assert_int_equal(e->dev.q[1].size, 0);
}

static void test_queue_hostile(void **state)
{
	struct env *e = *state;
	static const uint16_t bad_sizes[] = { 0, 3, 100, 512, 1024, 0x8000, 0xffff };

	assert_int_equal(negotiate(e, F_VERSION_1), ST_ACK | ST_DRIVER | ST_FEAT);
	/* A queue_select with no queue: every queue field reads 0, writes vanish. */
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, NR_QUEUES);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SELECT, 2), NR_QUEUES);
	setup_queue(e, 0xffff, 16, 0x4000);
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, 0);
	for (unsigned off = VIRTIO_PCI_Q_SIZE; off < VIRTIO_PCI_Q_DESC; off += 2)
		assert_int_equal(crd(e, off, 2), 0);
	assert_true(crd(e, VIRTIO_PCI_Q_DESC, 8) == 0);
	assert_true(crd(e, VIRTIO_PCI_Q_DEVICE, 8) == 0);
	/* Bad sizes are ignored. */
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, 0);
	cwr(e, VIRTIO_PCI_Q_SIZE, 2, 32);
	for (unsigned i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		cwr(e, VIRTIO_PCI_Q_SIZE, 2, bad_sizes[i]);
		assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), 32);
	}
	cwr(e, VIRTIO_PCI_Q_SIZE, 4, 64);	/* wrong width */
	cwr(e, VIRTIO_PCI_Q_SIZE, 1, 64);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), 32);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 4), 0);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 1), 0);
	cwr(e, VIRTIO_PCI_Q_SIZE, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), 1);
	/* Misaligned rings: queue_enable stays 0 and the virtq not ready. */
	cwr(e, VIRTIO_PCI_Q_DESC, 8, 0x1008);
	cwr(e, VIRTIO_PCI_Q_DRIVER, 8, 0x2000);
	cwr(e, VIRTIO_PCI_Q_DEVICE, 8, 0x3000);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
	assert_false(e->dev.q[0].ready);
	cwr(e, VIRTIO_PCI_Q_DESC, 8, 0x1000);
	cwr(e, VIRTIO_PCI_Q_DEVICE, 8, 0x3002);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
	/* Rings that wrap past 2^64. */
	cwr(e, VIRTIO_PCI_Q_DEVICE, 8, 0xfffffffffffffff0ULL);
	cwr(e, VIRTIO_PCI_Q_SIZE, 2, 256);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
	assert_false(e->dev.q[0].ready);
	/* Enable values other than 1 do nothing. */
	cwr(e, VIRTIO_PCI_Q_DEVICE, 8, 0x3000);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 2);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 0x8001);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 0);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 1);
	assert_true(e->dev.q[0].ready);
	/* Once enabled, size and rings are fixed; writing 0 does not disable. */
	cwr(e, VIRTIO_PCI_Q_SIZE, 2, 16);
	cwr(e, VIRTIO_PCI_Q_DESC, 4, 0x9000);
	cwr(e, VIRTIO_PCI_Q_DEVICE + 4, 4, 1);
	cwr(e, VIRTIO_PCI_Q_ENABLE, 2, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_SIZE, 2), 256);
	assert_true(crd(e, VIRTIO_PCI_Q_DESC, 8) == 0x1000);
	assert_true(crd(e, VIRTIO_PCI_Q_DEVICE, 8) == 0x3000);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_ENABLE, 2), 1);
	assert_true(e->dev.q[0].desc_addr == 0x1000);
	/* Vectors beyond the table read back NO_VECTOR. */
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, NR_QUEUES + 1);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_MSIX, 2), VIRTIO_PCI_NO_VECTOR);
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, NR_QUEUES);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_MSIX, 2), NR_QUEUES);
	cwr(e, VIRTIO_PCI_MSIX_CONFIG, 2, 0x1234);
	assert_int_equal(crd(e, VIRTIO_PCI_MSIX_CONFIG, 2), VIRTIO_PCI_NO_VECTOR);
	/* Read-only fields stay put. */
	cwr(e, VIRTIO_PCI_NUM_QUEUES, 2, 9);
	cwr(e, VIRTIO_PCI_CFG_GEN, 1, 9);
	cwr(e, VIRTIO_PCI_Q_NOFF, 2, 9);
	cwr(e, VIRTIO_PCI_DF, 4, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_NUM_QUEUES, 2), NR_QUEUES);
	assert_int_equal(crd(e, VIRTIO_PCI_CFG_GEN, 1), 0);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_NOFF, 2), 0);
	cwr(e, VIRTIO_PCI_DFSELECT, 4, 0);
	assert_int_equal(crd(e, VIRTIO_PCI_DF, 4), (uint32_t)OFFERED);
	/* Width mismatches read 0 and write nothing. */
	assert_int_equal(crd(e, VIRTIO_PCI_STATUS, 2), 0);
	assert_int_equal(crd(e, VIRTIO_PCI_DFSELECT, 2), 0);
	assert_int_equal(crd(e, VIRTIO_PCI_Q_DESC + 2, 4), 0);
	assert_int_equal(crd(e, 0x38, 4), 0);
	assert_int_equal(crd(e, 0xffc, 4), 0);
	cwr(e, VIRTIO_PCI_STATUS, 4, 0);
	cwr(e, VIRTIO_PCI_STATUS - 1, 2, 0);
	assert_int_equal(status(e), ST_ACK | ST_DRIVER | ST_FEAT);
}

static void test_msix_delivery(void **state)
{
	struct env *e = *state;
	uint64_t pba = e->bar1 + VIRTIO_PCI_MSIX_PBA;
	uint64_t entry1 = e->bar1 + PCI_MSIX_ENTRY_SIZE;

	/* Vectors set before DRIVER_OK: still nothing is sent until then. */
	assert_int_equal(negotiate(e, F_VERSION_1), ST_ACK | ST_DRIVER | ST_FEAT);
	msix_on(e, 0, 0xfee00000, 0x31, false);
	cwr(e, VIRTIO_PCI_MSIX_CONFIG, 2, 0);
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, 0);
	e->t->queue_interrupt(e->t->ctx, 0);
	e->t->needs_reset(e->t->ctx);
	assert_int_equal(e->msis, 0);
	assert_int_equal(mrd(e, pba, 4), 0);
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, 0);
	mwr(e, e->bar1 + PCI_MSIX_ENTRY_CTRL, 4, PCI_MSIX_ENTRY_MASKED);
	bring_up(e);
	/* Entries start masked; table reads back what was written. */
	assert_int_equal(mrd(e, e->bar1 + PCI_MSIX_ENTRY_CTRL, 4), PCI_MSIX_ENTRY_MASKED);
	msix_on(e, 1, 0xfee01003, 0x4041, false);
	assert_int_equal(mrd(e, entry1, 4), 0xfee01000);	/* dword aligned */
	assert_true(mrd(e, entry1, 8) == 0xfee01000ULL);
	assert_true(mrd(e, entry1 + 8, 8) == 0x4041ULL);
	cwr(e, VIRTIO_PCI_Q_SELECT, 2, 0);
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, 1);
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_int_equal(e->msis, 1);
	assert_true(e->msi_addr == 0xfee01000);
	assert_int_equal(e->msi_data, 0x4041);
	assert_int_equal(e->intx_calls, 0);
	assert_int_equal(isr(e), 0);	/* no ISR bit with MSI-X */
	/* Masked entry: pending, then delivered on unmask. */
	mwr(e, entry1 + PCI_MSIX_ENTRY_CTRL, 4, 1);
	e->t->queue_interrupt(e->t->ctx, 0);
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_int_equal(e->msis, 1);
	assert_int_equal(mrd(e, pba, 4), 1 << 1);
	assert_true(mrd(e, pba, 8) == 1 << 1);
	mwr(e, pba, 8, 0);	/* read-only */
	assert_int_equal(mrd(e, pba, 4), 1 << 1);
	mwr(e, entry1 + PCI_MSIX_ENTRY_CTRL, 4, 0);
	assert_int_equal(e->msis, 2);
	assert_int_equal(mrd(e, pba, 4), 0);
	/* Function mask: the same through the capability. */
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_int_equal(e->msis, 2);
	assert_int_equal(mrd(e, pba, 4), 1 << 1);
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
	assert_int_equal(e->msis, 3);
	assert_int_equal(mrd(e, pba, 4), 0);
	/* A new message takes effect; a qword write sets address and data. */
	mwr(e, entry1, 8, 0x00000001fee02000ULL);
	mwr(e, entry1 + 8, 8, 0x0000000000004242ULL);
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_int_equal(e->msis, 4);
	assert_true(e->msi_addr == 0x1fee02000ULL);
	assert_int_equal(e->msi_data, 0x4242);
	/* NO_VECTOR: nothing at all; an out-of-range queue: nothing. */
	cwr(e, VIRTIO_PCI_Q_MSIX, 2, VIRTIO_PCI_NO_VECTOR);
	e->t->queue_interrupt(e->t->ctx, 0);
	e->t->queue_interrupt(e->t->ctx, NR_QUEUES);
	e->t->queue_interrupt(e->t->ctx, 0xffff);
	assert_int_equal(e->msis, 4);
	assert_int_equal(mrd(e, pba, 4), 0);
	/* needs_reset: the config vector and the status bit. */
	msix_on(e, 0, 0xfee00000, 0x30, false);
	cwr(e, VIRTIO_PCI_MSIX_CONFIG, 2, 0);
	e->t->needs_reset(e->t->ctx);
	assert_int_equal(e->msis, 5);
	assert_int_equal(e->msi_data, 0x30);
	assert_int_equal(status(e) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(isr(e), VIRTIO_PCI_ISR_CONFIG);
	/* The driver cannot clear NEEDS_RESET except by a reset. */
	cwr(e, VIRTIO_PCI_STATUS, 1, ST_ACK | ST_DRIVER | ST_FEAT | ST_OK);
	assert_int_equal(status(e) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	cwr(e, VIRTIO_PCI_STATUS, 1, 0);
	assert_int_equal(status(e), 0);
	/* The MSI-X table survives a device reset; before DRIVER_OK the
	 * device sends nothing. */
	assert_int_equal(mrd(e, entry1 + PCI_MSIX_ENTRY_DATA, 4), 0x4242);
	e->t->queue_interrupt(e->t->ctx, 0);
	e->t->needs_reset(e->t->ctx);
	assert_int_equal(e->msis, 5);
	assert_int_equal(e->intx_calls, 0);
	/* Table accesses of odd widths and places are harmless. */
	assert_int_equal(mrd(e, entry1 + 2, 2), 0);
	assert_int_equal(mrd(e, entry1 + 4, 8), 0);
	assert_int_equal(mrd(e, e->bar1 + 3 * PCI_MSIX_ENTRY_SIZE, 4), 0);	/* past the table */
	mwr(e, entry1 + 1, 1, 0xff);
	mwr(e, e->bar1 + 0x7fc, 4, 0xffffffff);
	mwr(e, pba + 4, 4, 0xffffffff);
	assert_int_equal(mrd(e, pba, 4), 0);
	assert_int_equal(mrd(e, entry1 + PCI_MSIX_ENTRY_ADDR_LO, 4), 0xfee02000);
}

static void test_intx(void **state)
{
	struct env *e = *state;

	/* Before DRIVER_OK the device interrupts nobody. */
	assert_int_equal(negotiate(e, F_VERSION_1), ST_ACK | ST_DRIVER | ST_FEAT);
	e->t->queue_interrupt(e->t->ctx, 0);
	e->t->needs_reset(e->t->ctx);
	assert_int_equal(e->intx_calls, 0);
	assert_int_equal(isr(e), 0);
	bring_up(e);
	/* MSI-X off: ISR bit 0 and INTA, lowered by reading the ISR. */
	e->t->queue_interrupt(e->t->ctx, 1);
	assert_true(e->intx_level);
	assert_int_equal(e->intx_calls, 1);
	assert_int_equal(cfg_rd(e, PCI_STATUS, 2) & PCI_STATUS_INTX, PCI_STATUS_INTX);
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_int_equal(e->intx_calls, 1);
	assert_int_equal(isr(e), VIRTIO_PCI_ISR_QUEUE);
	assert_false(e->intx_level);
	assert_int_equal(cfg_rd(e, PCI_STATUS, 2) & PCI_STATUS_INTX, 0);
	assert_int_equal(isr(e), 0);
	assert_int_equal(e->intx_calls, 2);
	/* Other widths and offsets neither read nor clear the ISR. */
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_ISR, 4), 0);
	assert_int_equal(mrd(e, e->bar4 + VIRTIO_PCI_ISR + 1, 1), 0);
	mwr(e, e->bar4 + VIRTIO_PCI_ISR, 1, 0);
	assert_true(e->intx_level);
	/* A configuration change adds bit 1. */
	e->t->needs_reset(e->t->ctx);
	assert_int_equal(isr(e), VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG);
	assert_false(e->intx_level);
	/* INTx disable holds the line low while pending; clearing it raises. */
	cfg_wr(e, PCI_COMMAND, 2, PCI_COMMAND_MEM | PCI_COMMAND_INTX_DISABLE);
	e->t->queue_interrupt(e->t->ctx, 0);
	assert_false(e->intx_level);
	assert_int_equal(cfg_rd(e, PCI_STATUS, 2) & PCI_STATUS_INTX, PCI_STATUS_INTX);
	cfg_wr(e, PCI_COMMAND, 2, PCI_COMMAND_MEM);
	assert_true(e->intx_level);
	/* Enabling MSI-X takes the line down too. */
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
	assert_false(e->intx_level);
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, 0);
	assert_true(e->intx_level);
	/* A reset forgets the pending interrupt. */
	cwr(e, VIRTIO_PCI_STATUS, 1, 0);
	assert_false(e->intx_level);
	assert_int_equal(isr(e), 0);
}

/* The PCI configuration access capability (4.1.4.9): BAR registers
 * through configuration space. */
static void test_cfg_window(void **state)
{
	struct env *e = *state;
	unsigned c = find_vcap(e, VIRTIO_PCI_CAP_PCI_CFG);
	unsigned data = c + VIRTIO_PCI_CFG_CAP_DATA;
	uint64_t bad;

	assert_int_not_equal(c, 0);
	assert_int_equal(cfg_rd(e, c + VIRTIO_PCI_CAP_LEN_OFF, 1), 20);
	/* num_queues, 2 bytes. */
	cfg_wr(e, c + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_BAR);
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON + VIRTIO_PCI_NUM_QUEUES);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 2);
	assert_int_equal(cfg_rd(e, data, 2), NR_QUEUES);
	/* Write device_status through it, read it back directly. */
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON + VIRTIO_PCI_STATUS);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 1);
	cfg_wr(e, data, 1, ST_ACK);
	assert_int_equal(status(e), ST_ACK);
	assert_int_equal(cfg_rd(e, data, 4) & 0xff, ST_ACK);
	/* Device configuration, 4 bytes. */
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_DEVICE + 4);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 4);
	assert_int_equal(cfg_rd(e, data, 4), 0x17161514);
	/* The MSI-X table in BAR 1. */
	cfg_wr(e, c + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_MSIX_BAR);
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, PCI_MSIX_ENTRY_DATA);
	cfg_wr(e, data, 4, 0x5151);
	assert_int_equal(mrd(e, e->bar1 + PCI_MSIX_ENTRY_DATA, 4), 0x5151);
	/* Bad windows reach nothing: length 3, misaligned, past the BAR, BAR 0,
	 * BAR 5 (the upper half of BAR 4), BAR 200. */
	cfg_wr(e, c + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_BAR);
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON + VIRTIO_PCI_STATUS);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 3);
	cfg_wr(e, data, 4, 0);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 2);	/* offset 0x14 is 2-aligned: fine... */
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON + VIRTIO_PCI_CFG_GEN);
	cfg_wr(e, data, 4, 0);			/* ...0x15 is not */
	bad = e->vp.bad_accesses;
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_BAR_SIZE);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 4);
	cfg_wr(e, data, 4, 0);
	cfg_rd(e, data, 4);
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, 0xfffffffc);
	cfg_wr(e, data, 4, 0);
	assert_int_equal(e->vp.bad_accesses, bad);	/* not even tried */
	cfg_wr(e, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_STATUS);
	cfg_wr(e, c + VIRTIO_PCI_CAP_LENGTH, 4, 1);
	for (unsigned bar = 0; bar < 256; bar++) {
		if (bar == VIRTIO_PCI_BAR || bar == VIRTIO_PCI_MSIX_BAR)
			continue;
		cfg_wr(e, c + VIRTIO_PCI_CAP_BAR, 1, bar);
		cfg_wr(e, data, 1, 0);
		cfg_rd(e, data, 1);
	}
	assert_int_equal(status(e), ST_ACK);
}

/* ------------------------------------------------ hostile guest */

static void check_invariants(struct env *e)
{
	struct virtio_pci *vp = &e->vp;

	assert_int_equal(e->dev.bad_calls, 0);
	assert_true(vp->config_vector < vp->nr_vectors || vp->config_vector == VIRTIO_PCI_NO_VECTOR);
	for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
		const struct virtio_pci_queue *s = &vp->queue[q];

		assert_true(s->vector < vp->nr_vectors || s->vector == VIRTIO_PCI_NO_VECTOR);
		assert_true(s->size && !(s->size & (s->size - 1)) && s->size <= QUEUE_MAX);
		if (q >= NR_QUEUES) {
			assert_false(s->enabled);
			continue;
		}
		assert_int_equal(s->enabled, e->dev.q[q].ready);
		if (s->enabled) {
			assert_int_equal(virtq_check_layout(&e->dev.q[q]), 0);
			assert_int_equal(e->dev.q[q].size, s->size);
		}
	}
	if (vp->status & VIRTIO_STATUS_FEATURES_OK) {
		assert_int_equal(vp->driver_features & ~OFFERED, 0);
		assert_true(vp->driver_features & F_VERSION_1);
	}
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		assert_true(vp->status & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vp->pba >> vp->nr_vectors, 0);
	assert_false(vp->intx_busy);
	/* The line always matches the state. */
	{
		uint32_t cmd = vpci_func_read(&vp->func, PCI_COMMAND, 2);
		uint32_t ctrl = vpci_func_read(&vp->func, vp->msix_cap + PCI_MSIX_CTRL, 2);
		bool want = vp->intx_pending && !(cmd & PCI_COMMAND_INTX_DISABLE) &&
			    !(ctrl & PCI_MSIX_CTRL_ENABLE);

		assert_int_equal(e->intx_level, want);
	}
}

/* An address the guest might hit: mostly inside the function's BARs
 * (wherever it moved them), sometimes anywhere in the window. */
static uint64_t fuzz_addr(struct env *e)
{
	uint64_t b1 = vpci_func_read(&e->vp.func, PCI_BAR0 + 4, 4) & ~0xfULL;
	uint64_t b4 = (vpci_func_read(&e->vp.func, PCI_BAR0 + 16, 4) & ~0xfULL) |
		      (uint64_t)vpci_func_read(&e->vp.func, PCI_BAR0 + 20, 4) << 32;

	switch (rng_below(8)) {
	case 0:
		return b1 + rng_below(0x1000);
	case 1:
		return b1 + (rng_below(4) * PCI_MSIX_ENTRY_SIZE) + rng_below(4) * 4;
	case 2:
		return VPCI_MMIO_BASE + rng_below(0x10000);
	case 3:
		return b4 + rng_below(0x4000);
	default:
		/* Mostly the registers that matter. */
		return b4 + rng_below(4) * VIRTIO_PCI_REGION_SIZE + rng_below(0x40);
	}
}

static uint64_t fuzz_value(void)
{
	switch (rng_below(6)) {
	case 0:
		return rng();
	case 1:
		return ~0ULL;
	case 2:
		return 1ULL << rng_below(64);
	default:
		return rng_below(0x10);
	}
}

/* Put the BARs back where the helpers expect them, decoding. */
static void restore_decode(struct env *e)
{
	cfg_wr(e, PCI_COMMAND, 2, 0);
	e->bar1 = 0xd0000000;
	e->bar4 = 0xd0004000;
	cfg_wr(e, PCI_BAR0 + 4, 4, (uint32_t)e->bar1);
	cfg_wr(e, PCI_BAR0 + 16, 4, (uint32_t)e->bar4);
	cfg_wr(e, PCI_BAR0 + 20, 4, 0);
	cfg_wr(e, PCI_COMMAND, 2, PCI_COMMAND_MEM);
	assert_non_null(io_find(&e->mmio, e->bar1, 4));
	assert_non_null(io_find(&e->mmio, e->bar4 + VIRTIO_PCI_BAR_SIZE - 4, 4));
}

static void test_fuzz(void **state)
{
	struct env *e = *state;
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	rng_state = 0xf00dfeed;
	for (unsigned n = 0; n < 200000; n++) {
		unsigned size = sizes[rng_below(4)];
		uint64_t v = fuzz_value();

		if (n % 5000 == 0 && rng_below(2)) {
			restore_decode(e);
			bring_up(e);	/* get past the gates now and then */
		}
		switch (rng_below(10)) {
		case 0:		/* configuration space, mostly the capabilities */
			cfg_wr(e, rng_below(2) ? (unsigned)rng_below(256) :
			       0x40 + (unsigned)rng_below(0x70), sizes[rng_below(3)], (uint32_t)v);
			break;
		case 1:
			cfg_rd(e, (unsigned)rng_below(256), sizes[rng_below(3)]);
			break;
		case 2:
			e->t->queue_interrupt(e->t->ctx, (uint16_t)rng_below(4));
			break;
		case 3:
			if (rng_below(8) == 0)
				e->t->needs_reset(e->t->ctx);
			break;
		case 4: case 5: case 6:
			mwr(e, fuzz_addr(e), size, v);
			break;
		default:
			mrd(e, fuzz_addr(e), size);
		}
		check_invariants(e);
	}
	/* The random guest got as far as the device and both interrupt kinds. */
	assert_true(e->vp.notifies > 0);
	assert_true(e->msis > 0);
	assert_true(e->intx_calls > 0);
	/* Whatever happened, a reset and a clean start work. */
	restore_decode(e);
	cfg_wr(e, e->vp.msix_cap + PCI_MSIX_CTRL, 2, 0);
	memset(e->dev.notified, 0, sizeof(e->dev.notified));
	bring_up(e);
	notify(e, 1);
	assert_int_equal(e->dev.notified[1], 1);
	check_invariants(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capabilities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_overtakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cfg_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests_name("virtio_pci", tests, NULL, NULL);
}
