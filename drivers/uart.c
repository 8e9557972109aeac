/*
 * 16550-compatible UART (PC16550D datasheet register map). Output waits
 * for the transmit holding register. Input goes through a software ring:
 * the receive FIFO holds only 16 bytes, so they are moved into the ring by
 * the receive interrupt when the platform can route it (drivers/ioapic.c),
 * while output waits, and whenever the shell polls.
 */
#include "arch/cpu.h"
#include "drivers/uart.h"
#include "kernel/klib.h"
#include "kernel/spinlock.h"

#define UART_RBR	0	/* receive buffer (read, DLAB=0) */
#define UART_THR	0	/* transmit holding (write, DLAB=0) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1	/* interrupt enable (DLAB=0) */
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_FCR	2	/* FIFO control (write) */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_SCR	7	/* scratch */

#define LCR_8N1		0x03
#define LCR_DLAB	0x80
#define FCR_ENABLE	0x01
#define FCR_CLEAR	0x06	/* clear both FIFOs */
#define FCR_TRIG_1	0x00	/* interrupt at the first byte */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR		0x01	/* data ready */
#define IER_RX_AVAIL	0x01	/* interrupt when received data is available */
#define LSR_THRE	0x20	/* transmit holding register empty */
#define UART_CLOCK	115200	/* divisor base: 1.8432 MHz / 16 */
#define TX_SPIN_MAX	1000000	/* give up on a stuck transmitter */

#define RX_RING		1024	/* bytes; a power of 2 */

static uint16_t uart_port;
static bool uart_ok;
static spinlock_t rx_lock = SPINLOCK_INIT;
static uint8_t rx_ring[RX_RING];
static uint32_t rx_head, rx_tail;	/* free-running; under rx_lock */
static uint64_t rx_dropped;

/* Move what the FIFO holds into the ring. A CPU that finds the lock taken
 * leaves the bytes to its holder (this runs on the panic path too). */
static void rx_drain(void)
{
	if (!spin_trylock(&rx_lock))
		return;
	while (inb(uart_port + UART_LSR) & LSR_DR) {
		uint8_t c = inb(uart_port + UART_RBR);

		if (rx_head - rx_tail < RX_RING)
			rx_ring[rx_head++ % RX_RING] = c;
		else
			rx_dropped++;
	}
	spin_unlock(&rx_lock);
}

/* The scratch register holds what was written only if a UART is there. */
static bool probe(uint16_t port)
{
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;
	outb(port + UART_SCR, 0xa5);
	return inb(port + UART_SCR) == 0xa5;
}

void uart_init(uint16_t port, uint32_t baud)
{
	uint16_t div = (uint16_t)(UART_CLOCK / baud);

	uart_port = port;
	uart_ok = probe(port);
	if (!uart_ok)
		return;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, div & 0xff);
	outb(port + UART_DLM, div >> 8);
	outb(port + UART_LCR, LCR_8N1);
	/* The receive interrupt comes at the first byte, not the 14th: the
	 * FIFO then has 15 character times (1.3 ms) of room while a CPU has
	 * interrupts off, for example in a long exit handler. */
	outb(port + UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIG_1);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
}

bool uart_present(void)
{
	return uart_ok;
}

void uart_putc(char c)
{
	if (!uart_ok)
		return;
	for (int i = 0; i < TX_SPIN_MAX; i++) {
		uint8_t lsr = inb(uart_port + UART_LSR);

		if (lsr & LSR_DR)
			rx_drain();
		if (lsr & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(uart_port + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}

/* Receive interrupts (IER bit 0; MCR.OUT2 is already set): the handler
 * moves the FIFO into the ring, so input survives a busy boot CPU. */
void uart_enable_rx_interrupt(void)
{
	if (uart_ok)
		outb(uart_port + UART_IER, IER_RX_AVAIL);
}

void uart_rx_interrupt(void)
{
	if (uart_ok)
		rx_drain();
}

int uart_getc(void)
{
	uint64_t flags;
	int c = -1;

	if (!uart_ok)
		return -1;
	rx_drain();
	flags = spin_lock_irqsave(&rx_lock);	/* the receive interrupt takes it too */
	if (rx_tail != rx_head)
		c = rx_ring[rx_tail++ % RX_RING];
	spin_unlock_irqrestore(&rx_lock, flags);
	return c;
}
