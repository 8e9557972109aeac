/*
 * The guest's 8254 PIT and port 0x61 (see vpit.h).
 *
 * Nothing ticks: a running counter is described by the TSC time its count
 * was loaded ('start') and what it was loaded with, and every reading is
 * computed from the clocks elapsed since. Modes 0, 1, 4 and 5 count down
 * from 'base' once (and wrap on, as the chip does); modes 2 and 3 repeat
 * a period of 'n' clocks, 'phase' clocks into it at clock 'origin'. A new
 * count written to a running mode 2 or 3 counter takes over at the end of
 * the period (mode 3: of the half-period), the clock 'reload_at', which
 * every reading applies when it is due. Clocks, not TSC times, mark these
 * points, so a reload never shifts the grid by a rounded TSC cycle.
 *
 * Guest bytes only select among the control word's fields, each masked
 * to its width; counts are 16-bit values turned into 1-65536 (1-10000 in
 * BCD), so no division by zero or unbounded loop is reachable.
 */
#include "kernel/errno.h"
#include "vmm/vpit.h"

/* 82C54 control word (port 0x43). */
#define CW_SC(v)	((unsigned)(v) >> 6)		/* counter select */
#define CW_RW(v)	(((unsigned)(v) >> 4) & 3)	/* access, or latch */
#define CW_MODE(v)	(((unsigned)(v) >> 1) & 7)
#define CW_BCD		0x01
#define CW_PROGRAM	0x3f		/* bits kept for the status byte */
#define SC_READ_BACK	3
#define RW_LATCH	0
#define RB_NO_COUNT	0x20		/* read-back: D5 = 0 latches counts */
#define RB_NO_STATUS	0x10		/* read-back: D4 = 0 latches status */
#define RB_COUNTER(i)	(2u << (i))	/* read-back: D1-D3 select counters */
#define ST_OUT		0x80		/* status byte: OUT pin */
#define ST_NULL		0x40		/* status byte: null count */

/* Port 0x61 (PIIX4 NMI Status and Control). */
#define P61_GATE2	0x01
#define P61_WRITABLE	0x0f		/* gate, speaker, SERR# and IOCHK# enables */
#define P61_REFRESH	0x10
#define P61_OUT2	0x20

enum { ACC_LSB = 1, ACC_MSB = 2, ACC_WORD = 3 };
enum { PORT_CONTROL = 3 };

#define BIN_MOD		65536u
#define BCD_MOD		10000u
#define US_PER_S	1000000u

/* ---------------------------------------------------------------- time */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* floor(d * VPIT_HZ / tsc_hz), exactly, in 64 bits: whole seconds, then
 * the remainder (below tsc_hz <= 2^43, times VPIT_HZ < 2^21). */
static uint64_t tsc_to_ticks(const struct vpit *t, uint64_t d)
{
	return d / t->tsc_hz * VPIT_HZ + d % t->tsc_hz * VPIT_HZ / t->tsc_hz;
}

/*
 * ceil(ticks * tsc_hz / VPIT_HZ): the first TSC delta at which
 * tsc_to_ticks() reaches 'ticks'. With tsc_hz = a * VPIT_HZ + b and
 * ticks = c * VPIT_HZ + e it is a * ticks + b * c + ceil(b * e / VPIT_HZ);
 * b * e < 2^42. Saturates at UINT64_MAX.
 */
static uint64_t ticks_to_tsc(const struct vpit *t, uint64_t ticks)
{
	uint64_t c = ticks / VPIT_HZ, e = ticks % VPIT_HZ;
	uint64_t whole, mid;

	if (__builtin_mul_overflow(ticks, t->hz_div, &whole) ||
	    __builtin_mul_overflow(c, t->hz_mod, &mid))
		return UINT64_MAX;
	return sat_add(sat_add(whole, mid), (t->hz_mod * e + VPIT_HZ - 1) / VPIT_HZ);
}

/* ---------------------------------------------------------------- counting */

static bool periodic(const struct vpit_channel *c)
{
	return c->mode == 2 || c->mode == 3;
}

static uint32_t modulus(const struct vpit_channel *c)
{
	return c->bcd ? BCD_MOD : BIN_MOD;
}

/* Mode 3: clocks of the period with OUT high ((N + 1) / 2 for odd N). */
static uint32_t high_len(uint32_t n)
{
	return (n + 1) / 2;
}

/* One-shot modes: clocks from 'start' to terminal count. */
static uint64_t dist_to_tc(const struct vpit_channel *c)
{
	return c->base ? c->base : modulus(c);
}

/* Clocks since 'start'. */
static uint64_t clocks(const struct vpit *t, const struct vpit_channel *c, uint64_t now)
{
	return now > c->start ? tsc_to_ticks(t, now - c->start) : 0;
}

/* Clocks since the current period or one-shot began. */
static uint64_t elapsed(const struct vpit *t, const struct vpit_channel *c, uint64_t now)
{
	uint64_t k = clocks(t, c, now);

	return k > c->origin ? k - c->origin : 0;
}

/* The TSC of clock 'k' after 'start'. */
static uint64_t tsc_of(const struct vpit *t, const struct vpit_channel *c, uint64_t k)
{
	return sat_add(c->start, ticks_to_tsc(t, k));
}

static uint32_t cycle_pos(const struct vpit_channel *c, uint64_t d)
{
	return (uint32_t)((d % c->n + c->phase) % c->n);
}

/*
 * Modes 2 and 3, 'p' clocks into the period. Mode 2 counts N..1 with OUT
 * low while the count is 1. Mode 3 counts down by two through each half
 * (82C54: an odd N loads N - 1), OUT high in the first half.
 */
static void eval_periodic(const struct vpit_channel *c, uint64_t d, uint32_t *ce, bool *out)
{
	uint32_t p = cycle_pos(c, d), h = high_len(c->n);

	if (c->mode == 2) {
		*ce = c->n - p;
		*out = p != c->n - 1;
		return;
	}
	*out = p < h;
	*ce = c->n - (c->n & 1) - 2 * (p < h ? p : p - h);
}

/* Modes 0 and 1: OUT rises at terminal count and stays high. Modes 4
 * and 5: OUT is low for the one clock of terminal count. */
static void eval_oneshot(const struct vpit_channel *c, uint64_t d, uint32_t *ce, bool *out)
{
	uint32_t m = modulus(c);
	uint64_t dist = dist_to_tc(c);

	*ce = (uint32_t)((c->base % m + m - d % m) % m);
	if (c->mode <= 1)
		*out = c->tc || d >= dist;
	else
		*out = c->tc || d != dist;
}

/* Modes 2, 3: load the count register at clock 'origin' of the run
 * that began at TSC 'start'. */
static void load_cycle(struct vpit_channel *c, uint64_t start, uint64_t origin, bool low_half)
{
	c->start = start;
	c->origin = origin;
	c->n = c->cr;
	c->phase = low_half ? high_len(c->n) : 0;
	c->reload_pending = false;
	c->null_count = false;
	c->state = VPIT_RUNNING;
}

static void start_oneshot(struct vpit_channel *c, uint64_t at, uint32_t base, bool tc)
{
	c->start = at;
	c->origin = 0;
	c->base = base;
	c->tc = tc;
	c->null_count = false;
	c->state = VPIT_RUNNING;
}

/* A count written to a running mode 2 or 3 counter, once its time came. */
static void apply_reload(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	if (c->state == VPIT_RUNNING && periodic(c) && c->reload_pending &&
	    clocks(t, c, now) >= c->reload_at)
		load_cycle(c, c->start, c->reload_at, c->reload_low);
}

/* The counting element and OUT at 'now'. */
static void sample(struct vpit *t, struct vpit_channel *c, uint64_t now, uint32_t *ce, bool *out)
{
	apply_reload(t, c, now);
	if (c->state != VPIT_RUNNING) {
		*ce = c->frozen;
		*out = c->out;
	} else if (periodic(c)) {
		eval_periodic(c, elapsed(t, c, now), ce, out);
	} else {
		eval_oneshot(c, elapsed(t, c, now), ce, out);
	}
}

/* Stop counting, keeping the count and OUT as they are now. */
static void freeze(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	uint32_t ce;
	bool out;

	if (c->state != VPIT_RUNNING)
		return;
	sample(t, c, now, &ce, &out);
	if (!periodic(c))
		c->tc = c->tc || elapsed(t, c, now) >= dist_to_tc(c);
	c->frozen = ce;
	c->out = out;
	c->state = VPIT_PAUSED;
}

static uint16_t encode(const struct vpit_channel *c, uint32_t ce)
{
	if (!c->bcd)
		return (uint16_t)ce;
	ce %= BCD_MOD;
	return (uint16_t)(ce % 10 | (ce / 10 % 10) << 4 | (ce / 100 % 10) << 8 | (ce / 1000) << 12);
}

/* A written count in clocks: 0 is the largest count. */
static uint32_t decode(const struct vpit_channel *c, uint16_t raw)
{
	uint32_t v = raw;

	if (c->bcd)
		v = ((raw & 0xf) + (raw >> 4 & 0xf) * 10 + (raw >> 8 & 0xf) * 100 +
		     (uint32_t)(raw >> 12) * 1000) % BCD_MOD;
	return v ? v : modulus(c);
}

/* ---------------------------------------------------------------- IRQ0 */

/* Channel 0's next rising edge of OUT that interrupts, after 'now'. */
static uint64_t next_edge(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	uint64_t d, e;
	uint32_t ph;

	if (c->state != VPIT_RUNNING)
		return UINT64_MAX;
	if (!periodic(c)) {
		if (c->tc)
			return UINT64_MAX;
		return tsc_of(t, c, dist_to_tc(c) + (c->mode >= 4));
	}
	/* Edges begin the periods; a pending reload starts a new grid. */
	d = elapsed(t, c, now);
	e = sat_add(c->origin + d, c->n - cycle_pos(c, d));
	if (c->reload_pending && e > c->reload_at) {
		ph = c->reload_low ? high_len(c->cr) : 0;
		e = sat_add(c->reload_at, c->cr - ph);
	}
	return tsc_of(t, c, e);
}

/* Channel 0 was programmed: its OUT fell, its edges move. */
static void ch0_changed(struct vpit *t, unsigned idx, uint64_t now)
{
	uint64_t e;

	if (idx != 0)
		return;
	e = next_edge(t, &t->ch[0], now);
	if (t->irq_line && !t->irq_reported)
		t->irq_pulse = true;	/* rose and fell before anyone was told */
	t->irq_line = false;
	t->irq_next = e == UINT64_MAX ? e : MAX(e, t->irq_allowed);
}

/* Fire the edge due by 'now', if any (one for any number of periods
 * missed), and return the next deadline. */
static uint64_t ch0_service(struct vpit *t, uint64_t now)
{
	struct vpit_channel *c = &t->ch[0];
	uint64_t e;

	apply_reload(t, c, now);
	if (t->irq_next > now || t->irq_next == UINT64_MAX)
		return t->irq_next;
	if (c->state != VPIT_RUNNING) {
		t->irq_next = UINT64_MAX;
		return t->irq_next;
	}
	if (c->mode <= 1)
		t->irq_line = true;
	else
		t->irq_pulse = true;
	t->irq_allowed = sat_add(now, t->min_period);
	e = periodic(c) ? next_edge(t, c, now) : UINT64_MAX;
	t->irq_next = e == UINT64_MAX ? e : MAX(e, t->irq_allowed);
	return t->irq_next;
}

static bool claim_notify(struct vpit *t)
{
	if (t->notifying || (!t->irq_pulse && t->irq_line == t->irq_reported))
		return false;
	t->notifying = true;
	return true;
}

/* One CPU at a time delivers what the model wants IRQ0 to see; others
 * changing it meanwhile leave the delivery to that CPU (as in vpic.c). */
static void notify(struct vpit *t)
{
	for (;;) {
		bool was, pulse, level;

		spin_lock(&t->lock);
		was = t->irq_reported;
		pulse = t->irq_pulse;
		level = t->irq_line;
		if (!pulse && level == was) {
			t->notifying = false;
			spin_unlock(&t->lock);
			return;
		}
		t->irq_pulse = false;
		t->irq_reported = level;
		spin_unlock(&t->lock);
		if (!t->irq0)
			continue;
		if (pulse && was)
			t->irq0(t->ctx, false);
		if (pulse || level)
			t->irq0(t->ctx, true);
		if (!level)
			t->irq0(t->ctx, false);
	}
}

static void unlock_and_notify(struct vpit *t)
{
	bool kick = claim_notify(t);

	spin_unlock(&t->lock);
	if (kick)
		notify(t);
}

/* ---------------------------------------------------------------- commands */

static void latch_count(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	uint32_t ce;
	bool out;

	if (c->latch_state)
		return;		/* the first latch holds until read */
	sample(t, c, now, &ce, &out);
	c->latch = encode(c, ce);
	c->latch_state = c->access;
}

static void latch_status(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	uint32_t ce;
	bool out;

	if (c->status_latched)
		return;
	sample(t, c, now, &ce, &out);
	c->status = (uint8_t)((out ? ST_OUT : 0) | (c->null_count ? ST_NULL : 0) | c->cw);
	c->status_latched = true;
}

static void read_back(struct vpit *t, uint8_t v, uint64_t now)
{
	for (unsigned i = 0; i < ARRAY_SIZE(t->ch); i++) {
		if (!(v & RB_COUNTER(i)))
			continue;
		if (!(v & RB_NO_COUNT))
			latch_count(t, &t->ch[i], now);
		if (!(v & RB_NO_STATUS))
			latch_status(t, &t->ch[i], now);
	}
}

/* A control word resets the counter's logic: no count until one is
 * written, OUT low in mode 0 and high in the others. */
static void program(struct vpit *t, unsigned idx, uint8_t v, uint64_t now)
{
	struct vpit_channel *c = &t->ch[idx];
	unsigned mode = CW_MODE(v);

	freeze(t, c, now);
	c->cw = v & CW_PROGRAM;
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);	/* 6, 7 are 2, 3 */
	c->access = (uint8_t)CW_RW(v);
	c->bcd = v & CW_BCD;
	c->state = VPIT_IDLE;
	c->out = c->mode != 0;
	c->tc = false;
	c->null_count = true;
	c->reload_pending = false;
	c->write_msb = c->read_msb = false;
	c->latch_state = 0;
	c->status_latched = false;
	ch0_changed(t, idx, now);
}

static void write_control(struct vpit *t, uint8_t v, uint64_t now)
{
	if (CW_SC(v) == SC_READ_BACK)
		read_back(t, v, now);
	else if (CW_RW(v) == RW_LATCH)
		latch_count(t, &t->ch[CW_SC(v)], now);
	else
		program(t, CW_SC(v), v, now);
}

/* Mode 2 or 3 running: the new count waits for the end of the period
 * (mode 3: of the half-period). A second count written before then
 * lands on the same point and replaces the first. */
static void schedule_reload(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	uint64_t d = elapsed(t, c, now);
	uint32_t p = cycle_pos(c, d), h = high_len(c->n), left;

	c->reload_low = c->mode == 3 && p < h;
	left = c->reload_low ? h - p : c->n - p;
	c->reload_at = sat_add(c->origin + d, left);
	c->reload_pending = true;
}

static void load_count(struct vpit *t, unsigned idx, uint32_t count, uint64_t now)
{
	struct vpit_channel *c = &t->ch[idx];

	apply_reload(t, c, now);
	c->cr = count;
	c->null_count = true;
	switch (c->mode) {
	case 0:
	case 4:		/* loaded at once; counts while GATE is high */
		start_oneshot(c, now, count % modulus(c), false);
		if (!c->gate)
			freeze(t, c, now);
		break;
	case 1:
	case 5:		/* waits for a GATE rising edge */
		if (c->state == VPIT_IDLE)
			c->state = VPIT_ARMED;
		break;
	default:
		if (c->state == VPIT_RUNNING)
			schedule_reload(t, c, now);
		else if (c->state == VPIT_IDLE && c->gate)
			load_cycle(c, now, 0, false);
		else if (c->state == VPIT_IDLE)
			c->state = VPIT_PAUSED;
		break;
	}
	ch0_changed(t, idx, now);
}

/* Mode 0: the first byte of a two-byte count stops the count and drops
 * OUT until the second byte. */
static void first_byte(struct vpit *t, unsigned idx, uint64_t now)
{
	struct vpit_channel *c = &t->ch[idx];

	if (c->mode != 0 || c->state == VPIT_IDLE)
		return;
	freeze(t, c, now);
	c->state = VPIT_IDLE;
	c->out = false;
	ch0_changed(t, idx, now);
}

static void write_data(struct vpit *t, unsigned idx, uint8_t v, uint64_t now)
{
	struct vpit_channel *c = &t->ch[idx];
	uint16_t raw;

	if (c->access == ACC_LSB) {
		raw = v;
	} else if (c->access == ACC_MSB) {
		raw = (uint16_t)(v << 8);
	} else if (!c->write_msb) {
		c->lsb = v;
		c->write_msb = true;
		first_byte(t, idx, now);
		return;
	} else {
		c->write_msb = false;
		raw = (uint16_t)(c->lsb | v << 8);
	}
	load_count(t, idx, decode(c, raw), now);
}

/* Status first if latched, then a latched count, else the live count. */
static uint8_t read_data(struct vpit *t, unsigned idx, uint64_t now)
{
	struct vpit_channel *c = &t->ch[idx];
	uint32_t ce;
	bool out, msb;
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latch_state) {
		msb = c->latch_state == ACC_MSB;
		c->latch_state = c->latch_state == ACC_WORD ? ACC_MSB : 0;
		return (uint8_t)(msb ? c->latch >> 8 : c->latch);
	}
	sample(t, c, now, &ce, &out);
	v = encode(c, ce);
	msb = c->access == ACC_MSB;
	if (c->access == ACC_WORD) {
		msb = c->read_msb;
		c->read_msb = !c->read_msb;
	}
	return (uint8_t)(msb ? v >> 8 : v);
}

static void gate_rise(struct vpit_channel *c, uint64_t now)
{
	if (c->state == VPIT_IDLE)
		return;
	switch (c->mode) {
	case 0:
	case 4:		/* counting resumes */
		if (c->state == VPIT_PAUSED)
			start_oneshot(c, now, c->frozen, c->tc);
		break;
	case 1:
	case 5:		/* trigger: (re)load the count */
		start_oneshot(c, now, c->cr % modulus(c), false);
		break;
	default:	/* reload and restart the period */
		load_cycle(c, now, 0, false);
		break;
	}
}

static void gate_fall(struct vpit *t, struct vpit_channel *c, uint64_t now)
{
	if (c->mode == 1 || c->mode == 5)
		return;		/* the gate only triggers */
	freeze(t, c, now);
	if (periodic(c))
		c->out = true;
}

static void set_gate(struct vpit *t, unsigned idx, bool gate, uint64_t now)
{
	struct vpit_channel *c = &t->ch[idx];

	if (gate == c->gate)
		return;
	apply_reload(t, c, now);
	c->gate = gate;
	if (gate)
		gate_rise(c, now);
	else
		gate_fall(t, c, now);
	ch0_changed(t, idx, now);
}

/* ---------------------------------------------------------------- I/O */

static uint64_t clock_read(struct vpit *t)
{
	return t->now ? t->now(t->ctx) : 0;
}

/* Under the lock: CPUs may read the clock in one order and get the lock
 * in the other. */
static uint64_t monotonic(struct vpit *t, uint64_t now)
{
	if (now < t->last_now)
		return t->last_now;
	t->last_now = now;
	return now;
}

static uint8_t read61(struct vpit *t, uint64_t now)
{
	uint32_t ce;
	bool out;
	uint8_t v;

	sample(t, &t->ch[2], now, &ce, &out);
	v = (uint8_t)((t->port61 & P61_WRITABLE) | (t->refresh ? P61_REFRESH : 0) |
		      (out ? P61_OUT2 : 0));
	t->refresh = !t->refresh;
	return v;
}

static uint8_t read_byte(struct vpit *t, bool port61, uint64_t port, uint64_t now)
{
	if (port61)
		return port == 0 ? read61(t, now) : 0xff;
	if (port < PORT_CONTROL)
		return read_data(t, (unsigned)port, now);
	return port == PORT_CONTROL ? 0 : 0xff;
}

static void write_byte(struct vpit *t, bool port61, uint64_t port, uint8_t v, uint64_t now)
{
	if (port61 && port == 0) {
		t->port61 = v & P61_WRITABLE;
		set_gate(t, 2, v & P61_GATE2, now);
	} else if (!port61 && port < PORT_CONTROL) {
		write_data(t, (unsigned)port, v, now);
	} else if (!port61 && port == PORT_CONTROL) {
		write_control(t, v, now);
	}
}

/* Wider accesses touch consecutive ports, lowest first. Before a write,
 * an IRQ0 edge already due is fired, so reprogramming channel 0 late
 * never swallows it. */
static int port_access(struct vpit *t, bool port61, uint64_t off, unsigned size, bool write,
		       uint64_t *val)
{
	uint64_t now = clock_read(t), in = write ? *val : 0;

	if (!write)
		*val = 0;
	spin_lock(&t->lock);
	now = monotonic(t, now);
	if (write)
		ch0_service(t, now);
	for (unsigned i = 0; i < size && i < 8; i++) {
		if (write)
			write_byte(t, port61, off + i, (uint8_t)(in >> (8 * i)), now);
		else
			*val |= (uint64_t)read_byte(t, port61, off + i, now) << (8 * i);
	}
	unlock_and_notify(t);
	return 0;
}

static int pit_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	return port_access(ctx, false, off, size, false, val);
}

static int pit_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	return port_access(ctx, false, off, size, true, &val);
}

static int port61_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	return port_access(ctx, true, off, size, false, val);
}

static int port61_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	return port_access(ctx, true, off, size, true, &val);
}

const struct io_ops vpit_ops = { pit_read, pit_write };
const struct io_ops vpit_port61_ops = { port61_read, port61_write };

/* ---------------------------------------------------------------- API */

void vpit_init(struct vpit *t, uint64_t tsc_hz, void (*irq0)(void *ctx, bool level),
	       uint64_t (*now)(void *ctx), void *ctx, uint64_t now_tsc)
{
	memset(t, 0, sizeof(*t));
	t->lock = (spinlock_t)SPINLOCK_INIT;
	t->tsc_hz = MIN(MAX(tsc_hz, VPIT_HZ), VPIT_MAX_TSC_HZ);
	t->hz_div = t->tsc_hz / VPIT_HZ;
	t->hz_mod = t->tsc_hz % VPIT_HZ;
	t->min_period = MAX(t->tsc_hz * VPIT_MIN_PERIOD_US / US_PER_S, 1);
	t->irq0 = irq0;
	t->now = now;
	t->ctx = ctx;
	t->last_now = now_tsc;
	t->irq_next = UINT64_MAX;
	for (unsigned i = 0; i < ARRAY_SIZE(t->ch); i++) {
		struct vpit_channel *c = &t->ch[i];

		c->cw = ACC_WORD << 4 | 3 << 1;		/* LSB then MSB, mode 3 */
		c->mode = 3;
		c->access = ACC_WORD;
		c->gate = i != 2;			/* port 0x61 bit 0 gates channel 2 */
		c->out = true;
		c->null_count = true;
		c->state = VPIT_IDLE;
	}
}

uint64_t vpit_poll(struct vpit *t, uint64_t now)
{
	uint64_t next;

	spin_lock(&t->lock);
	now = monotonic(t, now);
	next = ch0_service(t, now);
	unlock_and_notify(t);
	return next;
}
