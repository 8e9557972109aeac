/*
 * The guest's real-time clock and CMOS RAM: a Motorola MC146818A at I/O
 * ports 0x70 (index; bit 7 = NMI disable) and 0x71 (data), on ISA IRQ 8.
 *
 * 128 bytes behind the index: the time, alarm and date registers
 * (0x00-0x09), registers A-D (0x0A-0x0D), the IBM century byte (0x32) and
 * battery-backed RAM (everything else, kept as plain bytes). Formats as in
 * the MC146818A data sheet: BCD or binary per register B's DM bit, 12-hour
 * hours with bit 7 = PM when its 24/12 bit is clear. The model starts as PC
 * firmware leaves it: register A 0x26 (32.768 kHz, 1024 Hz), register B
 * 0x02 (24-hour, BCD, no interrupts).
 *
 * Time runs from a base (Unix seconds at a TSC value) and is computed when
 * read, so nothing ticks while nobody looks. Interrupt flags are also
 * worked out when needed: at every port access and in vrtc_poll().
 *
 * Built hosted too (tests/unit/test_vrtc.c).
 */
#ifndef KEEL_VMM_VRTC_H
#define KEEL_VMM_VRTC_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/iospace.h"

#define VRTC_PORT	0x70
#define VRTC_PORTS	2		/* 0x70 index, 0x71 data */
#define VRTC_IRQ	8
#define VRTC_CMOS_SIZE	128
/* Accepted TSC rates; vrtc_init() clamps into this range so that no
 * division is by zero and no product overflows. */
#define VRTC_TSC_HZ_MIN	1ULL
#define VRTC_TSC_HZ_MAX	(1ULL << 40)

/*
 * Fields under 'lock', except tsc_hz and the callbacks, written once by
 * vrtc_init().
 */
struct vrtc {
	spinlock_t lock;
	uint8_t cmos[VRTC_CMOS_SIZE];	/* registers A-D, alarms, RAM; the time
					 * bytes only while register B.SET is 1 */
	uint8_t index;			/* port 0x70 bits 6:0 */
	bool nmi_disabled;		/* port 0x70 bit 7: kept, not acted on */
	uint64_t tsc_hz;
	uint64_t base_secs;		/* guest time (Unix seconds) ... */
	uint64_t base_tsc;		/* ... at this TSC value */
	uint64_t secs_seen;		/* last second checked for UF and AF */
	uint64_t ticks_seen;		/* periodic ticks since base_tsc, flagged */
	bool irq;			/* IRQ8 as the model drives it */
	bool irq_told;			/* ... as last passed to irq8() */
	bool telling;			/* a CPU is calling irq8() */
	uint64_t (*clock)(void *ctx);
	void (*irq8)(void *ctx, bool level);
	void *ctx;
};

/* ctx = struct vrtc *; register at VRTC_PORT, VRTC_PORTS long. Port 0x70
 * reads 0xFF (write-only on PC chipsets). */
extern const struct io_ops vrtc_ops;

/*
 * The clock reads 'unix_seconds' (UTC) at TSC value 'now' and advances
 * with the TSC at tsc_hz. clock(ctx) returns the current TSC inside the
 * port handlers; irq8(ctx, level) drives ISA IRQ 8 (high while register C's
 * IRQF is set) and is called only on changes, never with the lock held.
 * Times past 9999-12-31 23:59:59 read as that second.
 */
void vrtc_init(struct vrtc *r, uint64_t unix_seconds, uint64_t now, uint64_t tsc_hz,
	       uint64_t (*clock)(void *ctx), void (*irq8)(void *ctx, bool level), void *ctx);
/* Preset a RAM byte before the guest runs (memory sizes at 0x34/0x35 and
 * 0x5B-0x5D, ...). Indices of clock registers (0x00-0x0D, 0x32) and
 * indices >= VRTC_CMOS_SIZE are ignored. */
void vrtc_set_nvram(struct vrtc *r, uint8_t index, uint8_t val);
/*
 * Raise what is due at TSC 'now': update-ended (UIE, once a second), alarm
 * (AIE; alarm bytes 0xC0-0xFF match anything) and periodic (PIE, register
 * A's rate, 2-8192 Hz; missed periods coalesce into one). Returns the TSC
 * of the next enabled event, or UINT64_MAX. Port accesses change the
 * deadline (enabling an interrupt, setting the time): call this again
 * after the guest touched the RTC.
 */
uint64_t vrtc_poll(struct vrtc *r, uint64_t now);

#endif
