/*
 * The guest's 16550A UART (one per domain, at I/O port 0x3F8) and the
 * console history behind it. What the guest transmits goes into a ring of
 * CON_RING_SIZE bytes that `console NAME` replays and follows; what the
 * operator types goes into the receive FIFO.
 *
 * Registers as in the PC16550D data sheet: RBR/THR, IER, IIR/FCR, LCR, MCR,
 * LSR, MSR, SCR, and the divisor latch when LCR.DLAB is set. Loopback
 * (MCR bit 4) is modelled because drivers probe with it. Interrupts need a
 * platform interrupt controller; vuart_irq_pending() says whether the
 * UART would assert its line.
 *
 * Built hosted too (tests/unit/test_vuart.c).
 */
#ifndef KEEL_VMM_VUART_H
#define KEEL_VMM_VUART_H

#include "kernel/klib.h"
#include "kernel/spinlock.h"
#include "vmm/iospace.h"

#define VUART_PORT		0x3f8
#define VUART_PORTS		8
#define CON_RING_SIZE		(64 * 1024)
#define VUART_RX_SIZE		256

/* Output history: 'head' counts every byte ever written, so a reader's
 * position tells how much it missed when it falls behind. */
struct con_ring {
	spinlock_t lock;
	uint64_t head;
	uint8_t buf[CON_RING_SIZE];
};

struct vuart {
	struct con_ring out;
	spinlock_t rx_lock;
	uint8_t rx[VUART_RX_SIZE];
	uint32_t rx_head, rx_tail;	/* free-running indexes */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;		/* THR-empty interrupt not yet seen in IIR */
};

extern const struct io_ops vuart_ops;

void vuart_init(struct vuart *u);
/* Forget the output history (a new run of the domain starts clean). */
void vuart_reset(struct vuart *u);
/* Queue received bytes (from the operator); returns how many fit. */
size_t vuart_receive(struct vuart *u, const uint8_t *data, size_t len);
bool vuart_irq_pending(struct vuart *u);

void con_ring_write(struct con_ring *r, const uint8_t *data, size_t len);
/* Copy up to 'max' bytes from *pos on and advance *pos. A reader more than
 * CON_RING_SIZE behind skips to the oldest byte still held; *lost (may be
 * NULL) says how many it missed. */
size_t con_ring_read(struct con_ring *r, uint64_t *pos, uint8_t *out, size_t max,
		     uint64_t *lost);
/* The position of the oldest byte still held. */
uint64_t con_ring_oldest(struct con_ring *r);

#endif
