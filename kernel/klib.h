/*
 * The small C library Keel's code may use. Code with no hardware in it
 * includes only this (plus <stdint.h>, <stddef.h>, <stdbool.h>, <stdarg.h>)
 * so that it builds both freestanding, against kernel/klib.c, and hosted
 * (-DKEEL_HOSTED), against the host's libc, for unit tests.
 */
#ifndef KEEL_KLIB_H
#define KEEL_KLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef KEEL_HOSTED
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

/* Keel's own formatter (kernel/printf.c): %d %i %u %x %X %p %s %c %%,
 * flags '-' and '0', a field width (or '*'), a precision for %s,
 * length modifiers l, ll, z. Always NUL-terminates when size > 0;
 * returns the length the full output would have had. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parse an unsigned decimal or 0x-prefixed hex number; the whole string must
 * be consumed. Returns 0 or -E_INVAL / -E_RANGE. */
int kstrtou64(const char *s, uint64_t *out);

/* 0-15 for a hexadecimal digit (either case), else -1. */
int hex_digit_value(char c);

/* Clear memory holding secrets; the volatile stores are never dropped as
 * dead, unlike a memset before the buffer goes out of scope. */
static inline void memzero_explicit(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB (1024UL)
#define MiB (1024UL * KiB)
#define GiB (1024UL * MiB)
#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12

#endif
