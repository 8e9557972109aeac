/*
 * The guest's pair of 8259A programmable interrupt controllers, wired as on
 * every PC: the master at ports 0x20-0x21, the slave at 0xA0-0xA1 with its
 * INT output on the master's IR2, and the PIIX/ICH edge/level control
 * registers (ELCR) at 0x4D0 (IRQ 0-7) and 0x4D1 (IRQ 8-15).
 *
 * Specifications: Intel 8259A data sheet (ICW1-ICW4, OCW1-OCW3, fully
 * nested/rotating priority, special mask mode, poll command, cascade);
 * Intel 82371AB (PIIX4) data sheet, ELCR1/ELCR2 registers.
 *
 * Differences from the chip, on purpose:
 * - Edge or level trigger comes from the ELCR, as on PIIX: ICW1's LTIM bit
 *   is ignored. IRQ 0, 1, 2, 8 and 13 are always edge triggered.
 * - An edge-triggered request stays latched when its input falls again
 *   before the INTA cycle (the chip would forget it and give IR7): device
 *   models here signal edges as short pulses (true then false).
 * - The master's IR2 latches the rising edge of the slave's INT like any
 *   edge input, and also requests while INT is high, so a slave request
 *   is never lost while IR2 is in service or the slave is in automatic-EOI
 *   mode. A slave request withdrawn after the latch (masked, or a level
 *   input fallen) makes the INTA give the slave's IR7 (IRQ 15).
 * - Always 8086 mode: ICW4's uPM bit and the ICW1 call-address bits are
 *   ignored; the vector is ICW2's bits 7-3 plus the IR level. The slave's
 *   ICW3 identity is ignored (it always answers on the master's IR2);
 *   the master cascades through IR2 when ICW1 chose cascade mode and ICW3
 *   bit 2 is set.
 * - INTR stays low while a chip is between ICW1 and its last ICW.
 * - Before any ICW1 a chip is in the state a PC BIOS leaves: vector bases
 *   0x08 and 0x70, every IRQ masked, cascade through IR2.
 *
 * Built hosted too (tests/unit/test_vpic.c).
 */
#ifndef KEEL_VMM_VPIC_H
#define KEEL_VMM_VPIC_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/iospace.h"

#define VPIC_MASTER_PORT	0x20
#define VPIC_SLAVE_PORT		0xa0
#define VPIC_ELCR_PORT		0x4d0
#define VPIC_PORTS		2	/* each of the three ranges is 2 ports */
#define VPIC_CASCADE_IRQ	2	/* the master's input the slave drives */
#define VPIC_NR_IRQS		16

/* One 8259A. Guarded by the owning struct vpic's lock. */
struct vpic_chip {
	uint8_t irr;		/* latched edge requests */
	uint8_t pins;		/* input levels as last set */
	uint8_t isr, imr;
	uint8_t elcr;		/* 1 = level triggered (PIIX ELCR) */
	uint8_t base;		/* ICW2: vector of IR0 */
	uint8_t icw3;
	uint8_t lowest;		/* IR level with the lowest priority (7 after ICW1) */
	uint8_t init_step;	/* 0 = ready, else the ICW (2, 3, 4) expected next */
	bool icw4_needed, single;
	bool auto_eoi, rotate_on_aeoi, sfnm;
	bool read_isr;		/* OCW3 RR/RIS: port 0 reads ISR rather than IRR */
	bool poll;		/* OCW3 P: the next port 0 read is a poll */
	bool special_mask;	/* OCW3 SMM */
};

struct vpic {
	spinlock_t lock;
	struct vpic_chip chip[2];	/* [0] master, [1] slave */
	void (*output)(void *ctx, bool level);	/* [cfg] the master's INTR */
	void *ctx;				/* [cfg] */
	bool slave_out;		/* the slave's INT when last looked at */
	bool reported;		/* the level 'output' was last told */
	bool notifying;		/* a CPU is delivering levels to 'output' */
};

/* ctx of each is the struct vpic. Accesses of 2 bytes are split into two
 * byte accesses at consecutive ports (low byte first), as on ISA; bytes
 * past the range read 0xff and are not written. */
extern const struct io_ops vpic_master_ops, vpic_slave_ops, vpic_elcr_ops;

/*
 * Reset to the state a PC BIOS leaves (see above). 'output' (may be NULL)
 * is called with the master's INTR level whenever it changes, never with
 * the lock held. Calls from several CPUs are serialized so the last call
 * always carries the current level; a quick true-false-true flip during a
 * call may be reported as one true. 'output' may re-enter the model.
 */
void vpic_init(struct vpic *p, void (*output)(void *ctx, bool level), void *ctx);
/* Drive input 'irq' (0-15) to 'level'. IRQ 2 is the cascade and higher
 * numbers do not exist: both are ignored. Edge-triggered inputs latch a
 * request on a rising edge; level-triggered ones request while high. */
void vpic_set_irq(struct vpic *p, unsigned irq, bool level);
/* Whether the master's INTR is asserted now. */
bool vpic_has_interrupt(struct vpic *p);
/*
 * The INTA cycle: the vector to deliver (0-255, never negative). Moves the
 * winning request from IRR to ISR (or not, in automatic-EOI mode), through
 * the slave for its IRQs. With nothing left to deliver it returns the
 * master's IR7 vector, or the slave's IR7 vector (IRQ 15) when the master
 * had granted IR2 and the slave has nothing; neither sets an ISR bit on the
 * chip giving IR7 (the master's IR2 stays in service, as on the chip).
 */
int vpic_ack(struct vpic *p);

#endif
