/*
 * SHA-512 message digest (FIPS 180-4, section 6.4).
 *
 * Pure code: no hardware, no allocation, no floating point. Used by the
 * console password check for "$6$" hashes (kernel/passwd.c).
 *
 * Usage as for SHA-256 (kernel/sha256.h): sha512_init(), any number of
 * sha512_update() calls, then sha512_final(), which wipes the context.
 */
#ifndef KEEL_SHA512_H
#define KEEL_SHA512_H

#include "kernel/klib.h"

#define SHA512_DIGEST_SIZE	64	/* bytes of output */
#define SHA512_BLOCK_SIZE	128	/* bytes per compression block */

struct sha512_ctx {
	uint64_t state[8];			/* H0..H7 */
	uint64_t length;			/* message bytes so far */
	uint8_t block[SHA512_BLOCK_SIZE];	/* partial block */
};

void sha512_init(struct sha512_ctx *ctx);

/* Hash `len` more bytes of the message; `data` may be NULL when len is 0. */
void sha512_update(struct sha512_ctx *ctx, const void *data, size_t len);

/* Pad, write the 64-byte digest to `out` and wipe the context. */
void sha512_final(struct sha512_ctx *ctx, uint8_t out[SHA512_DIGEST_SIZE]);

/* One-shot digest of `len` bytes at `data`. */
void sha512(const void *data, size_t len, uint8_t out[SHA512_DIGEST_SIZE]);

#endif
