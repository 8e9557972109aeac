/* Unit tests for the guest 16550A UART model and the console history ring
 * (vmm/vuart.c). Register values are the PC16550D data sheet's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/vuart.h"
#include "tests/unit/test_rng.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4,
       LSR = 5, MSR = 6, SCR = 7 };

#define LSR_IDLE	0x60	/* THRE | TEMT: the transmitter is always empty */
#define LSR_DR		0x01
#define IIR_NONE	0x01
#define IIR_THRE	0x02
#define IIR_RDA		0x04
#define IIR_FIFOS	0xc0
#define IER_RDA		0x01
#define IER_THRE	0x02
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

static int setup(void **state)
{
	struct vuart *u = malloc(sizeof(*u));	/* 64 KiB of ring: not on the stack */

	vuart_init(u);
	*state = u;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint64_t in(struct vuart *u, unsigned reg, unsigned size)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vuart_ops.read(u, reg, size, &v), 0);
	return v;
}

static uint8_t inb(struct vuart *u, unsigned reg)
{
	return (uint8_t)in(u, reg, 1);
}

static void out(struct vuart *u, unsigned reg, unsigned size, uint64_t v)
{
	assert_int_equal(vuart_ops.write(u, reg, size, v), 0);
}

static void outb(struct vuart *u, unsigned reg, uint8_t v)
{
	out(u, reg, 1, v);
}

/* Everything in the history from position 0, as a string. */
static const char *history(struct vuart *u, char *buf, size_t size)
{
	uint64_t pos = 0;
	size_t n = con_ring_read(&u->out, &pos, (uint8_t *)buf, size - 1, NULL);

	buf[n] = '\0';
	return buf;
}

static void test_thr_writes_go_to_ring(void **state)
{
	struct vuart *u = *state;
	char buf[64];

	assert_int_equal(inb(u, LSR), LSR_IDLE);
	outb(u, THR, 'o');
	outb(u, THR, 'k');
	outb(u, THR, '\n');
	assert_string_equal(history(u, buf, sizeof(buf)), "ok\n");
	assert_int_equal(u->out.head, 3);
	assert_int_equal(inb(u, LSR), LSR_IDLE);
	assert_int_equal(inb(u, RBR), 0);	/* nothing received */

	vuart_reset(u);
	assert_string_equal(history(u, buf, sizeof(buf)), "");
}

static void test_rx_in_order_and_lsr(void **state)
{
	struct vuart *u = *state;

	assert_int_equal(vuart_receive(u, (const uint8_t *)"abc", 3), 3);
	assert_int_equal(inb(u, LSR), LSR_IDLE | LSR_DR);
	assert_int_equal(inb(u, RBR), 'a');
	assert_int_equal(inb(u, RBR), 'b');
	assert_int_equal(inb(u, LSR), LSR_IDLE | LSR_DR);
	assert_int_equal(inb(u, RBR), 'c');
	assert_int_equal(inb(u, LSR), LSR_IDLE);
	assert_int_equal(inb(u, RBR), 0);
	assert_int_equal(inb(u, LSR), LSR_IDLE);
}

static void test_rx_fifo_capacity(void **state)
{
	struct vuart *u = *state;
	uint8_t data[VUART_RX_SIZE + 44];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(vuart_receive(u, data, sizeof(data)), VUART_RX_SIZE);
	assert_int_equal(vuart_receive(u, data, 1), 0);
	assert_int_equal(inb(u, RBR), data[0]);
	/* One slot free again; the byte lands after the others. */
	assert_int_equal(vuart_receive(u, (const uint8_t *)"Z", 1), 1);
	for (size_t i = 1; i < VUART_RX_SIZE; i++)
		assert_int_equal(inb(u, RBR), data[i]);
	assert_int_equal(inb(u, RBR), 'Z');
	assert_int_equal(inb(u, LSR), LSR_IDLE);
	assert_int_equal(vuart_receive(u, data, 0), 0);
}

static void test_divisor_latch(void **state)
{
	struct vuart *u = *state;
	char buf[16];

	outb(u, IER, IER_RDA);
	outb(u, LCR, LCR_DLAB | LCR_8N1);
	outb(u, DLL, 0x0c);		/* 9600 baud */
	outb(u, DLM, 0x00);
	assert_int_equal(inb(u, DLL), 0x0c);
	assert_int_equal(inb(u, DLM), 0x00);
	outb(u, DLM, 0x81);
	assert_int_equal(inb(u, DLM), 0x81);
	assert_string_equal(history(u, buf, sizeof(buf)), "");	/* not transmitted */
	/* With DLAB set, RBR is not read: received data stays queued. */
	vuart_receive(u, (const uint8_t *)"r", 1);
	assert_int_equal(inb(u, DLL), 0x0c);
	assert_int_equal(inb(u, LCR), LCR_DLAB | LCR_8N1);

	outb(u, LCR, LCR_8N1);
	assert_int_equal(inb(u, IER), IER_RDA);	/* untouched by the DLM writes */
	assert_int_equal(inb(u, RBR), 'r');
	outb(u, THR, 'x');
	assert_string_equal(history(u, buf, sizeof(buf)), "x");
	assert_int_equal(u->dll, 0x0c);
	assert_int_equal(u->dlm, 0x81);
}

static void test_ier_masked(void **state)
{
	struct vuart *u = *state;

	outb(u, IER, 0xff);
	assert_int_equal(inb(u, IER), 0x0f);
	outb(u, MCR, 0xff);
	assert_int_equal(inb(u, MCR), 0x1f);
	outb(u, SCR, 0x5a);
	assert_int_equal(inb(u, SCR), 0x5a);
	/* LSR and MSR are read-only. */
	outb(u, LSR, 0);
	outb(u, MSR, 0);
	outb(u, MCR, 0);
	assert_int_equal(inb(u, LSR), LSR_IDLE);
	assert_int_equal(inb(u, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
}

static void test_iir_priority_and_thre(void **state)
{
	struct vuart *u = *state;

	assert_int_equal(inb(u, IIR), IIR_NONE);	/* nothing enabled */
	outb(u, IER, IER_THRE);
	assert_int_equal(inb(u, IIR), IIR_THRE);
	assert_int_equal(inb(u, IIR), IIR_NONE);	/* reading IIR cleared it */
	outb(u, THR, 'a');
	assert_int_equal(inb(u, IIR), IIR_THRE);	/* THR empty again */
	assert_int_equal(inb(u, IIR), IIR_NONE);

	outb(u, IER, IER_RDA | IER_THRE);		/* re-raises THRE */
	vuart_receive(u, (const uint8_t *)"12", 2);
	assert_int_equal(inb(u, IIR), IIR_RDA);	/* received data first */
	assert_int_equal(inb(u, IIR), IIR_RDA);	/* ... and THRE still waits */
	inb(u, RBR);
	inb(u, RBR);
	assert_int_equal(inb(u, IIR), IIR_THRE);
	assert_int_equal(inb(u, IIR), IIR_NONE);

	/* RX data with only THRE enabled does not show. */
	outb(u, IER, IER_THRE);
	inb(u, IIR);
	vuart_receive(u, (const uint8_t *)"3", 1);
	assert_int_equal(inb(u, IIR), IIR_NONE);

	outb(u, FCR, 0x01);				/* FIFOs on */
	assert_int_equal(inb(u, IIR), IIR_FIFOS | IIR_NONE);
	outb(u, IER, IER_RDA);
	assert_int_equal(inb(u, IIR), IIR_FIFOS | IIR_RDA);
}

static void test_fcr_clears_rx(void **state)
{
	struct vuart *u = *state;

	vuart_receive(u, (const uint8_t *)"xyz", 3);
	outb(u, FCR, 0x01);		/* enable without clearing */
	assert_int_equal(inb(u, LSR), LSR_IDLE | LSR_DR);
	outb(u, FCR, 0x03);
	assert_int_equal(inb(u, LSR), LSR_IDLE);
	assert_int_equal(inb(u, RBR), 0);
	vuart_receive(u, (const uint8_t *)"n", 1);
	assert_int_equal(inb(u, RBR), 'n');
}

static void test_loopback(void **state)
{
	struct vuart *u = *state;
	char buf[16];

	outb(u, MCR, MCR_LOOP);
	outb(u, THR, 'Q');
	outb(u, THR, 'R');
	assert_string_equal(history(u, buf, sizeof(buf)), "");
	assert_int_equal(inb(u, LSR), LSR_IDLE | LSR_DR);
	assert_int_equal(inb(u, RBR), 'Q');
	assert_int_equal(inb(u, RBR), 'R');
	assert_int_equal(inb(u, LSR), LSR_IDLE);

	assert_int_equal(inb(u, MSR), 0);
	outb(u, MCR, MCR_LOOP | MCR_DTR);
	assert_int_equal(inb(u, MSR), MSR_DSR);
	outb(u, MCR, MCR_LOOP | MCR_RTS);
	assert_int_equal(inb(u, MSR), MSR_CTS);
	outb(u, MCR, MCR_LOOP | MCR_OUT1);
	assert_int_equal(inb(u, MSR), MSR_RI);
	outb(u, MCR, MCR_LOOP | MCR_OUT2);
	assert_int_equal(inb(u, MSR), MSR_DCD);
	outb(u, MCR, MCR_LOOP | MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2);
	assert_int_equal(inb(u, MSR), MSR_DSR | MSR_CTS | MSR_RI | MSR_DCD);

	outb(u, MCR, MCR_DTR | MCR_RTS);	/* loopback off: output again */
	assert_int_equal(inb(u, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
	outb(u, THR, 'S');
	assert_string_equal(history(u, buf, sizeof(buf)), "S");
	assert_int_equal(inb(u, LSR), LSR_IDLE);
}

static void test_wide_accesses(void **state)
{
	struct vuart *u = *state;
	char buf[16];

	outb(u, LCR, LCR_DLAB);
	out(u, DLL, 2, 0x1234);
	assert_int_equal(u->dll, 0x34);
	assert_int_equal(u->dlm, 0x12);
	assert_int_equal(in(u, DLL, 2), 0x1234);
	outb(u, LCR, LCR_8N1);

	outb(u, SCR, 0xa5);
	outb(u, MCR, MCR_OUT2);
	/* MCR, LSR, MSR, SCR in one 4-byte read. */
	assert_int_equal(in(u, MCR, 4), 0xa5b06008);
	/* Offsets past the last register wrap around to the first. */
	vuart_receive(u, (const uint8_t *)"w", 1);
	assert_int_equal(in(u, SCR, 2), ('w' << 8) | 0xa5);
	/* A 2-byte write at THR transmits one byte and sets IER. */
	out(u, THR, 2, 0x0241);
	assert_string_equal(history(u, buf, sizeof(buf)), "A");
	assert_int_equal(inb(u, IER), IER_THRE);
	/* An 8-byte write covers every register once. */
	out(u, 0, 8, 0x7700000003000042ULL);
	assert_string_equal(history(u, buf, sizeof(buf)), "AB");
	assert_int_equal(inb(u, LCR), LCR_8N1);
	assert_int_equal(inb(u, SCR), 0x77);
}

static void test_irq_pending_gated_by_out2(void **state)
{
	struct vuart *u = *state;

	assert_false(vuart_irq_pending(u));
	outb(u, IER, IER_RDA);
	vuart_receive(u, (const uint8_t *)"k", 1);
	assert_false(vuart_irq_pending(u));	/* OUT2 clear: line not driven */
	outb(u, MCR, MCR_OUT2);
	assert_true(vuart_irq_pending(u));
	inb(u, RBR);
	assert_false(vuart_irq_pending(u));

	outb(u, IER, IER_THRE);
	assert_true(vuart_irq_pending(u));
	assert_int_equal(inb(u, IIR), IIR_THRE);
	assert_false(vuart_irq_pending(u));
	outb(u, THR, '.');
	assert_true(vuart_irq_pending(u));
	outb(u, MCR, 0);
	assert_false(vuart_irq_pending(u));
	outb(u, MCR, MCR_OUT2);
	outb(u, IER, 0);
	assert_false(vuart_irq_pending(u));
}

/* Byte i of the history is pattern(i): a wrong offset shows. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i % 251);
}

static void fill_ring(struct con_ring *r, uint64_t n)
{
	uint8_t chunk[4096];

	for (uint64_t done = 0; done < n;) {
		size_t len = (size_t)MIN(n - done, sizeof(chunk));

		for (size_t i = 0; i < len; i++)
			chunk[i] = pattern(r->head + i);
		con_ring_write(r, chunk, len);
		done += len;
	}
}

static void check_read(struct con_ring *r, uint64_t *pos, size_t max, size_t want_n,
		       uint64_t want_lost)
{
	static uint8_t buf[CON_RING_SIZE + 16];
	uint64_t lost = 12345, start;
	size_t n;

	n = con_ring_read(r, pos, buf, max, &lost);
	assert_int_equal(n, want_n);
	assert_int_equal(lost, want_lost);
	start = *pos - n;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], pattern(start + i));
}

static void test_ring_reader_behind(void **state)
{
	struct vuart *u = *state;
	struct con_ring *r = &u->out;
	uint64_t pos = 0;

	fill_ring(r, 100);
	assert_int_equal(con_ring_oldest(r), 0);
	check_read(r, &pos, 30, 30, 0);
	assert_int_equal(pos, 30);
	check_read(r, &pos, 1000, 70, 0);
	assert_int_equal(pos, 100);
	check_read(r, &pos, 1000, 0, 0);		/* caught up */

	/* Exactly CON_RING_SIZE behind: everything is still there. */
	fill_ring(r, CON_RING_SIZE);
	assert_int_equal(con_ring_oldest(r), 100);
	check_read(r, &pos, 10, 10, 0);
	assert_int_equal(pos, 110);

	/* More than CON_RING_SIZE behind: skip to the oldest byte held. */
	fill_ring(r, CON_RING_SIZE + 500);
	assert_int_equal(r->head, 100 + 2 * CON_RING_SIZE + 500);
	assert_int_equal(con_ring_oldest(r), 100 + CON_RING_SIZE + 500);
	check_read(r, &pos, 5, 5, CON_RING_SIZE + 490);
	assert_int_equal(pos, con_ring_oldest(r) + 5);
	check_read(r, &pos, CON_RING_SIZE + 16, CON_RING_SIZE - 5, 0);
	assert_int_equal(pos, r->head);

	/* lost may be NULL. */
	pos = 0;
	{
		uint8_t c;

		assert_int_equal(con_ring_read(r, &pos, &c, 1, NULL), 1);
		assert_int_equal(c, pattern(con_ring_oldest(r)));
	}
}

/* A position past the head (e.g. from before vuart_reset) restarts at the
 * oldest byte; nothing counts as lost. */
static void test_ring_reader_ahead(void **state)
{
	struct vuart *u = *state;
	uint64_t pos = 5000;

	fill_ring(&u->out, 10);
	check_read(&u->out, &pos, 100, 10, 0);
	assert_int_equal(pos, 10);
}

/* Whatever a guest writes, in any order and width, the model stays sane. */
static void test_hostile_register_writes(void **state)
{
	struct vuart *u = *state;

	for (unsigned n = 0; n < 100000; n++) {
		unsigned size = 1u << rng_below(4);
		unsigned reg = (unsigned)rng_below(VUART_PORTS);

		if (rng_below(2))
			out(u, reg, size, rng());
		else
			in(u, reg, size);
		if (!rng_below(64))
			vuart_receive(u, (const uint8_t *)"abcdefgh", (size_t)rng_below(9));
		assert_true(u->rx_head - u->rx_tail <= VUART_RX_SIZE);
		assert_int_equal(u->ier & ~0x0f, 0);
		assert_int_equal(u->mcr & ~0x1f, 0);
		assert_int_equal(inb(u, LSR) & LSR_IDLE, LSR_IDLE);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_thr_writes_go_to_ring),
		T(test_rx_in_order_and_lsr),
		T(test_rx_fifo_capacity),
		T(test_divisor_latch),
		T(test_ier_masked),
		T(test_iir_priority_and_thre),
		T(test_fcr_clears_rx),
		T(test_loopback),
		T(test_wide_accesses),
		T(test_irq_pending_gated_by_out2),
		T(test_ring_reader_behind),
		T(test_ring_reader_ahead),
		T(test_hostile_register_writes),
	};
#undef T

	return cmocka_run_group_tests_name("vuart", tests, NULL, NULL);
}
