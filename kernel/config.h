/*
 * Keel's configuration file (/keel/keel.cfg on the boot partition): one
 * "key = value" a line, '#' starts a comment, blank lines are ignored.
 * The parser is pure; kernel/settings.c applies what it finds.
 */
#ifndef KEEL_CONFIG_H
#define KEEL_CONFIG_H

#include "kernel/klib.h"

#define CONFIG_KEY_MAX		32
#define CONFIG_VALUE_MAX	256

/* Called for each setting; a negative return stops the parse with that
 * error (after fn has reported it as it sees fit). */
typedef int (*config_fn)(void *ctx, const char *key, const char *value, unsigned line);

struct config_error {
	unsigned line;		/* 1-based; 0 = none */
	const char *what;	/* static text */
};

/* Parse len bytes (need not be NUL-terminated). Returns 0, fn's error, or
 * -E_INVAL with *err set for a malformed line. */
int config_parse(const char *text, size_t len, config_fn fn, void *ctx,
		 struct config_error *err);

#endif
