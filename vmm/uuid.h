/*
 * UUIDs as libvirt writes them (RFC 4122 section 3 string form): parse,
 * format and generate random (version 4, section 4.4) UUIDs. Pure code;
 * randomness comes from the caller.
 */
#ifndef KEEL_UUID_H
#define KEEL_UUID_H

#include "kernel/klib.h"

#define UUID_LEN	16
#define UUID_STR_LEN	36	/* 8-4-4-4-12 hex digits, without the NUL */

/* A version 4 UUID from two calls of rand64(ctx). */
void uuid_generate_v4(uint8_t out[UUID_LEN], uint64_t (*rand64)(void *ctx), void *ctx);

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits without
 * dashes (both forms libvirt accepts), either case. Returns 0 or -E_INVAL;
 * out is written only on success. */
int uuid_parse(const char *s, uint8_t out[UUID_LEN]);

/* Lower-case 8-4-4-4-12 form, NUL-terminated. */
void uuid_format(const uint8_t u[UUID_LEN], char out[UUID_STR_LEN + 1]);

#endif
