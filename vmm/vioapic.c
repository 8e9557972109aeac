/*
 * Guest I/O APIC model (see vioapic.h). Register layout and entry format:
 * Intel 82093AA I/O APIC data sheet, sections 3.0-3.2.4 (IOREGSEL, IOWIN,
 * IOAPICID, IOAPICVER, IOAPICARB, IOREDTBL). Everything a guest writes is
 * masked to the register's writable bits; register indices are
 * bounds-checked before they touch the table.
 *
 * Interrupt messages are collected under the lock and handed to deliver()
 * after it is released, so deliver() may call back into this model.
 */
#include "kernel/errno.h"
#include "vmm/vioapic.h"

/* MMIO offsets (82093AA 3.1). */
#define MMIO_IOREGSEL	0x00u
#define MMIO_IOWIN	0x10u
#define MMIO_REG_SIZE	4u

/* Register indices behind IOWIN (82093AA 3.2). */
#define REG_ID		0x00u
#define REG_VERSION	0x01u
#define REG_ARB		0x02u
#define REG_REDIR_FIRST	0x10u
#define REG_REDIR_LAST	(REG_REDIR_FIRST + 2 * VIOAPIC_PINS - 1)

/* IOAPICID: the 82093AA has a 4-bit ID in bits 27:24. Keel's MADT hands
 * out 8-bit ids (one above the last CPU, up to 254), so all of bits 31:24
 * are kept, or a guest with 16 or more vCPUs would read back another id. */
#define ID_SHIFT	24
/* IOAPICVER: version 0x11, maximum redirection entry in bits 23:16. */
#define VERSION_VALUE	(0x11u | ((VIOAPIC_PINS - 1) << 16))

/* Redirection table entry (82093AA 3.2.4). */
#define RTE_VECTOR_MASK	0xffull
#define RTE_DM_SHIFT	8
#define RTE_DM_MASK	(7ull << RTE_DM_SHIFT)
#define RTE_DEST_LOGICAL (1ull << 11)
#define RTE_DELIVS	(1ull << 12)	/* send pending: never, sends are immediate */
#define RTE_ACTIVE_LOW	(1ull << 13)
#define RTE_REMOTE_IRR	(1ull << 14)
#define RTE_LEVEL	(1ull << 15)
#define RTE_MASKED	(1ull << 16)
#define RTE_DEST_SHIFT	56
#define RTE_DEST_MASK	(0xffull << RTE_DEST_SHIFT)
/* Guest-writable bits; Delivery Status and Remote IRR are read-only and
 * the rest is reserved (reads 0). */
#define RTE_WRITABLE	(RTE_VECTOR_MASK | RTE_DM_MASK | RTE_DEST_LOGICAL | RTE_ACTIVE_LOW | \
			 RTE_LEVEL | RTE_MASKED | RTE_DEST_MASK)
#define DWORD_MASK	0xffffffffull

/* Delivery modes 3 and 6 are reserved: such an entry sends nothing. */
static const bool dm_valid[8] = {
	[IOAPIC_DM_FIXED] = true, [IOAPIC_DM_LOWEST] = true, [IOAPIC_DM_SMI] = true,
	[IOAPIC_DM_NMI] = true,   [IOAPIC_DM_INIT] = true,   [IOAPIC_DM_EXTINT] = true,
};

/* Messages gathered under the lock; one per pin at most per call. */
struct outbox {
	struct ioapic_msg msg[VIOAPIC_PINS];
	unsigned n;
};

static bool pin_asserted(const struct vioapic *io, unsigned pin)
{
	bool high = (io->pin_high >> pin) & 1;

	return high != !!(io->redir[pin] & RTE_ACTIVE_LOW);
}

static void post(struct vioapic *io, unsigned pin, struct outbox *out)
{
	uint64_t e = io->redir[pin];
	unsigned dm = (unsigned)((e & RTE_DM_MASK) >> RTE_DM_SHIFT);

	if (!dm_valid[dm] || out->n >= VIOAPIC_PINS)
		return;
	if (e & RTE_LEVEL)
		io->redir[pin] |= RTE_REMOTE_IRR;
	out->msg[out->n++] = (struct ioapic_msg){
		.vector = (uint8_t)(e & RTE_VECTOR_MASK),
		.delivery_mode = (uint8_t)dm,
		.logical = e & RTE_DEST_LOGICAL,
		.dest = (uint8_t)(e >> RTE_DEST_SHIFT),
		.level_trigger = e & RTE_LEVEL,
	};
}

/* A level-triggered pin sends while asserted, unmasked and not waiting
 * for its EOI. */
static void level_check(struct vioapic *io, unsigned pin, struct outbox *out)
{
	uint64_t e = io->redir[pin];

	if ((e & RTE_LEVEL) && !(e & (RTE_MASKED | RTE_REMOTE_IRR)) && pin_asserted(io, pin))
		post(io, pin, out);
}

static void unlock_and_send(struct vioapic *io, const struct outbox *out)
{
	spin_unlock(&io->lock);
	for (unsigned i = 0; i < out->n; i++)
		io->deliver(io->ctx, &out->msg[i]);
}

void vioapic_init(struct vioapic *io, uint8_t id,
		  void (*deliver)(void *ctx, const struct ioapic_msg *m), void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->id = id;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		io->redir[pin] = RTE_MASKED;
	io->deliver = deliver;
	io->ctx = ctx;
}

void vioapic_set_irq(struct vioapic *io, unsigned pin, bool level)
{
	struct outbox out = { .n = 0 };
	bool was;

	if (pin >= VIOAPIC_PINS)
		return;
	spin_lock(&io->lock);
	was = pin_asserted(io, pin);
	io->pin_high = level ? io->pin_high | (1u << pin) : io->pin_high & ~(1u << pin);
	if (io->redir[pin] & RTE_LEVEL)
		level_check(io, pin, &out);
	else if (!was && pin_asserted(io, pin) && !(io->redir[pin] & RTE_MASKED))
		post(io, pin, &out);
	unlock_and_send(io, &out);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	struct outbox out = { .n = 0 };

	spin_lock(&io->lock);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = io->redir[pin];

		if (!(e & RTE_LEVEL) || !(e & RTE_REMOTE_IRR) ||
		    (e & RTE_VECTOR_MASK) != vector)
			continue;
		io->redir[pin] &= ~RTE_REMOTE_IRR;
		level_check(io, pin, &out);
	}
	unlock_and_send(io, &out);
}

/* ------------------------------------------------------------ registers */

/* Register index 0x10 + 2n is entry n's low dword, 0x11 + 2n its high. */
static unsigned redir_pin(unsigned reg)
{
	return (reg - REG_REDIR_FIRST) / 2;
}

static uint32_t read_reg(const struct vioapic *io, unsigned reg)
{
	switch (reg) {
	case REG_ID:
		return (uint32_t)io->id << ID_SHIFT;
	case REG_VERSION:
		return VERSION_VALUE;
	case REG_ARB:
		return (uint32_t)io->id << ID_SHIFT;
	case REG_REDIR_FIRST ... REG_REDIR_LAST:
		return (uint32_t)(io->redir[redir_pin(reg)] >> ((reg & 1) ? 32 : 0));
	default:
		return 0;	/* unimplemented index */
	}
}

/*
 * Switching an entry to edge clears Remote IRR: the 82093AA leaves the bit
 * undefined for edge entries, and guests without an EOI register (Linux)
 * clear a stuck bit by flipping the entry to edge and back.
 */
static void write_redir(struct vioapic *io, unsigned reg, uint32_t val, struct outbox *out)
{
	unsigned pin = redir_pin(reg);
	uint64_t e = io->redir[pin];
	uint64_t half = (reg & 1) ? (uint64_t)val << 32 : val;
	uint64_t mask = ((reg & 1) ? DWORD_MASK << 32 : DWORD_MASK) & RTE_WRITABLE;

	e = (e & ~mask) | (half & mask);
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redir[pin] = e;
	level_check(io, pin, out);	/* unmasking an asserted level pin sends */
}

static void write_reg(struct vioapic *io, unsigned reg, uint32_t val, struct outbox *out)
{
	switch (reg) {
	case REG_ID:
		io->id = (uint8_t)(val >> ID_SHIFT);
		break;
	case REG_REDIR_FIRST ... REG_REDIR_LAST:
		write_redir(io, reg, val, out);
		break;
	default:
		break;	/* version, arbitration: read-only; others: none */
	}
}

static int vioapic_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct vioapic *io = ctx;

	*val = 0;
	if (size != MMIO_REG_SIZE)
		return 0;
	spin_lock(&io->lock);
	if (off == MMIO_IOREGSEL)
		*val = io->regsel;
	else if (off == MMIO_IOWIN)
		*val = read_reg(io, io->regsel);
	spin_unlock(&io->lock);
	return 0;
}

static int vioapic_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct vioapic *io = ctx;
	struct outbox out = { .n = 0 };

	if (size != MMIO_REG_SIZE)
		return 0;
	spin_lock(&io->lock);
	if (off == MMIO_IOREGSEL)
		io->regsel = (uint8_t)val;	/* bits 7:0; the rest is reserved */
	else if (off == MMIO_IOWIN)
		write_reg(io, io->regsel, (uint32_t)val, &out);
	unlock_and_send(io, &out);
	return 0;
}

const struct io_ops vioapic_ops = { vioapic_read, vioapic_write };
