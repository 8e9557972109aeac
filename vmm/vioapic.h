/*
 * The guest's I/O APIC: 24 interrupt input pins, each routed by its
 * redirection table entry to a message for the local APICs.
 *
 * Registers as in the Intel 82093AA I/O APIC data sheet (section 3.0,
 * "Register description"; the ICH data sheets describe the same block):
 * an index register IOREGSEL at offset 0x00 and a data window IOWIN at
 * 0x10 of a 4 KiB MMIO page (default 0xFEC00000), both 32 bits wide.
 * Behind the window: ID (0x00), version (0x01: 0x11, 24 entries),
 * arbitration ID (0x02) and the redirection table (0x10..0x3F, two dwords
 * per pin). Version 0x11 has no EOI register: guests end level-triggered
 * interrupts through the local APIC's broadcast EOI (vioapic_eoi()).
 *
 * Built hosted too (tests/unit/test_vioapic.c).
 */
#ifndef KEEL_VMM_VIOAPIC_H
#define KEEL_VMM_VIOAPIC_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/iospace.h"

#define VIOAPIC_BASE_DEFAULT	0xFEC00000u
#define VIOAPIC_MMIO_LEN	0x1000u		/* register this much MMIO */
#define VIOAPIC_PINS		24u

/* IOAPIC_DM_*: delivery modes, redirection entry bits 10:8 (82093AA
 * 3.2.4). The encodings 3 and 6 are reserved and never delivered. */
#define IOAPIC_DM_FIXED		0u
#define IOAPIC_DM_LOWEST	1u
#define IOAPIC_DM_SMI		2u
#define IOAPIC_DM_NMI		4u
#define IOAPIC_DM_INIT		5u
#define IOAPIC_DM_EXTINT	7u

/* One interrupt message, as the I/O APIC would put it on the APIC bus. */
struct ioapic_msg {
	uint8_t vector;
	uint8_t delivery_mode;	/* IOAPIC_DM_* */
	bool logical;		/* destination mode: logical (true) or physical */
	uint8_t dest;		/* APIC id, or logical mask */
	bool level_trigger;	/* the guest will EOI it (vioapic_eoi()) */
};

/*
 * Fields under 'lock' except the callback and its context, which are
 * written once by vioapic_init().
 */
struct vioapic {
	spinlock_t lock;
	uint8_t id;				/* ID register bits 31:24 */
	uint8_t regsel;				/* IOREGSEL */
	uint64_t redir[VIOAPIC_PINS];		/* redirection table */
	uint32_t pin_high;			/* input levels, bit per pin */
	void (*deliver)(void *ctx, const struct ioapic_msg *m);
	void *ctx;
};

/* ctx = struct vioapic *; register VIOAPIC_MMIO_LEN bytes at the base.
 * Only aligned 32-bit accesses to IOREGSEL and IOWIN do anything; other
 * reads give 0 and other writes are ignored. */
extern const struct io_ops vioapic_ops;

/* Every entry masked, edge, active high, vector 0; every pin low. */
void vioapic_init(struct vioapic *io, uint8_t id,
		  void (*deliver)(void *ctx, const struct ioapic_msg *m), void *ctx);
/*
 * Drive input 'pin' (pins >= VIOAPIC_PINS are ignored) to its electrical
 * level; an active-low entry inverts it. Edge-triggered: a message on each
 * rising (asserting) edge while unmasked; an edge while masked is lost, as
 * on hardware. Level-triggered: a message while the pin is asserted,
 * unmasked and Remote IRR is clear; sending sets Remote IRR.
 */
void vioapic_set_irq(struct vioapic *io, unsigned pin, bool level);
/*
 * The local APICs' broadcast EOI for 'vector': clears Remote IRR of every
 * level-triggered entry with that vector and, where the pin is still
 * asserted and unmasked, sends it again. A guest that EOIs without
 * silencing the source is interrupted again at once; that repeats once per
 * EOI the guest issues, so the guest itself bounds it.
 */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif
