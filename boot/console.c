/*
 * Loader messages. Progress goes to COM1 only, written with port I/O so it
 * appears on the serial console whatever the firmware's console is; errors
 * also go to the firmware console so that a user at a screen sees them.
 */
#include "arch/cpu.h"
#include "boot/loader.h"
#include <stdarg.h>

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding register */
#define UART_LSR	5	/* line status register */
#define UART_LSR_THRE	0x20	/* transmitter holding register empty */

static void serial_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
		;
	outb(COM1 + UART_THR, (UINT8)c);
}

static void serial_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s);
	}
}

/* The firmware has set COM1 up already (OVMF does, at 115200 8N1); the
 * kernel programs it again, so the loader leaves its settings alone. */
void con_init(void)
{
}

static void vformat(char *buf, UINTN size, const char *fmt, va_list ap)
{
	/* gnu-efi's formatter works on CHAR16; a tiny ASCII one suffices. */
	UINTN n = 0;

	for (; *fmt && n + 1 < size; fmt++) {
		if (*fmt != '%') {
			buf[n++] = *fmt;
			continue;
		}
		fmt++;
		if (*fmt == 's') {
			const char *s = va_arg(ap, const char *);
			while (s && *s && n + 1 < size)
				buf[n++] = *s++;
		} else if (*fmt == 'x' || *fmt == 'd' || *fmt == 'l') {
			int hex = (*fmt == 'x');
			UINT64 v;
			char tmp[24];
			int k = 0;

			if (*fmt == 'l') {	/* %lx or %lu: 64-bit */
				fmt++;
				hex = (*fmt == 'x');
				v = va_arg(ap, UINT64);
			} else {
				v = va_arg(ap, UINT32);
			}
			do {
				tmp[k++] = "0123456789abcdef"[v % (hex ? 16 : 10)];
				v /= hex ? 16 : 10;
			} while (v);
			while (k && n + 1 < size)
				buf[n++] = tmp[--k];
		} else if (*fmt) {
			buf[n++] = *fmt;
		} else {
			break;
		}
	}
	buf[n] = '\0';
}

void con_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_puts(buf);
}

void con_error(const char *fmt, ...)
{
	char buf[256];
	CHAR16 wbuf[256];
	va_list ap;
	UINTN i;

	va_start(ap, fmt);
	vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	serial_puts("keel-loader: error: ");
	serial_puts(buf);
	for (i = 0; buf[i] && i + 1 < 256; i++)
		wbuf[i] = (CHAR16)(unsigned char)buf[i];
	wbuf[i] = 0;
	Print(L"keel-loader: error: %s", wbuf);
}
