/*
 * printk: formats a line, prefixes the time since boot, sends it to the
 * serial console and keeps it in the log ring buffer for `dmesg`.
 *
 * Once the shell owns the console, lines from any CPU are queued and the
 * shell prints them between commands (log_flush_console()), so they never
 * cut into a command's output or the line being typed.
 */
#include "drivers/uart.h"
#include "kernel/log.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"

#define LOG_BUF_SIZE	(256 * 1024)
#define LINE_MAX	512

static char log_mem[LOG_BUF_SIZE];
static struct logbuf klog = { log_mem, LOG_BUF_SIZE, 0 };
static spinlock_t log_lock = SPINLOCK_INIT;
static spinlock_t console_lock = SPINLOCK_INIT;
static enum log_level log_level = LOG_INFO;

/* Console lines held back while the shell owns the console (see
 * log_defer_console()); guarded by log_lock. */
#define CONSOLE_QUEUE_SIZE	(16 * 1024)
static char queue_mem[CONSOLE_QUEUE_SIZE];
static struct logbuf console_queue = { queue_mem, CONSOLE_QUEUE_SIZE, 0 };
static uint64_t queue_pos;
static volatile bool deferred;

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

/* Serial output with LF turned into CR LF. */
static void serial_write_crlf(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	uint64_t f = spin_lock_irqsave(&console_lock);

	uart_write(s, n);
	spin_unlock_irqrestore(&console_lock, f);
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
	char line[LINE_MAX];
	uint64_t ns = time_since_boot_ns(), f;
	va_list ap;
	int n;

	n = ksnprintf(line, sizeof(line), "[%5lu.%06lu] ",
		      (unsigned long)(ns / 1000000000), (unsigned long)(ns / 1000 % 1000000));
	va_start(ap, fmt);
	kvsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	if (n && line[n - 1] != '\n' && n + 1 < LINE_MAX) {
		line[n++] = '\n';
		line[n] = '\0';
	}
	f = spin_lock_irqsave(&log_lock);
	logbuf_write(&klog, line, (size_t)n);
	if (lvl <= log_level && deferred)
		logbuf_write(&console_queue, line, (size_t)n);
	spin_unlock_irqrestore(&log_lock, f);
	if (lvl > log_level || deferred)
		return;
	f = spin_lock_irqsave(&console_lock);
	serial_write_crlf(line, (size_t)n);
	spin_unlock_irqrestore(&console_lock, f);
}

void log_defer_console(bool on)
{
	__atomic_store_n(&deferred, on, __ATOMIC_SEQ_CST);
	if (!on)
		log_flush_console();
}

bool log_console_pending(void)
{
	return __atomic_load_n(&console_queue.head, __ATOMIC_RELAXED) != queue_pos;
}

void log_flush_console(void)
{
	char chunk[256];
	uint64_t f;
	size_t n;

	for (;;) {
		f = spin_lock_irqsave(&log_lock);
		n = logbuf_read(&console_queue, &queue_pos, chunk, sizeof(chunk));
		spin_unlock_irqrestore(&log_lock, f);
		if (!n)
			break;
		f = spin_lock_irqsave(&console_lock);
		serial_write_crlf(chunk, n);
		spin_unlock_irqrestore(&console_lock, f);
	}
}

void log_dump(void (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
	char chunk[256];
	uint64_t pos = 0, f;
	size_t n;

	for (;;) {
		f = spin_lock_irqsave(&log_lock);
		n = logbuf_read(&klog, &pos, chunk, sizeof(chunk));
		spin_unlock_irqrestore(&log_lock, f);
		if (!n)
			break;
		fn(ctx, chunk, n);
	}
}
