/*
 * Guest 16550A UART model (see vuart.h). A guest controls every register
 * write; nothing here trusts a value beyond masking it to the register's
 * width.
 */
#include "kernel/errno.h"
#include "vmm/vuart.h"

enum {				/* register offsets from the base port */
	REG_DATA = 0,		/* RBR / THR, or DLL with DLAB */
	REG_IER = 1,		/* or DLM with DLAB */
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RX_AVAIL	0x01
#define IER_THR_EMPTY	0x02
#define IER_MASK	0x0f
#define IIR_NO_INT	0x01
#define IIR_THR_EMPTY	0x02
#define IIR_RX_AVAIL	0x04
#define IIR_FIFO_ON	0xc0
#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

void con_ring_write(struct con_ring *r, const uint8_t *data, size_t len)
{
	spin_lock(&r->lock);
	for (size_t i = 0; i < len; i++)
		r->buf[(r->head + i) % CON_RING_SIZE] = data[i];
	r->head += len;
	spin_unlock(&r->lock);
}

uint64_t con_ring_oldest(struct con_ring *r)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	return head > CON_RING_SIZE ? head - CON_RING_SIZE : 0;
}

size_t con_ring_read(struct con_ring *r, uint64_t *pos, uint8_t *out, size_t max,
		     uint64_t *lost)
{
	size_t n = 0;

	spin_lock(&r->lock);
	if (lost)
		*lost = 0;
	if (r->head - *pos > CON_RING_SIZE || *pos > r->head) {
		uint64_t oldest = r->head > CON_RING_SIZE ? r->head - CON_RING_SIZE : 0;

		if (lost && *pos < oldest)
			*lost = oldest - *pos;
		*pos = oldest;
	}
	while (n < max && *pos < r->head)
		out[n++] = r->buf[(*pos)++ % CON_RING_SIZE];
	spin_unlock(&r->lock);
	return n;
}

static uint32_t rx_count(const struct vuart *u)
{
	return u->rx_head - u->rx_tail;
}

static size_t rx_push(struct vuart *u, const uint8_t *data, size_t len)
{
	size_t n = 0;

	spin_lock(&u->rx_lock);
	while (n < len && rx_count(u) < VUART_RX_SIZE)
		u->rx[u->rx_head++ % VUART_RX_SIZE] = data[n++];
	spin_unlock(&u->rx_lock);
	return n;
}

static uint8_t rx_pop(struct vuart *u)
{
	uint8_t c = 0;

	spin_lock(&u->rx_lock);
	if (rx_count(u))
		c = u->rx[u->rx_tail++ % VUART_RX_SIZE];
	spin_unlock(&u->rx_lock);
	return c;
}

void vuart_init(struct vuart *u)
{
	memset(u, 0, sizeof(*u));
	u->thre_pending = true;
}

/* Other CPUs may be reading the history (an attached console) while an
 * on_*=restart starts the next run: reset under the locks, never zero them. */
void vuart_reset(struct vuart *u)
{
	spin_lock(&u->out.lock);
	u->out.head = 0;
	spin_unlock(&u->out.lock);
	spin_lock(&u->rx_lock);
	u->rx_head = u->rx_tail = 0;
	spin_unlock(&u->rx_lock);
	u->ier = u->lcr = u->mcr = u->scr = u->dll = u->dlm = u->fcr = 0;
	u->thre_pending = true;
}

size_t vuart_receive(struct vuart *u, const uint8_t *data, size_t len)
{
	return rx_push(u, data, len);
}

bool vuart_irq_pending(struct vuart *u)
{
	if (!(u->mcr & MCR_OUT2))
		return false;	/* OUT2 gates the interrupt line on PCs */
	return ((u->ier & IER_RX_AVAIL) && rx_count(u)) ||
	       ((u->ier & IER_THR_EMPTY) && u->thre_pending);
}

static uint8_t read_iir(struct vuart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0;

	if ((u->ier & IER_RX_AVAIL) && rx_count(u))
		return fifo | IIR_RX_AVAIL;
	if ((u->ier & IER_THR_EMPTY) && u->thre_pending) {
		u->thre_pending = false;	/* reading IIR clears it */
		return fifo | IIR_THR_EMPTY;
	}
	return fifo | IIR_NO_INT;
}

/* In loopback the modem outputs come back as the modem inputs. */
static uint8_t read_msr(const struct vuart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return (uint8_t)(((u->mcr & MCR_DTR) ? MSR_DSR : 0) | ((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
			 ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0));
}

static uint8_t read_reg(struct vuart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		return dlab ? u->dll : rx_pop(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR:
		return read_iir(u);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return (uint8_t)(LSR_THRE | LSR_TEMT | (rx_count(u) ? LSR_DR : 0));
	case REG_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void transmit(struct vuart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		rx_push(u, &c, 1);
	else
		con_ring_write(&u->out, &c, 1);
	u->thre_pending = true;
}

static void write_reg(struct vuart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			u->dll = v;
		else
			transmit(u, v);
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			u->ier = v & IER_MASK;
			u->thre_pending = true;	/* enabling THRE raises it at once */
		}
		break;
	case REG_IIR_FCR:
		u->fcr = v & FCR_ENABLE;
		if (v & FCR_CLEAR_RX) {
			spin_lock(&u->rx_lock);
			u->rx_tail = u->rx_head;
			spin_unlock(&u->rx_lock);
		}
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & MCR_MASK;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break;		/* LSR and MSR are read-only */
	}
}

/* Wider accesses touch consecutive registers, byte by byte, as on ISA. */
static int vuart_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)read_reg(ctx, (unsigned)(off + i) % VUART_PORTS) << (8 * i);
	return 0;
}

static int vuart_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size; i++)
		write_reg(ctx, (unsigned)(off + i) % VUART_PORTS, (uint8_t)(val >> (8 * i)));
	return 0;
}

const struct io_ops vuart_ops = { vuart_read, vuart_write };
