/*
 * The kernel log. printk() formats a message, stamps it with the time since
 * boot, writes it to the serial console and keeps it in a ring buffer that
 * `dmesg` prints. The ring buffer itself (struct logbuf) is pure code.
 */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include "kernel/klib.h"

struct logbuf {
	char *buf;
	size_t size;
	uint64_t head;	/* bytes ever written; buf[head % size] is next */
};

void logbuf_init(struct logbuf *lb, char *mem, size_t size);
void logbuf_write(struct logbuf *lb, const char *s, size_t n);
/* Copy out up to max bytes starting at *pos (a byte count since boot),
 * skipping what was overwritten; advances *pos. Returns bytes copied. */
size_t logbuf_read(const struct logbuf *lb, uint64_t *pos, char *out, size_t max);

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
void log_printf(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Write the whole log through fn, in chunks. */
void log_dump(void (*fn)(void *ctx, const char *s, size_t n), void *ctx);
/* While deferred, console lines wait in a queue (16 KiB; the oldest are
 * dropped) for log_flush_console(); turning it off flushes them. */
void log_defer_console(bool on);
bool log_console_pending(void);
void log_flush_console(void);
/* Raw console output that bypasses the log (shell echo). */
void console_write(const char *s, size_t n);

#define pr_err(...)	log_printf(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	log_printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
