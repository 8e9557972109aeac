/*
 * What SHA-256 and SHA-512 share (FIPS 180-4, sections 5.1 and 6): input
 * is gathered into whole blocks for a compression function, and the last
 * block is padded with a 1 bit, zeros and the message length in bits.
 * Pure code, used by kernel/sha256.c and kernel/sha512.c.
 */
#ifndef KEEL_MDHASH_H
#define KEEL_MDHASH_H

#include "kernel/klib.h"

/* One hash context, seen from the shared code. */
struct md_ctx {
	void *state;			/* the chaining value */
	uint8_t *block;			/* the partial block */
	size_t size;			/* block size in bytes */
	uint64_t *length;		/* message bytes so far */
	void (*compress)(void *state, const uint8_t *block);
};

/* Hash `len` more bytes: whole blocks as they fill, the rest kept. */
static inline void md_update(const struct md_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t fill = *c->length % c->size;

	if (len == 0)
		return;
	*c->length += len;
	if (fill) {
		size_t n = MIN(len, c->size - fill);

		memcpy(c->block + fill, p, n);
		p += n;
		len -= n;
		if (fill + n < c->size)
			return;
		c->compress(c->state, c->block);
	}
	for (; len >= c->size; len -= c->size) {
		c->compress(c->state, p);
		p += c->size;
	}
	if (len)
		memcpy(c->block, p, len);
}

/* Append the 1 bit and the zeros, compressing a block if the length field
 * (`field` bytes at the end) no longer fits; the caller then writes the
 * length there and compresses the last block. */
static inline void md_pad(const struct md_ctx *c, size_t field)
{
	size_t fill = *c->length % c->size;

	c->block[fill++] = 0x80;
	if (fill > c->size - field) {
		memset(c->block + fill, 0, c->size - fill);
		c->compress(c->state, c->block);
		fill = 0;
	}
	memset(c->block + fill, 0, c->size - field - fill);
}

#endif
