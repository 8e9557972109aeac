/*
 * The virtio PCI transport, modern (virtio 1.x, non-transitional) only:
 * virtio 1.2 (OASIS) section 4.1 (4.1.2 discovery, 4.1.4 the
 * capabilities and their structures, 4.1.5 the driver's use of them), and
 * MSI-X from the PCI Local Bus Specification 3.0 section 6.8.2.
 *
 * The function it puts on the guest's PCI bus (vmm/vpci.h):
 *   ID 1AF4:(1040 + device ID), revision 1, subsystem 1AF4:1100, class by
 *   device type, Interrupt Pin INTA.
 *   BAR 1: 4 KiB, 32-bit memory: the MSI-X table (offset 0) and pending
 *   bit array (offset 0x800); nr_queues + 1 vectors.
 *   BAR 4: 16 KiB, 64-bit memory, laid out like QEMU's:
 *     0x0000 common configuration    (cfg_type 1)
 *     0x1000 ISR status              (cfg_type 3)
 *     0x2000 device configuration    (cfg_type 4, only if config_size > 0)
 *     0x3000 notifications           (cfg_type 2, notify_off_multiplier 4,
 *                                     queue_notify_off = queue index)
 *   Capabilities: MSI-X (ID 0x11), then the vendor-specific (ID 0x09)
 *   virtio ones above, then the PCI configuration access capability
 *   (cfg_type 5) whose pci_cfg_data window reaches BAR 1 or BAR 4.
 *
 * Register behaviour (4.1.4.3): features in two 32-bit windows; writing 0
 * to device_status resets the device, every queue and every vector;
 * FEATURES_OK sticks only if the driver's features are a subset of the
 * offered ones, include VERSION_1 and the device's set_features accepts
 * them; DRIVER_OK sticks only with FEATURES_OK; NEEDS_RESET is the
 * device's and survives driver writes until a reset. A queue_select with
 * no queue behind it reads 0 in every queue field and ignores writes.
 * queue_size takes powers of 2 up to the device's queue_max; the size and
 * ring addresses are ignored once the queue is enabled; queue_enable
 * takes 1 only when virtq_check_layout() accepts the layout (writing 0 is
 * ignored: the spec forbids it). A vector at or beyond the table size
 * reads back NO_VECTOR. Fields take only their own width (64-bit ones
 * also as two 32-bit halves); other accesses read 0 and are ignored.
 *
 * Interrupts, only while DRIVER_OK is set: with MSI-X enabled, a queue's
 * or the configuration vector's message goes to msi(), or sets its
 * pending bit while the vector or the whole function is masked, and goes
 * out when unmasked. With MSI-X disabled, the ISR's bit is set and INTx
 * asserted (intx(ctx, true)) unless Command.INTx-disable; reading the ISR
 * (one byte) clears it and lowers INTx. intx() is told changes of level
 * only. MSI-X messages are sent whether or not Command.bus-master is set.
 * needs_reset sets NEEDS_RESET and ISR bit 1 and signals the
 * configuration vector. config_generation stays 0: the devices here never
 * change their configuration space on their own.
 *
 * Locking: vp->lock guards the transport's registers, the MSI-X table and
 * the PBA. Device ops, virtq calls, msi() and intx() run after it is
 * released; the bus lock (a leaf) may be taken under it. The device's
 * notify() runs on the vCPU that wrote the notification. Legend below:
 * [L] vp->lock; [cfg] set by vpci_virtio_init() and fixed afterwards.
 *
 * Built hosted too (tests/unit/test_virtio_pci.c).
 */
#ifndef KEEL_VMM_VIRTIO_PCI_H
#define KEEL_VMM_VIRTIO_PCI_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/virtio.h"
#include "vmm/vpci.h"

#define VIRTIO_PCI_MAX_QUEUES	8
#define VIRTIO_PCI_MAX_VECTORS	(VIRTIO_PCI_MAX_QUEUES + 1)
#define VIRTIO_PCI_NO_VECTOR	0xffff

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + device ID (4.1.2.1) */
#define VIRTIO_PCI_SUBSYS_ID	0x1100

/* BAR numbers and the layout inside them. */
#define VIRTIO_PCI_MSIX_BAR	1
#define VIRTIO_PCI_MSIX_BAR_SIZE 0x1000
#define VIRTIO_PCI_MSIX_TABLE	0x000
#define VIRTIO_PCI_MSIX_PBA	0x800
#define VIRTIO_PCI_BAR		4
#define VIRTIO_PCI_BAR_SIZE	0x4000
#define VIRTIO_PCI_COMMON	0x0000
#define VIRTIO_PCI_ISR		0x1000
#define VIRTIO_PCI_DEVICE	0x2000
#define VIRTIO_PCI_NOTIFY	0x3000
#define VIRTIO_PCI_REGION_SIZE	0x1000
#define VIRTIO_PCI_NOTIFY_MULT	4

/* Vendor-specific capability (4.1.4): struct virtio_pci_cap. */
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11
#define VIRTIO_PCI_CAP_LEN_OFF	2	/* u8 cap_len */
#define VIRTIO_PCI_CAP_TYPE	3	/* u8 cfg_type */
#define VIRTIO_PCI_CAP_BAR	4	/* u8 bar */
#define VIRTIO_PCI_CAP_ID	5	/* u8 id */
#define VIRTIO_PCI_CAP_OFFSET	8	/* le32 offset */
#define VIRTIO_PCI_CAP_LENGTH	12	/* le32 length */
#define VIRTIO_PCI_CAP_SIZE	16
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16	/* le32 notify_off_multiplier */
#define VIRTIO_PCI_CFG_CAP_DATA	16	/* u8 pci_cfg_data[4] */
#define VIRTIO_PCI_CAP_EXT_SIZE	20	/* notify and pci_cfg caps */

#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* struct virtio_pci_common_cfg (4.1.4.3): offsets in the common region. */
#define VIRTIO_PCI_DFSELECT	0x00	/* le32 device_feature_select */
#define VIRTIO_PCI_DF		0x04	/* le32 device_feature */
#define VIRTIO_PCI_GFSELECT	0x08	/* le32 driver_feature_select */
#define VIRTIO_PCI_GF		0x0c	/* le32 driver_feature */
#define VIRTIO_PCI_MSIX_CONFIG	0x10	/* le16 config_msix_vector */
#define VIRTIO_PCI_NUM_QUEUES	0x12	/* le16 num_queues */
#define VIRTIO_PCI_STATUS	0x14	/* u8 device_status */
#define VIRTIO_PCI_CFG_GEN	0x15	/* u8 config_generation */
#define VIRTIO_PCI_Q_SELECT	0x16	/* le16 queue_select */
#define VIRTIO_PCI_Q_SIZE	0x18	/* le16 queue_size */
#define VIRTIO_PCI_Q_MSIX	0x1a	/* le16 queue_msix_vector */
#define VIRTIO_PCI_Q_ENABLE	0x1c	/* le16 queue_enable */
#define VIRTIO_PCI_Q_NOFF	0x1e	/* le16 queue_notify_off */
#define VIRTIO_PCI_Q_DESC	0x20	/* le64 queue_desc */
#define VIRTIO_PCI_Q_DRIVER	0x28	/* le64 queue_driver */
#define VIRTIO_PCI_Q_DEVICE	0x30	/* le64 queue_device */

/* ISR status bits (4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE	0x1
#define VIRTIO_PCI_ISR_CONFIG	0x2

/* MSI-X capability (PCI 3.0 section 6.8.2). */
#define PCI_MSIX_CTRL		2	/* le16 Message Control */
#define PCI_MSIX_TABLE		4	/* le32 table offset | BIR */
#define PCI_MSIX_PBA		8	/* le32 PBA offset | BIR */
#define PCI_MSIX_CAP_SIZE	12
#define PCI_MSIX_CTRL_SIZE	0x07ff	/* table size - 1 */
#define PCI_MSIX_CTRL_MASKALL	0x4000
#define PCI_MSIX_CTRL_ENABLE	0x8000
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_ADDR_LO	0
#define PCI_MSIX_ENTRY_ADDR_HI	4
#define PCI_MSIX_ENTRY_DATA	8
#define PCI_MSIX_ENTRY_CTRL	12
#define PCI_MSIX_ENTRY_MASKED	0x1

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

/* A queue as the driver programs it; copied into the device's struct
 * virtq when the driver enables it. */
struct virtio_pci_queue {
	uint16_t size;
	uint16_t vector;
	bool enabled;
	uint64_t desc, driver, device;
};

struct virtio_pci {
	spinlock_t lock;
	struct vpci_func func;
	struct virtio_transport transport;
	const struct virtio_dev_ops *ops;	/* [cfg] */
	void *dev;				/* [cfg] */
	void (*msi)(void *ctx, uint64_t addr, uint32_t data);
	void (*intx)(void *ctx, bool level);
	void *ctx;
	uint8_t msix_cap, cfg_cap;		/* [cfg] capability offsets */
	uint16_t nr_vectors;			/* [cfg] MSI-X table size */

	/* [L] Common configuration. */
	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint16_t config_vector;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint32_t reset_gen;			/* bumps on every reset */
	struct virtio_pci_queue queue[VIRTIO_PCI_MAX_QUEUES];

	/* [L] Interrupts. */
	uint8_t isr;
	bool intx_pending;			/* raised in INTx mode, not yet read */
	bool intx_level;			/* what intx() was last told */
	bool intx_busy;				/* a CPU is calling intx() */
	struct msix_entry msix[VIRTIO_PCI_MAX_VECTORS];
	uint64_t pba;

	/* [L] Statistics. */
	uint64_t notifies, msis, bad_accesses;
};

/*
 * Build the function for device 'dev' (driven through 'ops') and plug it
 * into 'bus'. msi(ctx, addr, data) sends an MSI message; intx(ctx, level)
 * drives the function's INTA line. Afterwards initialise the device with
 * virtio_pci_transport(vp). 0, -E_INVAL (ops: no queues or more than
 * VIRTIO_PCI_MAX_QUEUES, queue_max not a power of 2 up to 32768,
 * config_size over 4 KiB, a missing function), or vpci_add()'s error.
 */
int vpci_virtio_init(struct virtio_pci *vp, struct vpci *bus, const struct virtio_dev_ops *ops,
		     void *dev, void (*msi)(void *ctx, uint64_t addr, uint32_t data),
		     void (*intx)(void *ctx, bool level), void *ctx);
/* What the device calls: queue_interrupt and needs_reset. */
const struct virtio_transport *virtio_pci_transport(struct virtio_pci *vp);

#endif
