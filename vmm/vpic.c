/*
 * The guest's 8259A pair and its ELCR (see vpic.h). Everything a guest
 * writes is a byte that selects among a few fixed commands; no value is
 * used as an index without masking it to 0-7.
 *
 * Priorities: with 'lowest' the level of lowest priority, level
 * (lowest + 1) & 7 is served first and the others follow in order
 * (8259A data sheet, "Rotating priority"). Fully nested mode is the case
 * lowest = 7.
 */
#include "kernel/errno.h"
#include "vmm/vpic.h"

enum { MASTER = 0, SLAVE = 1, ELCR = 2 };

#define ICW1_SEL	0x10	/* port 0 write with D4 set: ICW1 */
#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define OCW3_SEL	0x08	/* port 0 write with D4 clear, D3 set: OCW3 */
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_P		0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define POLL_INT	0x80	/* poll word: an interrupt was pending */
#define VECTOR_MASK	0xf8	/* ICW2 bits that form the vector base */

/* OCW2's R, SL, EOI bits (D7-D5). */
enum ocw2_cmd {
	OCW2_AEOI_ROTATE_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_AEOI_ROTATE_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* PIIX ELCR: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge. */
static const uint8_t elcr_mask[2] = { 0xf8, 0xde };

static uint8_t bit(unsigned irq)
{
	return (uint8_t)(1u << (irq & 7));
}

/* 0 is the highest priority. */
static unsigned priority(const struct vpic_chip *c, unsigned irq)
{
	return (irq - c->lowest - 1) & 7;
}

/* The level of highest priority among 'bits', or -1. */
static int highest(const struct vpic_chip *c, uint8_t bits)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned irq = (c->lowest + 1 + i) & 7;

		if (bits & bit(irq))
			return (int)irq;
	}
	return -1;
}

static bool chip_out(const struct vpic *p, unsigned chip);

/* What the IRR shows: latched edges, levels of level-triggered inputs,
 * and on the master's IR2 also the slave's INT output itself. */
static uint8_t requests(const struct vpic *p, unsigned chip)
{
	const struct vpic_chip *c = &p->chip[chip];
	uint8_t req = (uint8_t)((c->irr & ~c->elcr) | (c->pins & c->elcr));

	if (chip == MASTER && chip_out(p, SLAVE))
		req |= bit(VPIC_CASCADE_IRQ);
	return req;
}

/*
 * The level the chip would raise INT for, or -1: the highest-priority
 * unmasked request above every level in service. In special mask mode an
 * in-service level only blocks itself; in special fully nested mode the
 * master lets the slave interrupt a slave request in service.
 */
static int chip_pending(const struct vpic *p, unsigned chip)
{
	const struct vpic_chip *c = &p->chip[chip];
	uint8_t req = requests(p, chip) & (uint8_t)~c->imr;
	uint8_t busy = c->isr;
	int irq, cur;

	if (c->special_mask)
		req &= (uint8_t)~c->isr;
	irq = highest(c, req);
	if (irq < 0 || c->special_mask)
		return irq;
	if (chip == MASTER && c->sfnm)
		busy &= (uint8_t)~bit(VPIC_CASCADE_IRQ);
	cur = highest(c, busy);
	if (cur >= 0 && priority(c, (unsigned)irq) >= priority(c, (unsigned)cur))
		return -1;
	return irq;
}

static bool chip_out(const struct vpic *p, unsigned chip)
{
	return p->chip[chip].init_step == 0 && chip_pending(p, chip) >= 0;
}

static bool cascaded(const struct vpic *p)
{
	const struct vpic_chip *m = &p->chip[MASTER];

	return !m->single && (m->icw3 & bit(VPIC_CASCADE_IRQ));
}

/* The INTA (or poll) side of granting 'irq': IRR to ISR, or straight
 * through in automatic-EOI mode. */
static void grant(struct vpic_chip *c, unsigned irq)
{
	c->irr &= (uint8_t)~bit(irq);
	if (!c->auto_eoi)
		c->isr |= bit(irq);
	else if (c->rotate_on_aeoi)
		c->lowest = (uint8_t)irq;
}

/* ---------------------------------------------------------------- output */

/* Under the lock, after a change: whether this caller must deliver the
 * new level. Only one CPU delivers at a time (see notify()). */
static bool claim_notify(struct vpic *p)
{
	if (p->notifying || chip_out(p, MASTER) == p->reported)
		return false;
	p->notifying = true;
	return true;
}

/* Deliver levels until the line we reported matches the model. Another
 * CPU changing the level meanwhile finds 'notifying' set and leaves the
 * delivery to us, so calls never overtake each other. */
static void notify(struct vpic *p)
{
	for (;;) {
		bool level;

		spin_lock(&p->lock);
		level = chip_out(p, MASTER);
		if (level == p->reported) {
			p->notifying = false;
			spin_unlock(&p->lock);
			return;
		}
		p->reported = level;
		spin_unlock(&p->lock);
		if (p->output)
			p->output(p->ctx, level);
	}
}

/* The master's edge sense on IR2: run after every change, under the lock. */
static void sync_cascade(struct vpic *p)
{
	bool out = chip_out(p, SLAVE);

	if (out && !p->slave_out)
		p->chip[MASTER].irr |= bit(VPIC_CASCADE_IRQ);
	p->slave_out = out;
}

static void unlock_and_notify(struct vpic *p)
{
	bool kick;

	sync_cascade(p);
	kick = claim_notify(p);

	spin_unlock(&p->lock);
	if (kick)
		notify(p);
}

/* ---------------------------------------------------------------- commands */

static void chip_reset(struct vpic_chip *c, uint8_t base, uint8_t icw3)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->icw3 = icw3;
	c->imr = 0xff;
	c->lowest = 7;
}

/* ICW1 resets the edge sense (an input already high must fall and rise
 * again), clears IMR and ISR, makes IR7 the lowest priority, selects IRR
 * for reads and clears special mask mode and the ICW4 functions. */
static void write_icw1(struct vpic_chip *c, uint8_t v)
{
	c->irr = c->isr = c->imr = 0;
	c->lowest = 7;
	c->read_isr = c->poll = c->special_mask = false;
	c->auto_eoi = c->rotate_on_aeoi = c->sfnm = false;
	c->icw4_needed = v & ICW1_IC4;
	c->single = v & ICW1_SNGL;
	c->init_step = 2;
}

static void write_ocw2(struct vpic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	int top = highest(c, c->isr);

	switch ((enum ocw2_cmd)(v >> 5)) {
	case OCW2_AEOI_ROTATE_CLEAR:
	case OCW2_AEOI_ROTATE_SET:
		c->rotate_on_aeoi = (v >> 5) == OCW2_AEOI_ROTATE_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		if (top < 0)
			break;
		c->isr &= (uint8_t)~bit((unsigned)top);
		if ((v >> 5) == OCW2_ROTATE_EOI)
			c->lowest = (uint8_t)top;
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= (uint8_t)~bit(level);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (uint8_t)~bit(level);
		c->lowest = (uint8_t)level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest = (uint8_t)level;
		break;
	case OCW2_NOP:
		break;
	}
}

static void write_ocw3(struct vpic_chip *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->special_mask = v & OCW3_SMM;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	c->poll = v & OCW3_P;
}

static void write_cmd(struct vpic_chip *c, uint8_t v)
{
	if (v & ICW1_SEL)
		write_icw1(c, v);
	else if (v & OCW3_SEL)
		write_ocw3(c, v);
	else
		write_ocw2(c, v);
}

/* Port 1: ICW2-ICW4 during the initialization sequence, else OCW1. */
static void write_data(struct vpic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->base = v & VECTOR_MASK;
		c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
		break;
	case 3:
		c->icw3 = v;
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & ICW4_AEOI;
		c->sfnm = v & ICW4_SFNM;
		c->init_step = 0;
		break;
	default:
		c->imr = v;
		break;
	}
}

/* The poll command: an INTA without the vector, on this chip alone. */
static uint8_t read_poll(struct vpic *p, unsigned chip)
{
	int irq = chip_pending(p, chip);

	p->chip[chip].poll = false;
	if (irq < 0)
		return 0;
	grant(&p->chip[chip], (unsigned)irq);
	return (uint8_t)(POLL_INT | irq);
}

static uint8_t read_cmd(struct vpic *p, unsigned chip)
{
	const struct vpic_chip *c = &p->chip[chip];

	if (c->poll)
		return read_poll(p, chip);
	return c->read_isr ? c->isr : requests(p, chip);
}

/* ---------------------------------------------------------------- I/O */

static uint8_t read_byte(struct vpic *p, unsigned range, unsigned reg)
{
	if (range == ELCR)
		return p->chip[reg].elcr;
	return reg == 0 ? read_cmd(p, range) : p->chip[range].imr;
}

static void write_byte(struct vpic *p, unsigned range, unsigned reg, uint8_t v)
{
	if (range == ELCR)
		p->chip[reg].elcr = v & elcr_mask[reg];
	else if (reg == 0)
		write_cmd(&p->chip[range], v);
	else
		write_data(&p->chip[range], v);
}

/* Wider accesses touch consecutive ports, low byte first; bytes past the
 * range's two ports read all ones and are dropped on writes. */
static int port_access(struct vpic *p, unsigned range, uint64_t off, unsigned size, bool write,
		       uint64_t *val)
{
	uint64_t in = write ? *val : 0;

	if (!write)
		*val = 0;
	spin_lock(&p->lock);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t reg = off + i;
		uint8_t byte = 0xff;

		if (reg < VPIC_PORTS && write)
			write_byte(p, range, (unsigned)reg, (uint8_t)(in >> (8 * i)));
		else if (reg < VPIC_PORTS)
			byte = read_byte(p, range, (unsigned)reg);
		if (!write)
			*val |= (uint64_t)byte << (8 * i);
	}
	unlock_and_notify(p);
	return 0;
}

static int master_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	return port_access(ctx, MASTER, off, size, false, val);
}

static int master_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	return port_access(ctx, MASTER, off, size, true, &val);
}

static int slave_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	return port_access(ctx, SLAVE, off, size, false, val);
}

static int slave_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	return port_access(ctx, SLAVE, off, size, true, &val);
}

static int elcr_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	return port_access(ctx, ELCR, off, size, false, val);
}

static int elcr_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	return port_access(ctx, ELCR, off, size, true, &val);
}

const struct io_ops vpic_master_ops = { master_read, master_write };
const struct io_ops vpic_slave_ops = { slave_read, slave_write };
const struct io_ops vpic_elcr_ops = { elcr_read, elcr_write };

/* ---------------------------------------------------------------- API */

void vpic_init(struct vpic *p, void (*output)(void *ctx, bool level), void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->lock = (spinlock_t)SPINLOCK_INIT;
	chip_reset(&p->chip[MASTER], 0x08, bit(VPIC_CASCADE_IRQ));
	chip_reset(&p->chip[SLAVE], 0x70, VPIC_CASCADE_IRQ);
	p->output = output;
	p->ctx = ctx;
}

void vpic_set_irq(struct vpic *p, unsigned irq, bool level)
{
	struct vpic_chip *c;
	uint8_t b;

	if (irq >= VPIC_NR_IRQS || irq == VPIC_CASCADE_IRQ)
		return;
	c = &p->chip[irq >> 3];
	b = bit(irq);
	spin_lock(&p->lock);
	if (level && !(c->pins & b) && !(c->elcr & b))
		c->irr |= b;
	if (level)
		c->pins |= b;
	else
		c->pins &= (uint8_t)~b;
	unlock_and_notify(p);
}

bool vpic_has_interrupt(struct vpic *p)
{
	bool out;

	spin_lock(&p->lock);
	out = chip_out(p, MASTER);
	spin_unlock(&p->lock);
	return out;
}

/* The master's INTA: the slave answers when the master grants IR2 and
 * IR2 has a slave (ICW1 cascade mode, ICW3 bit 2). */
static uint8_t inta(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
	int irq = chip_out(p, MASTER) ? chip_pending(p, MASTER) : -1;
	int sirq;

	if (irq < 0)
		return (uint8_t)(m->base + 7);
	sirq = (irq == VPIC_CASCADE_IRQ && cascaded(p)) ? chip_pending(p, SLAVE) : -1;
	grant(m, (unsigned)irq);
	if (irq != VPIC_CASCADE_IRQ || !cascaded(p))
		return (uint8_t)(m->base + irq);
	if (sirq < 0)
		return (uint8_t)(s->base + 7);
	grant(s, (unsigned)sirq);
	return (uint8_t)(s->base + sirq);
}

int vpic_ack(struct vpic *p)
{
	uint8_t vector;

	spin_lock(&p->lock);
	vector = inta(p);
	unlock_and_notify(p);
	return vector;
}
