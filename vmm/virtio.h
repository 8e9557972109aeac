/*
 * The seam between a virtio device (vmm/virtio_blk.c, vmm/virtio_rng.c)
 * and its transport (vmm/virtio_pci.c), and the guest-memory access both
 * use. Virtio 1.2 (OASIS), sections 2 (basic facilities), 2.7 (split
 * virtqueues) and 4.1 (PCI transport).
 *
 * The transport owns the registers the guest programs (status, feature
 * negotiation, queue addresses); the device owns its virtqueues
 * (struct virtq, vmm/virtq.h), its configuration space and the requests.
 * Pure code: built hosted for the unit tests.
 */
#ifndef KEEL_VMM_VIRTIO_H
#define KEEL_VMM_VIRTIO_H

#include "kernel/klib.h"

/* Feature bits shared by all devices (virtio 1.2 section 6). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* Device IDs (section 5). */
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_RNG		4

/* Guest physical memory as devices see it: copies that may cross any
 * boundary of the host's backing. Both return 0, or -E_FAULT when any byte
 * of [gpa, gpa + len) is not guest RAM (nothing is then guaranteed about
 * the bytes already copied). */
struct guest_access {
	void *ctx;
	int (*read)(void *ctx, uint64_t gpa, void *dst, size_t len);
	int (*write)(void *ctx, uint64_t gpa, const void *src, size_t len);
};

struct virtq;

/* What a transport needs from a device. Every function gets the device
 * pointer 'dev' given to the transport with these ops. */
struct virtio_dev_ops {
	uint16_t device_id;		/* VIRTIO_ID_* */
	uint16_t nr_queues;
	uint16_t queue_max;		/* largest queue size offered (power of 2) */
	uint32_t config_size;		/* bytes of device configuration space */
	/* Offered features (VIRTIO_F_VERSION_1 included); the driver's
	 * accepted subset is passed to set_features once FEATURES_OK is set. */
	uint64_t (*features)(void *dev);
	/* Return 0 to accept, negative to refuse (FEATURES_OK then stays clear). */
	int (*set_features)(void *dev, uint64_t accepted);
	/* Device configuration space; off + size <= config_size checked by
	 * the transport. Writes to read-only fields are ignored. */
	void (*config_read)(void *dev, uint32_t off, unsigned size, uint64_t *val);
	void (*config_write)(void *dev, uint32_t off, unsigned size, uint64_t val);
	/* The device's queue 'idx' (< nr_queues); the transport fills in the
	 * size and ring addresses the driver programs, and sets it ready. */
	struct virtq *(*queue)(void *dev, uint16_t idx);
	/* The driver kicked queue 'idx' (which is ready): process what is
	 * available. Runs on the kicking vCPU's CPU. */
	void (*notify)(void *dev, uint16_t idx);
	/* Device reset (status written 0): forget all queue and request state. */
	void (*reset)(void *dev);
};

/* What a device needs from its transport, given to the device at init. */
struct virtio_transport {
	void *ctx;
	/* Used buffers were added to queue 'idx': interrupt the driver (unless
	 * the transport decides not to, e.g. no vector configured). */
	void (*queue_interrupt)(void *ctx, uint16_t idx);
	/* The device found the driver's rings malformed: set NEEDS_RESET and
	 * send a configuration-change interrupt (section 2.1.2). */
	void (*needs_reset)(void *ctx);
};

#endif
