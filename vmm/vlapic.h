/*
 * The guest's local APIC, one per vCPU (embedded in the vCPU by the caller).
 * Intel SDM vol. 3A chapter 11: registers (11.4, Table 11-1), LVT (11.5.1,
 * Figure 11-8), error status (11.5.3), timer and TSC-deadline mode (11.5.4),
 * ICR and IPI destinations (11.6, Table 11-3), priorities, EOI (11.8),
 * spurious vector register (11.9), x2APIC (11.12: MSR map Table 11-6,
 * reserved-bit checking 11.12.1.3, logical ID 11.12.10.2, state transitions
 * 11.12.5).
 *
 * What this model decides (where the SDM leaves a choice):
 *   - The APIC ID is fixed at init: read-only in xAPIC mode too, so that it
 *     always agrees with the MADT and the router.
 *   - IA32_APIC_BASE keeps its address at 0xFEE00000: a write that moves it
 *     raises #GP, like a write to its reserved bits. The BSP bit is read-only
 *     (written values are ignored). Leaving EN (hardware disable) resets
 *     every register except the ID, as the SDM allows ("APIC state ... not
 *     preserved across mode transitions").
 *   - Version register 0x00060014: version 0x14, seven LVT entries (CMCI,
 *     timer, thermal, performance, LINT0, LINT1, error), no EOI-broadcast
 *     suppression. CMCI, thermal and performance entries are stored only:
 *     nothing here raises them.
 *   - Fixed interrupts that arrive while the APIC is software-disabled
 *     (SVR bit 8 clear) are dropped: SDM 11.4.7.2 only promises INIT, NMI,
 *     SMI and SIPI to it. What is already in IRR/ISR is held and still
 *     delivered. While hardware-disabled everything is dropped and nothing
 *     is pending.
 *   - MMIO: registers are 32 bits at 16-byte aligned offsets. Reads of 1, 2,
 *     4 or 8 bytes at any offset return the bytes of the 4 KiB page image
 *     (each register in bytes 0-3 of its 16-byte slot, zeros elsewhere;
 *     unknown and write-only registers read 0); other sizes read 0. Writes
 *     take effect only as 4-byte writes at a 16-byte aligned offset;
 *     anything else is ignored and counted. In x2APIC mode and while
 *     hardware-disabled MMIO reads 0 and writes are ignored. The "illegal
 *     register address" ESR bit is never set.
 *   - x2APIC MSRs: 0x800-0x8FF belong to this model. Reserved MSRs, reading
 *     a write-only register, writing a read-only one, non-zero writes to EOI
 *     and ESR, set upper 32 bits (all but the ICR), TPR bits 31:8, SELF_IPI
 *     bits 31:8 and the ICR's reserved bits raise #GP. Other registers'
 *     reserved bits are ignored on write (as in xAPIC mode).
 *   - IPIs: every IPI is edge-triggered (Table 11-3 note 2), except that an
 *     INIT keeps its trigger and level bits so the router can recognise the
 *     INIT level de-assert (vlapic_ipi_is_init_deassert()). Reserved delivery
 *     modes (3, 7) are dropped; so is the "self" shorthand with any mode but
 *     fixed (invalid in Table 11-3). A fixed or lowest-priority IPI with a
 *     vector below 16 sets "send illegal vector" and is not sent.
 *   - Timer: one-shot, periodic and TSC-deadline (assumes CPUID.01H:ECX[24]
 *     is offered). Any write to the LVT timer that changes the mode disarms
 *     the timer (initial count and IA32_TSC_DEADLINE become 0). The reserved
 *     mode 3 is stored as one-shot. Changing the divider while counting keeps
 *     the current count and counts on at the new rate. After its first expiry
 *     a periodic timer interrupts at most once per VLAPIC_MIN_PERIOD_TSC
 *     cycles (the current-count register still follows the programmed
 *     period); after a gap it fires once and re-arms on its period grid
 *     after 'now'. Timer state is brought up to date by every entry point
 *     that takes 'now', so an expiry is never seen late by a register read.
 *
 * Locking: every entry point takes a->lock and calls the ops only after
 * releasing it, so an op may re-enter this or any other vlapic.
 *
 * Built hosted too (tests/unit/test_vlapic.c).
 */
#ifndef KEEL_VMM_VLAPIC_H
#define KEEL_VMM_VLAPIC_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"

#define VLAPIC_BASE		0xfee00000u	/* the only address the page may have */
#define VLAPIC_SIZE		0x1000u

#define VLAPIC_MSR_APIC_BASE		0x1b	/* IA32_APIC_BASE */
#define VLAPIC_MSR_TSC_DEADLINE		0x6e0	/* IA32_TSC_DEADLINE */
#define VLAPIC_MSR_X2APIC_FIRST		0x800
#define VLAPIC_MSR_X2APIC_LAST		0x8ff

/* IA32_APIC_BASE (SDM Figure 11-5) */
#define VLAPIC_APIC_BASE_BSP		(1ull << 8)
#define VLAPIC_APIC_BASE_EXTD		(1ull << 10)
#define VLAPIC_APIC_BASE_EN		(1ull << 11)

/* Periodic timer floor in TSC cycles: about 16-65 us at 1-4 GHz, 1.3 ms at
 * the 50 MHz of Bochs. Guests use far longer periods (Linux: 1/HZ). */
#define VLAPIC_MIN_PERIOD_TSC	65536ull

/* Delivery modes (ICR bits 10:8, LVT bits 10:8; SDM Figure 11-12) */
enum vlapic_dm {
	VLAPIC_DM_FIXED = 0,
	VLAPIC_DM_LOWEST = 1,
	VLAPIC_DM_SMI = 2,
	VLAPIC_DM_NMI = 4,
	VLAPIC_DM_INIT = 5,
	VLAPIC_DM_SIPI = 6,
	VLAPIC_DM_EXTINT = 7,		/* LVT only: reserved in the ICR */
};

/* Destination shorthands (ICR bits 19:18) */
enum vlapic_shorthand {
	VLAPIC_SH_NONE = 0,
	VLAPIC_SH_SELF = 1,
	VLAPIC_SH_ALL = 2,		/* all including self */
	VLAPIC_SH_OTHERS = 3,		/* all excluding self */
};

/* An IPI the guest sent, decoded from the ICR, for the domain's router. */
struct vlapic_ipi {
	uint8_t vector;
	uint8_t mode;			/* enum vlapic_dm */
	bool logical;			/* destination mode */
	bool level_assert;		/* ICR bit 14 */
	bool level_trigger;		/* ICR bit 15; false unless mode is INIT */
	uint8_t shorthand;		/* enum vlapic_shorthand */
	uint32_t dest;			/* 8 bits in xAPIC mode, 32 in x2APIC */
	uint32_t source_id;		/* the sender's APIC ID */
	bool x2apic;			/* sent in x2APIC mode (dest is 32-bit) */
};

/* INIT level de-assert: obsolete on xAPIC; the router ignores it. */
static inline bool vlapic_ipi_is_init_deassert(const struct vlapic_ipi *ipi)
{
	return ipi->mode == VLAPIC_DM_INIT && !ipi->level_assert && ipi->level_trigger;
}

/* Called without the vlapic's lock held; each may re-enter any vlapic. */
struct vlapic_ops {
	/* Deliver an IPI (every shorthand but "self"). */
	void (*ipi)(void *ctx, const struct vlapic_ipi *ipi);
	/* The guest ended a level-triggered interrupt (for the I/O APIC). */
	void (*eoi)(void *ctx, uint8_t vector);
	/* An interrupt became deliverable: kick the vCPU. */
	void (*notify)(void *ctx);
};

enum vlapic_lvt {			/* index into vlapic.lvt[] */
	VLAPIC_LVT_CMCI,
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PERF,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_LVT_NR
};

/* Local APIC timer: counting state, kept so that the current count is
 * computed from 'now' instead of being ticked. */
struct vlapic_timer {
	uint64_t tick;			/* TSC cycles per count: tsc_per_tick * divisor */
	uint64_t base;			/* TSC when the count was base_count */
	uint32_t base_count;		/* 0: not counting */
	uint64_t period;		/* periodic: cycles between interrupts (clamped) */
	uint64_t next;			/* next expiry, UINT64_MAX if none */
	uint64_t deadline;		/* IA32_TSC_DEADLINE, 0 when disarmed */
};

/*
 * Legend: [init] set by vlapic_init() only; [L] under 'lock'.
 * 256-bit banks hold vector v in word v / 32, bit v % 32, as the registers
 * at 0x100 (ISR), 0x180 (TMR) and 0x200 (IRR) show them.
 */
struct vlapic {
	spinlock_t lock;
	uint32_t id;				/* [init] x2APIC ID; xAPIC ID is its low byte */
	bool bsp;				/* [init] */
	uint32_t tsc_per_tick;			/* [init] >= 1 */
	const struct vlapic_ops *ops;		/* [init] */
	void *ctx;				/* [init] */
	bool x2apic_allowed;			/* [L] CPUID offers x2APIC */

	uint64_t apic_base;			/* [L] IA32_APIC_BASE */
	uint32_t tpr, ldr, dfr, svr;		/* [L] */
	uint32_t esr, esr_pending;		/* [L] latched / accumulating */
	uint32_t lvt[VLAPIC_LVT_NR];		/* [L] */
	uint64_t icr;				/* [L] high half: ICR_HI / x2APIC dest */
	uint32_t dcr, tmict;			/* [L] divide config, initial count */
	uint32_t irr[8], isr[8], tmr[8];	/* [L] */
	struct vlapic_timer timer;		/* [L] */
	uint64_t bad_accesses;			/* [L] ignored MMIO accesses, #GPs */
};

/* Power-up state: APIC_BASE = 0xFEE00000 | EN (| BSP), xAPIC mode, SVR 0xFF,
 * LVTs masked, x2APIC allowed. tsc_per_tick (0 is taken as 1) is the TSC
 * cycles per APIC timer input clock; the integrator reports the bus clock
 * (tsc_hz / tsc_per_tick) to the guest in CPUID leaf 0x15. */
void vlapic_init(struct vlapic *a, uint32_t apic_id, bool bsp, uint32_t tsc_per_tick,
		 const struct vlapic_ops *ops, void *ctx);
/* INIT: every register to its power-up value except the ID and APIC_BASE
 * (an INIT keeps the xAPIC, x2APIC or disabled state, SDM 11.12.5.1). */
void vlapic_reset(struct vlapic *a);
/* Whether WRMSR may set IA32_APIC_BASE.EXTD: match CPUID.01H:ECX[21]. */
void vlapic_allow_x2apic(struct vlapic *a, bool allow);
/* What firmware leaves behind for an OS booted without it: software-enabled,
 * LINT0 ExtINT (virtual wire, the 8259 reaches the CPU), LINT1 NMI. */
void vlapic_set_virtual_wire(struct vlapic *a);

/* MMIO in the APIC page (offset < 0x1000). Always 0 (see the top comment). */
int vlapic_mmio_read(struct vlapic *a, uint32_t offset, unsigned size, uint64_t *val,
		     uint64_t now);
int vlapic_mmio_write(struct vlapic *a, uint32_t offset, unsigned size, uint64_t val,
		      uint64_t now);
/* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range. 0, -E_INVAL: the
 * guest gets #GP, or -E_NOENT: not an MSR of this model. */
int vlapic_rdmsr(struct vlapic *a, uint32_t msr, uint64_t *val, uint64_t now);
int vlapic_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now);

/* The full 8-bit TPR (the caller maps CR8 = TPR >> 4). */
uint8_t vlapic_get_tpr(struct vlapic *a);
void vlapic_set_tpr(struct vlapic *a, uint8_t tpr);
uint8_t vlapic_get_ppr(struct vlapic *a);

/* Accept a fixed interrupt (router, I/O APIC, MSI): IRR, and TMR if level.
 * Vectors 0-15 set "receive illegal vector" in the ESR and are dropped. */
void vlapic_set_irq(struct vlapic *a, uint8_t vector, bool level_trigger);
/* The vector to inject next (highest IRR above the PPR's class), or -1. */
int vlapic_pending(struct vlapic *a);
/* The vector was injected: IRR -> ISR. Ignored unless it was in the IRR. */
void vlapic_ack(struct vlapic *a, uint8_t vector);
/* The 8259's INTR reaches this CPU: LINT0 unmasked ExtINT, or no APIC. */
bool vlapic_extint_enabled(struct vlapic *a);
/* Is this APIC a destination of a message (IPI without shorthand, I/O APIC
 * entry, MSI)? x2apic_msg: 'dest' is a 32-bit x2APIC destination, else 8
 * bits. A hardware-disabled APIC matches nothing. */
bool vlapic_match_dest(struct vlapic *a, uint32_t dest, bool logical, bool x2apic_msg);

/* Fire what is due; the TSC time of the next unmasked expiry or UINT64_MAX.
 * Call before each VM entry and arm a host timer with the result. */
uint64_t vlapic_poll(struct vlapic *a, uint64_t now);

uint32_t vlapic_id(const struct vlapic *a);
bool vlapic_x2apic_mode(struct vlapic *a);
/* Hardware-enabled (IA32_APIC_BASE.EN). */
bool vlapic_enabled(struct vlapic *a);
/* Hardware- and software-enabled (SVR bit 8). */
bool vlapic_sw_enabled(struct vlapic *a);

#endif
