/*
 * The virtual PC around a domain's vCPUs (vmm/platform.c): the legacy
 * devices Linux probes (8259 pair, 8254 PIT, RTC/CMOS, I/O APIC), the ACPI
 * PM block, the PCI host bridge with its virtio functions, the ACPI tables
 * describing all of it, and the wiring between them: which interrupt line
 * goes where, whose timers are due, what a power event does.
 *
 * Interrupt routing and injection into vCPUs are in vmm/vintr.c.
 */
#ifndef KEEL_VMM_PLATFORM_H
#define KEEL_VMM_PLATFORM_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/domxml.h"
#include "vmm/vioapic.h"
#include "vmm/virtio.h"
#include "vmm/virtio_blk.h"
#include "vmm/virtio_pci.h"
#include "vmm/virtio_rng.h"
#include "vmm/vlapic.h"
#include "vmm/vpci.h"
#include "vmm/vpic.h"
#include "vmm/vpit.h"
#include "vmm/vpm.h"
#include "vmm/vrtc.h"

struct domain;
struct vcpu;

/* Guest physical layout of the platform. */
#define PLAT_ACPI_BASE		0xe0000ULL	/* the tables, in the BIOS area */
#define PLAT_ACPI_SIZE		0x10000ULL
#define PLAT_LAPIC_BASE		0xfee00000ULL
#define PLAT_IOAPIC_BASE	0xfec00000ULL
#define PLAT_PM_BASE		0x600
#define PLAT_S5_SLP_TYP		5	/* PM1_CNT.SLP_TYP for soft-off */
#define PLAT_MAX_VIRTIO		(DOM_MAX_DISKS + 1)

/* ISA interrupt lines. */
#define IRQ_PIT			0
#define IRQ_UART		4
#define IRQ_SCI			9
#define IRQ_RTC			8

/* A port range whose writes may re-arm a timer (vmm/platform.c). */
struct timed_dev {
	const struct io_ops *ops;
	void *ctx;
	struct platform *plat;
};

/* Who a virtio function's interrupts belong to. */
struct plat_fn {
	struct domain *d;
	unsigned idx;			/* bit in intx_mask */
};

struct platform {
	struct vpic pic;
	struct vpit pit;
	struct vioapic ioapic;
	struct vrtc rtc;
	struct vpm pm;
	struct vpci pci;
	struct virtio_pci vpci[PLAT_MAX_VIRTIO];
	unsigned nr_vpci;
	struct vblk blk[DOM_MAX_DISKS];
	unsigned nr_blk;
	struct vrng rng;
	struct plat_fn fn[PLAT_MAX_VIRTIO];
	struct timed_dev timed[4];	/* PIT, port 0x61, RTC, PM block */
	struct guest_access mem;
	spinlock_t line_lock;		/* uart_line, intx_mask */
	uint32_t intx_mask;		/* functions asserting INTA */
	uint64_t rsdp;			/* guest physical address of the RSDP */
	spinlock_t poll_lock;		/* one CPU polls the timers at a time */
	volatile uint64_t dev_deadline;	/* next PIT/RTC/PM deadline (TSC) */
	bool uart_line;			/* the UART's interrupt output */
	bool ready;			/* devices set up: timers may be polled */
};

/* ---- vmm/platform.c */
/* Set up the devices and write the ACPI tables; vCPUs exist already. */
int platform_init(struct domain *d, char *why, size_t whylen);
void platform_destroy(struct domain *d);
/* Timers: poll the vCPU's local APIC and the domain's devices, return the
 * host TSC of the next deadline (UINT64_MAX: none). Times are host TSC. */
uint64_t plat_vcpu_poll(struct vcpu *v, uint64_t host_now);
/* Every running domain's timers, for idle CPUs (halted vCPUs' deadlines);
 * suspended domains are skipped. */
uint64_t plat_timers_poll(uint64_t host_now);
/* The frequency of the guests' APIC timer (CPUID leaf 0x15's crystal). */
uint64_t plat_apic_hz(void);
void plat_power_button(struct domain *d);
/* The operator typed into the console: the UART may want to interrupt. */
void plat_uart_update(struct domain *d);

/* ---- vmm/vintr.c */
struct vintr_msg {
	uint8_t vector;
	uint8_t mode;			/* VLAPIC_DM_* */
	bool logical;
	bool level_trigger;
	bool x2apic;			/* 32-bit destination */
	uint32_t dest;
};

void vintr_deliver(struct domain *d, const struct vintr_msg *m);
void vintr_ipi(struct vcpu *src, const struct vlapic_ipi *ipi);
void vintr_msi(struct domain *d, uint64_t addr, uint32_t data);
/* An event is pending for v: make it run (or exit) soon. */
void vintr_kick(struct vcpu *v);
/* Something is waiting to be injected (an interrupt or an NMI). */
bool vintr_pending(struct vcpu *v);
/* Right before VM entry, VMCS current: inject or open a window. */
void vintr_prepare(struct vcpu *v);

#endif
