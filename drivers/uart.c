/*
 * 16550-compatible UART, polled (PC16550D datasheet register map). Output
 * waits for the transmit holding register; input is polled by the shell.
 */
#include "arch/cpu.h"
#include "drivers/uart.h"
#include "kernel/klib.h"

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
#define FCR_TRIG_14	0xc0
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR		0x01	/* data ready */
#define LSR_THRE	0x20	/* transmit holding register empty */
#define UART_CLOCK	115200	/* divisor base: 1.8432 MHz / 16 */
#define TX_SPIN_MAX	1000000	/* give up on a stuck transmitter */

static uint16_t uart_port;
static bool uart_ok;

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
	outb(port + UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIG_14);
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
		if (inb(uart_port + UART_LSR) & LSR_THRE)
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

int uart_getc(void)
{
	if (!uart_ok || !(inb(uart_port + UART_LSR) & LSR_DR))
		return -1;
	return inb(uart_port + UART_RBR);
}
