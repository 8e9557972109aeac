/* 16550 UART driver: the serial console (COM1, 115200 8N1). */
#ifndef KEEL_DRIVERS_UART_H
#define KEEL_DRIVERS_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT 0x3f8

void uart_init(uint16_t port, uint32_t baud);
void uart_putc(char c);
void uart_write(const char *s, size_t n);
/* Next received byte, or -1 when none is waiting. */
int uart_getc(void);
bool uart_present(void);

#endif
