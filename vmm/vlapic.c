/*
 * Guest local APIC model (see vlapic.h for the choices made). Intel SDM
 * vol. 3A chapter 11; register layouts from Table 11-1 (xAPIC offsets) and
 * Table 11-6 (x2APIC MSRs), LVT bits from Figure 11-8, ICR from Figure
 * 11-12, priorities from 11.8.3.1, timer from 11.5.4.
 *
 * Every value the guest writes is masked to the register's writable bits
 * before it is stored; registers are reached through one table indexed by
 * the 16-byte slot (MMIO offset >> 4 == MSR - 0x800), bounds-checked first.
 */
#include "kernel/errno.h"
#include "vmm/vlapic.h"

#define NR_SLOTS		64	/* 0x000-0x3F0 in MMIO, 0x800-0x83F as MSRs */

enum {					/* slot = MMIO offset >> 4 */
	SLOT_ID = 0x02,
	SLOT_VERSION = 0x03,
	SLOT_TPR = 0x08,
	SLOT_APR = 0x09,
	SLOT_PPR = 0x0a,
	SLOT_EOI = 0x0b,
	SLOT_RRD = 0x0c,
	SLOT_LDR = 0x0d,
	SLOT_DFR = 0x0e,
	SLOT_SVR = 0x0f,
	SLOT_ISR = 0x10,		/* 8 registers each */
	SLOT_TMR = 0x18,
	SLOT_IRR = 0x20,
	SLOT_ESR = 0x28,
	SLOT_LVT_CMCI = 0x2f,
	SLOT_ICR_LO = 0x30,		/* the whole 64-bit ICR in x2APIC mode */
	SLOT_ICR_HI = 0x31,
	SLOT_LVT_TIMER = 0x32,		/* ... through SLOT_LVT_ERROR */
	SLOT_LVT_ERROR = 0x37,
	SLOT_TMICT = 0x38,
	SLOT_TMCCT = 0x39,
	SLOT_DCR = 0x3e,
	SLOT_SELF_IPI = 0x3f,
};

#define APIC_VERSION		0x14
#define APIC_BASE_ADDR_MASK	0x000ffffffffff000ull	/* bits 51:12 */
#define APIC_BASE_WRITABLE	(APIC_BASE_ADDR_MASK | VLAPIC_APIC_BASE_EN | \
				 VLAPIC_APIC_BASE_EXTD | VLAPIC_APIC_BASE_BSP)

#define SVR_ENABLE		(1u << 8)
#define SVR_MASK		0x3ffu	/* vector, enable, focus; no EOI suppression */
#define DFR_MODEL_CLUSTER	0x0u	/* DFR bits 31:28 */
#define LDR_XAPIC_MASK		0xff000000u

/* LVT entries (Figure 11-8) */
#define LVT_VECTOR		0xffu
#define LVT_DM_SHIFT		8
#define LVT_MASKED		(1u << 16)
#define LVT_TIMER_MODE_SHIFT	17
#define LVT_TIMER_MODE_MASK	(3u << LVT_TIMER_MODE_SHIFT)
#define TIMER_ONESHOT		0u
#define TIMER_PERIODIC		1u
#define TIMER_TSC_DEADLINE	2u

/* Writable bits of each LVT entry: vector, delivery mode (not for timer and
 * error), polarity and trigger (LINT0/1 only), mask, timer mode. Delivery
 * status and remote IRR are read-only and always read 0. */
static const uint32_t lvt_writable[VLAPIC_LVT_NR] = {
	[VLAPIC_LVT_CMCI] = 0x000107ff,
	[VLAPIC_LVT_TIMER] = 0x000700ff,
	[VLAPIC_LVT_THERMAL] = 0x000107ff,
	[VLAPIC_LVT_PERF] = 0x000107ff,
	[VLAPIC_LVT_LINT0] = 0x0001a7ff,
	[VLAPIC_LVT_LINT1] = 0x0001a7ff,
	[VLAPIC_LVT_ERROR] = 0x000100ff,
};

/* ICR (Figure 11-12): vector, mode, destination mode, level, trigger,
 * shorthand are writable; bit 12 (delivery status) reads 0 = idle. */
#define ICR_LO_WRITABLE		0x000ccfffu
#define ICR_X2APIC_RSVD		0xfff32000u	/* bits 13, 17:16, 31:20 */
#define ICR_LOGICAL		(1u << 11)
#define ICR_ASSERT		(1u << 14)
#define ICR_LEVEL		(1u << 15)
#define ICR_SHORTHAND_SHIFT	18
#define ICR_HI_XAPIC_MASK	0xff000000u
#define DM_RESERVED		3	/* and VLAPIC_DM_EXTINT, in the ICR */

/* ESR (Figure 11-9) */
#define ESR_SEND_ILLEGAL	(1u << 5)
#define ESR_RECV_ILLEGAL	(1u << 6)

#define DCR_MASK		0xbu	/* bits 0, 1, 3 */

/* What an entry point found to tell the outside world; sent after unlock. */
struct vlapic_out {
	bool notify;
	bool send;
	struct vlapic_ipi ipi;
	int eoi;			/* vector, or -1 */
};

/* ---------------------------------------------------------------- helpers */

static uint64_t mul_sat(uint64_t x, uint64_t y)
{
	unsigned __int128 p = (unsigned __int128)x * y;

	return p > UINT64_MAX ? UINT64_MAX : (uint64_t)p;
}

static uint64_t add_sat(uint64_t x, uint64_t y)
{
	return x + y < x ? UINT64_MAX : x + y;
}

static bool hw_enabled(const struct vlapic *a)
{
	return a->apic_base & VLAPIC_APIC_BASE_EN;
}

static bool x2apic_mode(const struct vlapic *a)
{
	return hw_enabled(a) && (a->apic_base & VLAPIC_APIC_BASE_EXTD);
}

static bool sw_enabled(const struct vlapic *a)
{
	return hw_enabled(a) && (a->svr & SVR_ENABLE);
}

static bool bank_test(const uint32_t *bank, unsigned v)
{
	return bank[v / 32] & (1u << (v % 32));
}

static void bank_set(uint32_t *bank, unsigned v)
{
	bank[v / 32] |= 1u << (v % 32);
}

static void bank_clear(uint32_t *bank, unsigned v)
{
	bank[v / 32] &= ~(1u << (v % 32));
}

/* The highest vector set in a 256-bit bank, or -1. */
static int bank_highest(const uint32_t *bank)
{
	for (int i = 7; i >= 0; i--)
		if (bank[i])
			return i * 32 + 31 - __builtin_clz(bank[i]);
	return -1;
}

/* PPR (SDM 11.8.3.1): the TPR if its class is at least the highest
 * in-service class, else that class with sub-class 0. */
static uint8_t ppr(const struct vlapic *a)
{
	int isrv = bank_highest(a->isr);
	uint8_t tpr = (uint8_t)a->tpr;

	if (isrv < 0 || (tpr >> 4) >= ((unsigned)isrv >> 4))
		return tpr;
	return (uint8_t)(isrv & 0xf0);
}

static int pending_locked(const struct vlapic *a)
{
	int irrv;

	if (!hw_enabled(a))
		return -1;
	irrv = bank_highest(a->irr);
	if (irrv >= 0 && (irrv & 0xf0) > (ppr(a) & 0xf0))
		return irrv;
	return -1;
}

static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static unsigned timer_mode(const struct vlapic *a)
{
	return (a->lvt[VLAPIC_LVT_TIMER] & LVT_TIMER_MODE_MASK) >> LVT_TIMER_MODE_SHIFT;
}

/* DCR bits 3, 1:0 (Figure 11-10): 000 -> 2, ..., 110 -> 128, 111 -> 1. */
static uint32_t dcr_divisor(uint32_t dcr)
{
	unsigned e = (dcr & 3) | ((dcr >> 1) & 4);

	return e == 7 ? 1 : 2u << e;
}

static void lock(struct vlapic *a, struct vlapic_out *out)
{
	out->notify = false;
	out->send = false;
	out->eoi = -1;
	spin_lock(&a->lock);
}

/* Unlock, then call out: the ops may come straight back into this vlapic. */
static void unlock_and_flush(struct vlapic *a, const struct vlapic_out *out)
{
	const struct vlapic_ops *ops = a->ops;
	void *ctx = a->ctx;

	spin_unlock(&a->lock);
	if (!ops)
		return;
	if (out->send && ops->ipi)
		ops->ipi(ctx, &out->ipi);
	if (out->eoi >= 0 && ops->eoi)
		ops->eoi(ctx, (uint8_t)out->eoi);
	if (out->notify && ops->notify)
		ops->notify(ctx);
}

/* ------------------------------------------------------ interrupt intake */

static void esr_error(struct vlapic *a, uint32_t bit, struct vlapic_out *out);

/* Accept a fixed interrupt into the IRR (SDM 11.5.5, 11.8.2). */
static void accept(struct vlapic *a, unsigned vector, bool level, struct vlapic_out *out)
{
	if (!hw_enabled(a))
		return;
	if (vector < 16) {
		esr_error(a, ESR_RECV_ILLEGAL, out);
		return;
	}
	if (!sw_enabled(a))
		return;
	bank_set(a->irr, vector);
	if (level)
		bank_set(a->tmr, vector);
	else
		bank_clear(a->tmr, vector);
	if ((vector & 0xf0) > (ppr(a) & 0xf0u))
		out->notify = true;
}

/* Record an error and raise the error LVT. An illegal vector in the error
 * LVT itself only adds its bit: no recursion. */
static void esr_error(struct vlapic *a, uint32_t bit, struct vlapic_out *out)
{
	uint32_t lvt = a->lvt[VLAPIC_LVT_ERROR];

	a->esr_pending |= bit;
	if (lvt & LVT_MASKED)
		return;
	if ((lvt & LVT_VECTOR) < 16)
		a->esr_pending |= ESR_RECV_ILLEGAL;
	else
		accept(a, lvt & LVT_VECTOR, false, out);
}

static void lvt_fire(struct vlapic *a, enum vlapic_lvt idx, struct vlapic_out *out)
{
	uint32_t lvt = a->lvt[idx];

	if (!(lvt & LVT_MASKED))
		accept(a, lvt & LVT_VECTOR, false, out);
}

/* EOI (SDM 11.8.5): retire the highest in-service vector, at most one. */
static void do_eoi(struct vlapic *a, struct vlapic_out *out)
{
	int v = bank_highest(a->isr);

	if (v < 0)
		return;
	bank_clear(a->isr, (unsigned)v);
	if (bank_test(a->tmr, (unsigned)v))
		out->eoi = v;
	if (pending_locked(a) >= 0)
		out->notify = true;
}

/* ------------------------------------------------------------------ timer */

/* Start counting down from 'count' at 'now'; later periods use TMICT. */
static void timer_start(struct vlapic *a, uint64_t now, uint32_t count)
{
	struct vlapic_timer *t = &a->timer;

	t->base = now;
	t->base_count = count;
	if (!count) {
		t->next = UINT64_MAX;
		return;
	}
	t->next = add_sat(now, mul_sat(count, t->tick));
	t->period = MAX(mul_sat(a->tmict, t->tick), VLAPIC_MIN_PERIOD_TSC);
}

static void timer_disarm(struct vlapic *a)
{
	a->tmict = 0;
	a->timer.base_count = 0;
	a->timer.next = UINT64_MAX;
	a->timer.deadline = 0;
}

/* Current count (SDM 11.5.4): computed, not ticked. */
static uint32_t timer_ccr(const struct vlapic *a, uint64_t now)
{
	const struct vlapic_timer *t = &a->timer;
	uint64_t ticks;

	if (timer_mode(a) == TIMER_TSC_DEADLINE || !t->base_count)
		return 0;
	ticks = (now > t->base ? now - t->base : 0) / t->tick;
	if (ticks < t->base_count)
		return t->base_count - (uint32_t)ticks;
	if (timer_mode(a) != TIMER_PERIODIC || !a->tmict)
		return 0;
	return a->tmict - (uint32_t)((ticks - t->base_count) % a->tmict);
}

/* Fire an expired timer once; a periodic one re-arms on its grid after
 * 'now', however many periods were missed. */
static void timer_fire_due(struct vlapic *a, uint64_t now, struct vlapic_out *out)
{
	struct vlapic_timer *t = &a->timer;

	if (t->next == UINT64_MAX || now < t->next)
		return;
	lvt_fire(a, VLAPIC_LVT_TIMER, out);
	if (timer_mode(a) == TIMER_PERIODIC) {
		t->next = add_sat(t->next, t->period);
		if (t->next <= now)
			t->next = add_sat(t->next,
					  mul_sat((now - t->next) / t->period + 1, t->period));
		return;
	}
	t->next = UINT64_MAX;
	t->deadline = 0;
}

/* ------------------------------------------------------------ reset, IPI */

static void reset_regs(struct vlapic *a)
{
	a->tpr = 0;
	a->ldr = 0;
	a->dfr = 0xffffffff;
	a->svr = 0xff;
	a->esr = 0;
	a->esr_pending = 0;
	for (unsigned i = 0; i < VLAPIC_LVT_NR; i++)
		a->lvt[i] = LVT_MASKED;
	a->icr = 0;
	a->dcr = 0;
	memset(a->irr, 0, sizeof(a->irr));
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	a->timer.tick = (uint64_t)a->tsc_per_tick * dcr_divisor(0);
	a->timer.period = 0;
	timer_disarm(a);
}

/* Decode an ICR write (Figure 11-12, Table 11-3) and send it. */
static void send_icr(struct vlapic *a, uint64_t icr, bool x2, struct vlapic_out *out)
{
	struct vlapic_ipi ipi = {
		.vector = (uint8_t)icr,
		.mode = (icr >> LVT_DM_SHIFT) & 7,
		.logical = icr & ICR_LOGICAL,
		.level_assert = icr & ICR_ASSERT,
		.level_trigger = icr & ICR_LEVEL,
		.shorthand = (icr >> ICR_SHORTHAND_SHIFT) & 3,
		.dest = x2 ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56),
		.source_id = a->id,
		.x2apic = x2,
	};

	if (ipi.mode == DM_RESERVED || ipi.mode == VLAPIC_DM_EXTINT) {
		a->bad_accesses++;
		return;
	}
	if ((ipi.mode == VLAPIC_DM_FIXED || ipi.mode == VLAPIC_DM_LOWEST) && ipi.vector < 16) {
		esr_error(a, ESR_SEND_ILLEGAL, out);
		return;
	}
	if (ipi.mode != VLAPIC_DM_INIT)
		ipi.level_trigger = false;	/* xAPIC sends IPIs edge-triggered */
	if (ipi.shorthand == VLAPIC_SH_SELF) {
		if (ipi.mode == VLAPIC_DM_FIXED)
			accept(a, ipi.vector, false, out);
		return;
	}
	out->ipi = ipi;
	out->send = true;
}

/* -------------------------------------------------------------- registers */

static uint32_t rd_id(struct vlapic *a, unsigned slot, uint64_t now)
{
	return x2apic_mode(a) ? a->id : (a->id & 0xff) << 24;
}

static uint32_t rd_version(struct vlapic *a, unsigned slot, uint64_t now)
{
	return APIC_VERSION | (VLAPIC_LVT_NR - 1) << 16;
}

static uint32_t rd_zero(struct vlapic *a, unsigned slot, uint64_t now)
{
	return 0;
}

static uint32_t rd_tpr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->tpr;
}

static uint32_t rd_ppr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return ppr(a);
}

static uint32_t rd_ldr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return x2apic_mode(a) ? x2apic_ldr(a->id) : a->ldr;
}

static uint32_t rd_dfr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->dfr;
}

static uint32_t rd_svr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->svr;
}

static uint32_t rd_isr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->isr[slot - SLOT_ISR];
}

static uint32_t rd_tmr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->tmr[slot - SLOT_TMR];
}

static uint32_t rd_irr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->irr[slot - SLOT_IRR];
}

static uint32_t rd_esr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->esr;
}

static enum vlapic_lvt slot_lvt(unsigned slot)
{
	return slot == SLOT_LVT_CMCI ? VLAPIC_LVT_CMCI
				     : (enum vlapic_lvt)(slot - SLOT_LVT_TIMER + VLAPIC_LVT_TIMER);
}

static uint32_t rd_lvt(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->lvt[slot_lvt(slot)];
}

static uint32_t rd_icr_lo(struct vlapic *a, unsigned slot, uint64_t now)
{
	return (uint32_t)a->icr;
}

static uint32_t rd_icr_hi(struct vlapic *a, unsigned slot, uint64_t now)
{
	return (uint32_t)(a->icr >> 32);
}

static uint32_t rd_tmict(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->tmict;
}

static uint32_t rd_tmcct(struct vlapic *a, unsigned slot, uint64_t now)
{
	return timer_ccr(a, now);
}

static uint32_t rd_dcr(struct vlapic *a, unsigned slot, uint64_t now)
{
	return a->dcr;
}

static void wr_tpr(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	a->tpr = v & 0xff;
	if (pending_locked(a) >= 0)
		out->notify = true;
}

static void wr_eoi(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	do_eoi(a, out);
}

static void wr_ldr(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	a->ldr = v & LDR_XAPIC_MASK;
}

static void wr_dfr(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	a->dfr = (v & 0xf0000000u) | 0x0fffffffu;	/* bits 27:0 read as ones */
}

/* SVR (Figure 11-23). Clearing the enable bit masks every LVT entry
 * (SDM 11.4.7.2); setting it again leaves them masked. */
static void wr_svr(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	a->svr = v & SVR_MASK;
	if (!(a->svr & SVR_ENABLE)) {
		for (unsigned i = 0; i < VLAPIC_LVT_NR; i++)
			a->lvt[i] |= LVT_MASKED;
	} else if (pending_locked(a) >= 0) {
		out->notify = true;
	}
}

/* A write latches the errors seen since the last write (SDM 11.5.3). */
static void wr_esr(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	a->esr = a->esr_pending;
	a->esr_pending = 0;
}

static void wr_lvt_timer(struct vlapic *a, uint32_t v)
{
	uint32_t mode = (v & LVT_TIMER_MODE_MASK) >> LVT_TIMER_MODE_SHIFT;

	if (mode > TIMER_TSC_DEADLINE)
		v &= ~LVT_TIMER_MODE_MASK;	/* reserved: one-shot */
	if ((v & LVT_TIMER_MODE_MASK) != (a->lvt[VLAPIC_LVT_TIMER] & LVT_TIMER_MODE_MASK))
		timer_disarm(a);		/* SDM 11.5.4.1 */
	a->lvt[VLAPIC_LVT_TIMER] = v;
}

static void wr_lvt(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	enum vlapic_lvt idx = slot_lvt(slot);

	v &= lvt_writable[idx];
	if (!sw_enabled(a))
		v |= LVT_MASKED;
	if (idx == VLAPIC_LVT_TIMER)
		wr_lvt_timer(a, v);
	else
		a->lvt[idx] = v;
}

static void wr_icr_lo(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		      struct vlapic_out *out)
{
	a->icr = (a->icr & ~0xffffffffull) | (v & ICR_LO_WRITABLE);
	send_icr(a, a->icr, false, out);
}

static void wr_icr_hi(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		      struct vlapic_out *out)
{
	a->icr = (uint32_t)a->icr | (uint64_t)(v & ICR_HI_XAPIC_MASK) << 32;
}

/* Initial count: restarts the count; 0 stops it; ignored in TSC-deadline
 * mode (SDM 11.5.4, 11.5.4.1). */
static void wr_tmict(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		     struct vlapic_out *out)
{
	if (timer_mode(a) == TIMER_TSC_DEADLINE)
		return;
	a->tmict = v;
	timer_start(a, now, v);
}

/* A new divider applies from now on to the count left. */
static void wr_dcr(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		   struct vlapic_out *out)
{
	uint32_t left = timer_ccr(a, now);

	a->dcr = v & DCR_MASK;
	a->timer.tick = (uint64_t)a->tsc_per_tick * dcr_divisor(a->dcr);
	if (timer_mode(a) != TIMER_TSC_DEADLINE && a->timer.base_count)
		timer_start(a, now, left);
}

static void wr_self_ipi(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
			struct vlapic_out *out)
{
	if ((v & 0xff) < 16)
		esr_error(a, ESR_SEND_ILLEGAL, out);
	else
		accept(a, v & 0xff, false, out);
}

enum { ACC_R = 1, ACC_W = 2, ACC_RW = 3 };

struct reg_desc {
	uint8_t xapic, x2apic;		/* ACC_* in each mode */
	uint32_t x2_rsvd;		/* bits WRMSR must leave 0, else #GP */
	uint32_t (*read)(struct vlapic *a, unsigned slot, uint64_t now);
	void (*write)(struct vlapic *a, unsigned slot, uint32_t v, uint64_t now,
		      struct vlapic_out *out);
};

#define REG(xa, x2, rsvd, rd, wr) { xa, x2, rsvd, rd, wr }
#define BANK(rd) REG(ACC_R, ACC_R, 0, rd, NULL)
#define LVT REG(ACC_RW, ACC_RW, 0, rd_lvt, wr_lvt)

/* Tables 11-1 and 11-6. Slots not listed are reserved: reads 0 / writes
 * ignored over MMIO, #GP as MSRs. The x2APIC ICR is handled apart. */
static const struct reg_desc regs[NR_SLOTS] = {
	[SLOT_ID] = REG(ACC_R, ACC_R, 0, rd_id, NULL),
	[SLOT_VERSION] = REG(ACC_R, ACC_R, 0, rd_version, NULL),
	[SLOT_TPR] = REG(ACC_RW, ACC_RW, 0xffffff00u, rd_tpr, wr_tpr),
	[SLOT_APR] = REG(ACC_R, 0, 0, rd_zero, NULL),
	[SLOT_PPR] = REG(ACC_R, ACC_R, 0, rd_ppr, NULL),
	[SLOT_EOI] = REG(ACC_W, ACC_W, 0xffffffffu, NULL, wr_eoi),
	[SLOT_RRD] = REG(ACC_R, 0, 0, rd_zero, NULL),
	[SLOT_LDR] = REG(ACC_RW, ACC_R, 0, rd_ldr, wr_ldr),
	[SLOT_DFR] = REG(ACC_RW, 0, 0, rd_dfr, wr_dfr),
	[SLOT_SVR] = REG(ACC_RW, ACC_RW, 0, rd_svr, wr_svr),
	[SLOT_ISR ... SLOT_ISR + 7] = BANK(rd_isr),
	[SLOT_TMR ... SLOT_TMR + 7] = BANK(rd_tmr),
	[SLOT_IRR ... SLOT_IRR + 7] = BANK(rd_irr),
	[SLOT_ESR] = REG(ACC_RW, ACC_RW, 0xffffffffu, rd_esr, wr_esr),
	[SLOT_LVT_CMCI] = LVT,
	[SLOT_ICR_LO] = REG(ACC_RW, 0, 0, rd_icr_lo, wr_icr_lo),
	[SLOT_ICR_HI] = REG(ACC_RW, 0, 0, rd_icr_hi, wr_icr_hi),
	[SLOT_LVT_TIMER ... SLOT_LVT_ERROR] = LVT,
	[SLOT_TMICT] = REG(ACC_RW, ACC_RW, 0, rd_tmict, wr_tmict),
	[SLOT_TMCCT] = REG(ACC_R, ACC_R, 0, rd_tmcct, NULL),
	[SLOT_DCR] = REG(ACC_RW, ACC_RW, 0, rd_dcr, wr_dcr),
	[SLOT_SELF_IPI] = REG(0, ACC_W, 0xffffff00u, NULL, wr_self_ipi),
};

/* ------------------------------------------------------------------ MMIO */

static bool mmio_live(const struct vlapic *a)
{
	return hw_enabled(a) && !x2apic_mode(a);
}

/* The register at a slot, or NULL past the table (0x400-0xFF0: reserved). */
static const struct reg_desc *slot_reg(uint64_t offset)
{
	return offset < NR_SLOTS * 16 ? &regs[offset >> 4] : NULL;
}

static uint32_t mmio_reg(struct vlapic *a, uint64_t offset, uint64_t now)
{
	const struct reg_desc *r = slot_reg(offset);

	return r && (r->xapic & ACC_R) ? r->read(a, (unsigned)(offset >> 4), now) : 0;
}

/* Bytes of the page image: each register in bytes 0-3 of its slot. */
static uint64_t mmio_bytes(struct vlapic *a, uint32_t offset, unsigned size, uint64_t now)
{
	uint64_t val = 0;

	for (unsigned i = 0; i < size; i++) {
		uint64_t off = (uint64_t)offset + i;
		uint32_t reg;

		if ((off & 0xf) >= 4)
			continue;
		reg = mmio_reg(a, off, now);
		val |= (uint64_t)((reg >> (8 * (off & 3))) & 0xff) << (8 * i);
	}
	return val;
}

int vlapic_mmio_read(struct vlapic *a, uint32_t offset, unsigned size, uint64_t *val,
		     uint64_t now)
{
	struct vlapic_out out;

	*val = 0;
	lock(a, &out);
	timer_fire_due(a, now, &out);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		a->bad_accesses++;
	else if (mmio_live(a))
		*val = mmio_bytes(a, offset, size, now);
	unlock_and_flush(a, &out);
	return 0;
}

int vlapic_mmio_write(struct vlapic *a, uint32_t offset, unsigned size, uint64_t val,
		      uint64_t now)
{
	struct vlapic_out out;
	const struct reg_desc *r;

	lock(a, &out);
	timer_fire_due(a, now, &out);
	r = slot_reg(offset);
	if (size != 4 || (offset & 0xf) || !r || !mmio_live(a) || !(r->xapic & ACC_W))
		a->bad_accesses++;
	else
		r->write(a, offset >> 4, (uint32_t)val, now, &out);
	timer_fire_due(a, now, &out);
	unlock_and_flush(a, &out);
	return 0;
}

/* ------------------------------------------------------------------ MSRs */

enum apic_state { ST_DISABLED, ST_INVALID, ST_XAPIC, ST_X2APIC };

static enum apic_state base_state(uint64_t base)
{
	return (enum apic_state)(((base & VLAPIC_APIC_BASE_EN) ? 2 : 0) |
				 ((base & VLAPIC_APIC_BASE_EXTD) ? 1 : 0));
}

/* IA32_APIC_BASE write: SDM 11.12.5, Figure 11-27. */
static int wr_apic_base(struct vlapic *a, uint64_t v)
{
	enum apic_state from = base_state(a->apic_base), to = base_state(v);

	if (v & ~APIC_BASE_WRITABLE)
		return -E_INVAL;
	if ((v & APIC_BASE_ADDR_MASK) != VLAPIC_BASE)
		return -E_INVAL;		/* relocation is not modelled */
	if (to == ST_INVALID || (to == ST_X2APIC && !a->x2apic_allowed))
		return -E_INVAL;
	if ((from == ST_X2APIC && to == ST_XAPIC) || (from == ST_DISABLED && to == ST_X2APIC))
		return -E_INVAL;
	if (to == ST_DISABLED && from != ST_DISABLED)
		reset_regs(a);
	a->apic_base = VLAPIC_BASE | (v & (VLAPIC_APIC_BASE_EN | VLAPIC_APIC_BASE_EXTD)) |
		       (a->bsp ? VLAPIC_APIC_BASE_BSP : 0);
	return 0;
}

/* IA32_TSC_DEADLINE (SDM 11.5.4.1): only in TSC-deadline mode; 0 disarms. */
static void wr_tsc_deadline(struct vlapic *a, uint64_t v)
{
	if (!hw_enabled(a) || timer_mode(a) != TIMER_TSC_DEADLINE)
		return;
	a->timer.deadline = v;
	a->timer.next = v ? v : UINT64_MAX;
}

static int x2apic_rdmsr(struct vlapic *a, unsigned slot, uint64_t *val, uint64_t now)
{
	if (!x2apic_mode(a) || slot >= NR_SLOTS)
		return -E_INVAL;
	if (slot == SLOT_ICR_LO) {
		*val = a->icr;
		return 0;
	}
	if (!(regs[slot].x2apic & ACC_R))
		return -E_INVAL;
	*val = regs[slot].read(a, slot, now);
	return 0;
}

static int x2apic_wrmsr(struct vlapic *a, unsigned slot, uint64_t v, uint64_t now,
			struct vlapic_out *out)
{
	const struct reg_desc *r;

	if (!x2apic_mode(a) || slot >= NR_SLOTS)
		return -E_INVAL;
	if (slot == SLOT_ICR_LO) {
		if (v & ICR_X2APIC_RSVD)
			return -E_INVAL;
		a->icr = v & (0xffffffff00000000ull | ICR_LO_WRITABLE);
		send_icr(a, a->icr, true, out);
		return 0;
	}
	r = &regs[slot];
	if (!(r->x2apic & ACC_W) || (v >> 32) || (v & r->x2_rsvd))
		return -E_INVAL;
	r->write(a, slot, (uint32_t)v, now, out);
	return 0;
}

int vlapic_rdmsr(struct vlapic *a, uint32_t msr, uint64_t *val, uint64_t now)
{
	struct vlapic_out out;
	int ret = 0;

	*val = 0;
	if (msr != VLAPIC_MSR_APIC_BASE && msr != VLAPIC_MSR_TSC_DEADLINE &&
	    (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST))
		return -E_NOENT;
	lock(a, &out);
	timer_fire_due(a, now, &out);
	if (msr == VLAPIC_MSR_APIC_BASE)
		*val = a->apic_base;
	else if (msr == VLAPIC_MSR_TSC_DEADLINE)
		*val = timer_mode(a) == TIMER_TSC_DEADLINE ? a->timer.deadline : 0;
	else
		ret = x2apic_rdmsr(a, msr - VLAPIC_MSR_X2APIC_FIRST, val, now);
	if (ret)
		a->bad_accesses++;
	unlock_and_flush(a, &out);
	return ret;
}

int vlapic_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val, uint64_t now)
{
	struct vlapic_out out;
	int ret = 0;

	if (msr != VLAPIC_MSR_APIC_BASE && msr != VLAPIC_MSR_TSC_DEADLINE &&
	    (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST))
		return -E_NOENT;
	lock(a, &out);
	timer_fire_due(a, now, &out);
	if (msr == VLAPIC_MSR_APIC_BASE)
		ret = wr_apic_base(a, val);
	else if (msr == VLAPIC_MSR_TSC_DEADLINE)
		wr_tsc_deadline(a, val);
	else
		ret = x2apic_wrmsr(a, msr - VLAPIC_MSR_X2APIC_FIRST, val, now, &out);
	if (ret)
		a->bad_accesses++;
	timer_fire_due(a, now, &out);
	unlock_and_flush(a, &out);
	return ret;
}

/* ------------------------------------------------------------- the rest */

void vlapic_init(struct vlapic *a, uint32_t apic_id, bool bsp, uint32_t tsc_per_tick,
		 const struct vlapic_ops *ops, void *ctx)
{
	memset(a, 0, sizeof(*a));
	a->id = apic_id;
	a->bsp = bsp;
	a->tsc_per_tick = tsc_per_tick ? tsc_per_tick : 1;
	a->ops = ops;
	a->ctx = ctx;
	a->x2apic_allowed = true;
	a->apic_base = VLAPIC_BASE | VLAPIC_APIC_BASE_EN | (bsp ? VLAPIC_APIC_BASE_BSP : 0);
	reset_regs(a);
}

void vlapic_reset(struct vlapic *a)
{
	spin_lock(&a->lock);
	reset_regs(a);
	spin_unlock(&a->lock);
}

void vlapic_allow_x2apic(struct vlapic *a, bool allow)
{
	spin_lock(&a->lock);
	a->x2apic_allowed = allow;
	spin_unlock(&a->lock);
}

void vlapic_set_virtual_wire(struct vlapic *a)
{
	spin_lock(&a->lock);
	a->svr |= SVR_ENABLE;
	a->lvt[VLAPIC_LVT_LINT0] = VLAPIC_DM_EXTINT << LVT_DM_SHIFT;
	a->lvt[VLAPIC_LVT_LINT1] = VLAPIC_DM_NMI << LVT_DM_SHIFT;
	spin_unlock(&a->lock);
}

uint8_t vlapic_get_tpr(struct vlapic *a)
{
	uint8_t tpr;

	spin_lock(&a->lock);
	tpr = (uint8_t)a->tpr;
	spin_unlock(&a->lock);
	return tpr;
}

void vlapic_set_tpr(struct vlapic *a, uint8_t tpr)
{
	struct vlapic_out out;

	lock(a, &out);
	wr_tpr(a, SLOT_TPR, tpr, 0, &out);
	unlock_and_flush(a, &out);
}

uint8_t vlapic_get_ppr(struct vlapic *a)
{
	uint8_t p;

	spin_lock(&a->lock);
	p = ppr(a);
	spin_unlock(&a->lock);
	return p;
}

void vlapic_set_irq(struct vlapic *a, uint8_t vector, bool level_trigger)
{
	struct vlapic_out out;

	lock(a, &out);
	accept(a, vector, level_trigger, &out);
	unlock_and_flush(a, &out);
}

int vlapic_pending(struct vlapic *a)
{
	int v;

	spin_lock(&a->lock);
	v = pending_locked(a);
	spin_unlock(&a->lock);
	return v;
}

void vlapic_ack(struct vlapic *a, uint8_t vector)
{
	spin_lock(&a->lock);
	if (bank_test(a->irr, vector)) {
		bank_clear(a->irr, vector);
		bank_set(a->isr, vector);
	}
	spin_unlock(&a->lock);
}

bool vlapic_extint_enabled(struct vlapic *a)
{
	uint32_t lint0;
	bool on;

	spin_lock(&a->lock);
	lint0 = a->lvt[VLAPIC_LVT_LINT0];
	on = !hw_enabled(a) || (!(lint0 & LVT_MASKED) &&
				((lint0 >> LVT_DM_SHIFT) & 7) == VLAPIC_DM_EXTINT);
	spin_unlock(&a->lock);
	return on;
}

/* Logical destinations: SDM 11.6.2.2 (flat and cluster models of the DFR)
 * and 11.12.10.2 (x2APIC: cluster in bits 31:16, member mask in 15:0). */
static bool match_logical(const struct vlapic *a, uint32_t dest)
{
	uint32_t lid;

	if (x2apic_mode(a)) {
		lid = x2apic_ldr(a->id);
		return (dest >> 16) == (lid >> 16) && (dest & lid & 0xffff);
	}
	lid = a->ldr >> 24;
	if ((a->dfr >> 28) == DFR_MODEL_CLUSTER)
		return (dest >> 4) == (lid >> 4) && (dest & lid & 0xf);
	return dest & lid;
}

static bool match_locked(const struct vlapic *a, uint32_t dest, bool logical, bool x2msg)
{
	bool x2 = x2apic_mode(a);

	if (!hw_enabled(a))
		return false;
	if (!x2msg)
		dest &= 0xff;
	if (x2msg ? dest == 0xffffffffu : dest == 0xff)
		return true;			/* broadcast */
	if (!x2 && dest > 0xff)
		return false;
	if (!logical)
		return dest == (x2 ? a->id : (a->id & 0xff));
	return match_logical(a, dest);
}

bool vlapic_match_dest(struct vlapic *a, uint32_t dest, bool logical, bool x2apic_msg)
{
	bool m;

	spin_lock(&a->lock);
	m = match_locked(a, dest, logical, x2apic_msg);
	spin_unlock(&a->lock);
	return m;
}

uint64_t vlapic_poll(struct vlapic *a, uint64_t now)
{
	struct vlapic_out out;
	uint64_t next;

	lock(a, &out);
	timer_fire_due(a, now, &out);
	/* A masked expiry changes nothing but the count, which is computed:
	 * no need to wake up for it (the next access catches up). */
	next = (a->lvt[VLAPIC_LVT_TIMER] & LVT_MASKED) ? UINT64_MAX : a->timer.next;
	unlock_and_flush(a, &out);
	return next;
}

uint32_t vlapic_id(const struct vlapic *a)
{
	return a->id;
}

bool vlapic_x2apic_mode(struct vlapic *a)
{
	bool x2;

	spin_lock(&a->lock);
	x2 = x2apic_mode(a);
	spin_unlock(&a->lock);
	return x2;
}

bool vlapic_enabled(struct vlapic *a)
{
	bool en;

	spin_lock(&a->lock);
	en = hw_enabled(a);
	spin_unlock(&a->lock);
	return en;
}

bool vlapic_sw_enabled(struct vlapic *a)
{
	bool en;

	spin_lock(&a->lock);
	en = sw_enabled(a);
	spin_unlock(&a->lock);
	return en;
}
