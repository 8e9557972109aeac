/*
 * The guest's PCI bus: a host bridge with configuration mechanism #1 and a
 * registry of emulated functions, each with a 256-byte configuration
 * space. PCI Local Bus Specification 3.0: 3.2.2.3.2 (configuration
 * mechanism #1), 6.1 and 6.2 (the type 0 header), 6.2.5 (base address
 * registers), 6.7 (capabilities list).
 *
 * Bus 0 only; every function is function 0 of its device (single-function
 * devices, header type 0). Device 0 is the host bridge, presented as an
 * i440FX (8086:1237, class 06/00/00). Only memory BARs are modelled.
 *
 * Configuration ports: the integrator registers vpci_cf8_ops at 0xCF8
 * (length 4) and vpci_cfc_ops at 0xCFC (length 4), both with the bus as
 * ctx. CONFIG_ADDRESS is decoded only for dword accesses at 0xCF8. On
 * PIIX/ICH chipsets the byte at 0xCF9 is the reset control register, so
 * byte accesses at 0xCF9 go to the ops given to vpci_set_cf9() (at offset
 * 0); other byte and word accesses to 0xCF8-0xCFB read all ones and are
 * dropped. CONFIG_DATA (0xCFC-0xCFF) takes byte, word and dword accesses
 * that stay inside the dword: the register is (CONFIG_ADDRESS & 0xFC) plus
 * the port's offset from 0xCFC. With the enable bit clear, a bus other
 * than 0, a function other than 0 or an empty slot, reads give all ones
 * and writes vanish.
 *
 * BARs: the bus itself claims a function's memory BARs in the domain's MMIO
 * registry (io_register) while Command.MEM is set and the BAR holds a
 * usable address, and releases them (io_unregister) when the guest moves a
 * BAR or clears Command.MEM. The BAR's io_ops get offsets relative to the
 * BAR's base. A BAR programmed to 0, to a range that wraps, or over a range
 * someone else claimed stays unmapped (counted in unmapped_bars) until the
 * guest programs it again. Like firmware, vpci_add() gives every BAR an
 * address in [VPCI_MMIO_BASE, VPCI_MMIO_BASE + VPCI_MMIO_SIZE) aligned to
 * its size and enables memory decoding; Linux keeps such assignments when
 * they lie inside the host bridge's window (the ACPI _CRS, acpigen's
 * pci_mmio_base/pci_mmio_size).
 *
 * Locking: bus->lock guards CONFIG_ADDRESS, every function's image and the
 * BAR mappings. It is a leaf lock: vpci calls nothing outside itself while
 * holding it except io_register/io_unregister on the MMIO registry, and
 * calls the functions' configuration hooks and the 0xCF9 ops after
 * releasing it. A function's owner may therefore call vpci_func_read() and
 * vpci_func_poke() while holding its own lock.
 *
 * Legend: [L] needs bus->lock once the function is on the bus; [cfg]
 * set up before vpci_add() and fixed afterwards.
 *
 * Built hosted too (tests/unit/test_vpci.c).
 */
#ifndef KEEL_VMM_VPCI_H
#define KEEL_VMM_VPCI_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/iospace.h"

/* The 32-bit window BARs are assigned from: below it guest RAM, above it
 * the IOAPIC (0xFEC00000), HPET and LAPIC. */
#define VPCI_MMIO_BASE		0xC0000000ULL
#define VPCI_MMIO_SIZE		(0xFEC00000ULL - VPCI_MMIO_BASE)

#define VPCI_NR_DEVS		32
#define VPCI_NR_BARS		6
#define VPCI_CFG_SIZE		256
#define VPCI_BAR_MIN_SIZE	4096

/* CONFIG_ADDRESS (0xCF8), section 3.2.2.3.2. */
#define VPCI_ADDR_ENABLE	0x80000000u
#define VPCI_ADDR_BUS(a)	(((a) >> 16) & 0xff)
#define VPCI_ADDR_DEV(a)	(((a) >> 11) & 0x1f)
#define VPCI_ADDR_FN(a)		(((a) >> 8) & 0x7)
#define VPCI_ADDR_REG(a)	((a) & 0xfc)
#define VPCI_ADDR_WRITABLE	0x80fffffcu	/* reserved bits 30:24, 1:0 read 0 */

/* Type 0 configuration header offsets (section 6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08	/* class code in bytes 0x09-0x0B */
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CAP_START		0x40	/* capabilities go after the header */

#define PCI_COMMAND_MEM		0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTX		0x0008	/* the function's INTx is pending */
#define PCI_STATUS_CAP_LIST	0x0010

/* Memory BAR low bits (section 6.2.5.1). */
#define PCI_BAR_MEM_64		0x4
#define PCI_BAR_PREFETCH	0x8
#define PCI_BAR_FLAGS		0xf

/* Flags for vpci_func_set_bar(). */
#define VPCI_BAR_64		0x1	/* 64-bit: also takes the next BAR slot */
#define VPCI_BAR_PREFETCHABLE	0x2

struct vpci;

struct vpci_bar {
	uint64_t size;			/* 0: slot unused (or upper half of a 64-bit BAR) */
	bool is64;
	const struct io_ops *ops;	/* offsets relative to the BAR base */
	void *ctx;
	/* [L] The decode the guest asked for last, and whether it is claimed. */
	bool want;
	uint64_t want_base;
	bool mapped;
};

/*
 * One emulated function. The owner builds it (vpci_func_init, set_bar,
 * add_cap, set) before vpci_add(); afterwards the bus owns cfg[] and
 * wmask[] under its lock.
 *
 * The optional hooks give capabilities behaviour. They run after the bus
 * applied the access to the image, without the bus lock, for every access
 * the guest makes to this function's configuration space: cfg_read may
 * change the value the guest gets (only the 'size' bytes at 'off');
 * cfg_write sees the guest's value (the image already holds the masked
 * result).
 */
struct vpci_func {
	uint8_t cfg[VPCI_CFG_SIZE];	/* [L] configuration space, little-endian */
	uint8_t wmask[VPCI_CFG_SIZE];	/* [cfg] bits the guest may write */
	struct vpci_bar bar[VPCI_NR_BARS];
	void (*cfg_read)(void *ctx, unsigned off, unsigned size, uint32_t *val);
	void (*cfg_write)(void *ctx, unsigned off, unsigned size, uint32_t val);
	void *hook_ctx;
	const char *name;		/* for the MMIO registry */
	uint16_t next_cap;		/* [cfg] where the next capability goes */
	uint8_t last_cap;		/* [cfg] 0 or the last capability's offset */
	struct vpci *bus;		/* set by vpci_add() */
	uint8_t dev;			/* device number, set by vpci_add() */
};

struct vpci_id {
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id;
	uint32_t class_code;		/* base class << 16 | subclass << 8 | prog-if */
	uint8_t revision;
	uint8_t irq_pin;		/* 0 none, 1 INTA .. 4 INTD */
};

struct vpci {
	spinlock_t lock;
	struct iospace *mmio;		/* the domain's MMIO registry */
	uint32_t addr;			/* [L] CONFIG_ADDRESS */
	struct vpci_func *dev[VPCI_NR_DEVS];	/* [L] by device number */
	struct vpci_func host;		/* device 0 */
	uint64_t next_mmio;		/* [L] firmware-style BAR assignment cursor */
	const struct io_ops *cf9_ops;
	void *cf9_ctx;
	uint64_t unmapped_bars;		/* BAR decodes refused: zero, wrap, overlap */
	uint64_t dropped;		/* accesses to absent functions or bad widths */
};

extern const struct io_ops vpci_cf8_ops, vpci_cfc_ops;

/* An empty bus with the host bridge at device 0. 'mmio' is where BARs get
 * claimed. */
void vpci_init(struct vpci *bus, struct iospace *mmio);
/* Forward byte accesses at 0xCF9 (the reset control register) to 'ops'
 * at offset 0. NULL ops: they read all ones and vanish. */
void vpci_set_cf9(struct vpci *bus, const struct io_ops *ops, void *ctx);

/* Zero 'f' and fill in a type 0 header: identity read-only; Command
 * (MEM, bus master, INTx disable) and Interrupt Line writable. */
void vpci_func_init(struct vpci_func *f, const struct vpci_id *id);
/* Describe memory BAR 'idx': size a power of 2 of at least 4 KiB (32-bit
 * BARs at most 2 GiB); a 64-bit BAR also takes slot idx + 1.
 * 0, or -E_INVAL (bad index, size, flags or ops) or -E_EXIST (slot used). */
int vpci_func_set_bar(struct vpci_func *f, unsigned idx, uint64_t size, unsigned flags,
		      const struct io_ops *ops, void *ctx);
/* Append a capability of 'len' bytes (including its ID and next pointer)
 * to the list, dword aligned. Its body is zero and read-only; shape it with
 * vpci_func_set(). Returns its offset, or -E_NOMEM when it does not fit. */
int vpci_func_add_cap(struct vpci_func *f, uint8_t id, unsigned len);
/* Set the 1, 2 or 4 bytes at 'off' to 'val' and their guest write mask to
 * 'wmask' (setup time, before vpci_add). */
void vpci_func_set(struct vpci_func *f, unsigned off, unsigned size, uint32_t val,
		   uint32_t wmask);

/* Plug 'f' into the next free device number (1-31), give its BARs
 * addresses in the window, enable memory decoding and claim them.
 * 0, or -E_EXIST (already on a bus, or a BAR range was taken), -E_NOMEM
 * (no free slot, or the window is full); on error nothing changed. */
int vpci_add(struct vpci *bus, struct vpci_func *f);

/* The image's 1, 2 or 4 bytes at 'off' (within one dword), under the bus
 * lock, without hooks. */
uint32_t vpci_func_read(struct vpci_func *f, unsigned off, unsigned size);
/* Overwrite image bytes regardless of the write mask, for state the
 * function itself changes (Status.INTX, a capability's data). Does not
 * remap BARs: not for Command or the BARs. */
void vpci_func_poke(struct vpci_func *f, unsigned off, unsigned size, uint32_t val);

#endif
