/* The log ring buffer (pure; the printk side is kernel/printk.c). */
#include "kernel/log.h"

void logbuf_init(struct logbuf *lb, char *mem, size_t size)
{
	lb->buf = mem;
	lb->size = size;
	lb->head = 0;
}

void logbuf_write(struct logbuf *lb, const char *s, size_t n)
{
	if (!lb->size)
		return;
	if (n > lb->size) {	/* only the tail can survive */
		s += n - lb->size;
		lb->head += n - lb->size;
		n = lb->size;
	}
	for (size_t i = 0; i < n; i++)
		lb->buf[(lb->head + i) % lb->size] = s[i];
	lb->head += n;
}

size_t logbuf_read(const struct logbuf *lb, uint64_t *pos, char *out, size_t max)
{
	size_t n = 0;

	if (lb->head > lb->size && *pos < lb->head - lb->size)
		*pos = lb->head - lb->size;
	while (*pos < lb->head && n < max)
		out[n++] = lb->buf[(*pos)++ % lb->size];
	return n;
}
