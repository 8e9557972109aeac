/*
 * SHA-256 message digest (FIPS 180-4, section 6.2).
 *
 * Pure code: no hardware, no allocation, no floating point. Used by the
 * console password check (kernel/passwd.c); usable for any other digest.
 *
 * Usage: sha256_init(), any number of sha256_update() calls with any split
 * of the message, then sha256_final(). sha256_final() wipes the context, so
 * no message bytes are left behind in it; start again with sha256_init().
 */
#ifndef KEEL_SHA256_H
#define KEEL_SHA256_H

#include "kernel/klib.h"

#define SHA256_DIGEST_SIZE	32	/* bytes of output */
#define SHA256_BLOCK_SIZE	64	/* bytes per compression block */

struct sha256_ctx {
	uint32_t state[8];			/* H0..H7 */
	uint64_t length;			/* message bytes so far */
	uint8_t block[SHA256_BLOCK_SIZE];	/* partial block */
};

void sha256_init(struct sha256_ctx *ctx);

/* Hash `len` more bytes of the message; `data` may be NULL when len is 0. */
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);

/* Pad, write the 32-byte digest to `out` and wipe the context. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_SIZE]);

/* One-shot digest of `len` bytes at `data`. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

#endif
