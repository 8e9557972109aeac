/*
 * The guest's 8254 programmable interval timer (ports 0x40-0x43) and the
 * PC's NMI status and control port 0x61, which gates channel 2 and shows
 * its output. Channel 0's OUT drives IRQ0; channel 1 (DRAM refresh on old
 * PCs) counts but drives nothing; channel 2 is gated by port 0x61 bit 0
 * and read back through port 0x61 bit 5, which is how Linux calibrates
 * the TSC.
 *
 * Specifications: Intel 82C54 data sheet (control word, counter latch and
 * read-back commands, status byte, modes 0-5, GATE, BCD counting); Intel
 * 82371AB (PIIX4) data sheet, NMI Status and Control Register (port 0x61).
 *
 * Time: the counters run at VPIT_HZ, derived from the TSC without any
 * rounding drift: the tick count after D TSC cycles is exactly
 * floor(D * 1193182 / tsc_hz), computed with 64-bit arithmetic in two
 * steps (whole seconds, then the remainder), and the TSC time of tick T
 * exactly ceil(T * tsc_hz / 1193182). A guest comparing the PIT with the
 * TSC therefore measures tsc_hz to within one tick per interval (under
 * 0.002% over Linux's 50 ms calibration).
 *
 * Differences from the chip, on purpose:
 * - A count is loaded into the counting element at the instant it is
 *   written (the chip waits for the next CLK edge, under 1 us later); a
 *   newly loaded count N reads N (N - 1 in mode 3 for odd N) at once.
 * - Counter states after power-up are undefined on the chip; here every
 *   channel starts in mode 3, LSB-then-MSB, binary, with no count written,
 *   so nothing counts and IRQ0 is quiet until the guest programs the PIT
 *   (a BIOS would have started channel 0 at 18.2 Hz; Keel boots Linux
 *   directly, which programs it itself).
 * - BCD: counts are decimal (0-9999, 0 meaning 10000). A count byte with a
 *   nibble above 9, which the chip does not define, weighs its binary
 *   value (0x1A is 1 * 10 + 10 = 20) and the count is taken modulo 10000.
 * - IRQ0 is signalled as edges: each rising edge of channel 0's OUT that
 *   should interrupt (modes 2 and 3 once per period, modes 4 and 5 at the
 *   end of the strobe) is a pulse irq0(true), irq0(false); modes 0 and 1
 *   raise the line at terminal count and it stays high until channel 0 is
 *   programmed again, when irq0(false) follows. Edges are found by
 *   vpit_poll() (and before channel 0 is reprogrammed), at most one per
 *   VPIT_MIN_PERIOD_US of TSC time: a guest programming count 1 gets an
 *   interrupt every 10 us, not every 838 ns. Missed periods are
 *   coalesced into one edge.
 * - Port 0x61 bit 4 (refresh toggle) flips on every read rather than
 *   every 15 us: loops waiting for it to change end at once. Bits 6-7
 *   (NMI sources) read 0; bits 0-3 read back as written.
 *
 * Built hosted too (tests/unit/test_vpit.c).
 */
#ifndef KEEL_VMM_VPIT_H
#define KEEL_VMM_VPIT_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/iospace.h"

#define VPIT_PORT		0x40
#define VPIT_PORTS		4
#define VPIT_PORT61		0x61
#define VPIT_HZ			1193182ULL	/* the 8254's input clock */
#define VPIT_MIN_PERIOD_US	10		/* at most one IRQ0 edge per this */
#define VPIT_MAX_TSC_HZ		(1ULL << 43)	/* keeps the tick math in 64 bits */

enum vpit_state {
	VPIT_IDLE,	/* control word written, no count yet */
	VPIT_ARMED,	/* modes 1, 5: count written, waiting for a GATE edge */
	VPIT_RUNNING,
	VPIT_PAUSED,	/* modes 0, 2, 3, 4: GATE low */
};

/* One counter. Guarded by the owning struct vpit's lock. */
struct vpit_channel {
	uint8_t cw;		/* control word bits 5-0, for the status byte */
	uint8_t mode;		/* 0-5 */
	uint8_t access;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool gate;
	bool write_msb, read_msb;	/* the byte flip-flops (access 3) */
	uint8_t lsb;		/* first byte of a two-byte count */
	uint8_t latch_state;	/* latched count: 0 none, else bytes left (as 'access') */
	uint16_t latch;
	bool status_latched;
	uint8_t status;
	bool null_count;	/* count written but not yet loaded */
	uint32_t cr;		/* count last written, in clocks (1-65536, 1-10000 BCD) */
	uint8_t state;		/* enum vpit_state */
	/* while RUNNING; times in clocks are counted from 'start' */
	uint64_t start;		/* TSC at which the count was loaded */
	uint64_t origin;	/* clock at which the current period began */
	uint32_t n;		/* modes 2, 3: period in clocks */
	uint32_t phase;		/* modes 2, 3: clocks into the period at 'origin' */
	uint32_t base;		/* modes 0, 1, 4, 5: counting element at 'start' */
	bool tc;		/* modes 0, 1, 4, 5: terminal count passed before 'start' */
	bool reload_pending;	/* modes 2, 3: cr takes over at clock reload_at */
	bool reload_low;	/* mode 3: ... starting with the low half */
	uint64_t reload_at;
	/* while not RUNNING */
	uint32_t frozen;	/* counting element */
	bool out;
};

struct vpit {
	spinlock_t lock;
	struct vpit_channel ch[3];
	uint64_t tsc_hz;			/* [cfg] */
	uint64_t hz_div, hz_mod;		/* [cfg] tsc_hz / and % VPIT_HZ */
	uint64_t min_period;			/* [cfg] VPIT_MIN_PERIOD_US in TSC cycles */
	void (*irq0)(void *ctx, bool level);	/* [cfg] */
	uint64_t (*now)(void *ctx);		/* [cfg] */
	void *ctx;				/* [cfg] */
	uint64_t last_now;	/* time never runs backwards inside the model */
	uint64_t irq_next;	/* next IRQ0 edge, UINT64_MAX if none */
	uint64_t irq_allowed;	/* no edge before this (rate limit) */
	bool irq_line;		/* IRQ0's resting level (high after a mode 0 TC) */
	bool irq_pulse;		/* an edge to deliver */
	bool irq_reported;	/* the level irq0 was last told */
	bool notifying;		/* a CPU is delivering to irq0 */
	uint8_t port61;		/* bits 0-3 as written */
	bool refresh;		/* port 0x61 bit 4 */
};

/* ctx of both is the struct vpit. Wider accesses are split into byte
 * accesses at consecutive ports, lowest first; bytes beyond the range
 * read all ones and are dropped on writes. Port 0x43 reads 0. */
extern const struct io_ops vpit_ops, vpit_port61_ops;

/*
 * Reset (see above for the state). tsc_hz is clamped to
 * [VPIT_HZ, VPIT_MAX_TSC_HZ]. 'irq0' (may be NULL) gets channel 0's
 * interrupt edges, never with the lock held, serialized between CPUs; it
 * may re-enter the model. 'now' gives the current TSC for port accesses;
 * it is called without the lock held and must not call into the model.
 * ctx is passed to both. 'now_tsc' is the current TSC.
 */
void vpit_init(struct vpit *t, uint64_t tsc_hz, void (*irq0)(void *ctx, bool level),
	       uint64_t (*now)(void *ctx), void *ctx, uint64_t now_tsc);
/* Deliver the IRQ0 edge that is due at 'now' (one, however many periods
 * went by) and return the TSC time of the next one: always after 'now',
 * or UINT64_MAX when channel 0 will not interrupt without being
 * programmed again. */
uint64_t vpit_poll(struct vpit *t, uint64_t now);

#endif
