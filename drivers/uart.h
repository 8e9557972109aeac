/* 16550 UART driver: the serial console (COM1, 115200 8N1). */
#ifndef KEEL_DRIVERS_UART_H
#define KEEL_DRIVERS_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT 0x3f8
#define COM1_IRQ 4	/* ISA IRQ */

void uart_init(uint16_t port, uint32_t baud);
void uart_putc(char c);
void uart_write(const char *s, size_t n);
/* Next received byte, or -1 when none is waiting. */
int uart_getc(void);
bool uart_present(void);
/* Take input by interrupt too: enable the UART's receive interrupt; the
 * handler calls uart_rx_interrupt(). */
void uart_enable_rx_interrupt(void);
void uart_rx_interrupt(void);

#endif
