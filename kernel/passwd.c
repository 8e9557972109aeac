/*
 * SHA-crypt password hashes ("$5$" SHA-256, "$6$" SHA-512), following
 * Ulrich Drepper's specification "Unix crypt using SHA-256 and SHA-512".
 *
 * A hash string is first decoded into a struct setting (scheme, rounds,
 * salt, hash part) and validated; only then is the password hashed. The two
 * schemes differ only in the digest and in how the digest bytes are laid
 * out in the base-64 text, so both run through one table-driven algorithm.
 */
#include "kernel/errno.h"
#include "kernel/passwd.h"
#include "kernel/sha256.h"
#include "kernel/sha512.h"

#define DIGEST_MAX	SHA512_DIGEST_SIZE
#define ENCODED_MAX	86		/* base-64 characters of a SHA-512 digest */
#define ROUNDS_PREFIX	"rounds="
#define NO_BYTE		0xff		/* a zero byte in an encoding group */
#define SALT_CHAR_MIN	0x21		/* salts: printable ASCII but space, */
#define SALT_CHAR_MAX	0x7e		/* and never '$' */

/* The crypt base-64 alphabet: value 0 is '.', 63 is 'z'. */
static const char B64[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

union hash_ctx {
	struct sha256_ctx s256;
	struct sha512_ctx s512;
};

struct shacrypt_alg {
	char id;			/* the N in "$N$" */
	size_t digest_size;
	size_t encoded_len;
	/* Digest bytes for each group of base-64 characters, most
	 * significant first; a group of k bytes becomes k + 1 characters,
	 * least significant 6 bits first. */
	const uint8_t (*order)[3];
	size_t groups;
	void (*init)(union hash_ctx *ctx);
	void (*update)(union hash_ctx *ctx, const void *data, size_t len);
	void (*final)(union hash_ctx *ctx, uint8_t *out);
};

struct setting {
	const struct shacrypt_alg *alg;
	uint32_t rounds;		/* clamped */
	bool rounds_given;		/* "rounds=N$" was present */
	const char *salt;
	size_t salt_run;		/* characters up to '$' or the end */
	size_t salt_len;		/* the ones used: at most 16 */
	const char *hash;		/* after the salt's '$', or NULL */
};

/* ---------------------------------------------------------------- digests */

static void h256_init(union hash_ctx *ctx)
{
	sha256_init(&ctx->s256);
}

static void h256_update(union hash_ctx *ctx, const void *data, size_t len)
{
	sha256_update(&ctx->s256, data, len);
}

static void h256_final(union hash_ctx *ctx, uint8_t *out)
{
	sha256_final(&ctx->s256, out);
}

static void h512_init(union hash_ctx *ctx)
{
	sha512_init(&ctx->s512);
}

static void h512_update(union hash_ctx *ctx, const void *data, size_t len)
{
	sha512_update(&ctx->s512, data, len);
}

static void h512_final(union hash_ctx *ctx, uint8_t *out)
{
	sha512_final(&ctx->s512, out);
}

/* The byte orders of the specification's final encoding step. */
static const uint8_t ORDER_256[][3] = {
	{ 0, 10, 20 }, { 21, 1, 11 }, { 12, 22, 2 }, { 3, 13, 23 },
	{ 24, 4, 14 }, { 15, 25, 5 }, { 6, 16, 26 }, { 27, 7, 17 },
	{ 18, 28, 8 }, { 9, 19, 29 }, { NO_BYTE, 31, 30 },
};

static const uint8_t ORDER_512[][3] = {
	{ 0, 21, 42 }, { 22, 43, 1 }, { 44, 2, 23 }, { 3, 24, 45 },
	{ 25, 46, 4 }, { 47, 5, 26 }, { 6, 27, 48 }, { 28, 49, 7 },
	{ 50, 8, 29 }, { 9, 30, 51 }, { 31, 52, 10 }, { 53, 11, 32 },
	{ 12, 33, 54 }, { 34, 55, 13 }, { 56, 14, 35 }, { 15, 36, 57 },
	{ 37, 58, 16 }, { 59, 17, 38 }, { 18, 39, 60 }, { 40, 61, 19 },
	{ 62, 20, 41 }, { NO_BYTE, NO_BYTE, 63 },
};

static const struct shacrypt_alg ALGS[] = {
	{ '5', SHA256_DIGEST_SIZE, 43, ORDER_256, ARRAY_SIZE(ORDER_256),
	  h256_init, h256_update, h256_final },
	{ '6', SHA512_DIGEST_SIZE, 86, ORDER_512, ARRAY_SIZE(ORDER_512),
	  h512_init, h512_update, h512_final },
};

/* ---------------------------------------------------------------- helpers */

static int b64_value(char c)
{
	const char *p = c ? strchr(B64, c) : NULL;

	return p ? (int)(p - B64) : -1;
}

/* Compare without stopping at the first difference, so the time taken
 * does not tell how much of a guess was right. */
static bool equal_ct(const char *a, const char *b, size_t n)
{
	volatile uint8_t diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (uint8_t)(a[i] ^ b[i]);
	return diff == 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---------------------------------------------------------------- decode */

/* "$N$" with N a known scheme; another "$id$" is a scheme we lack. */
static int parse_scheme(const char *s, struct setting *st, const char **rest)
{
	size_t i, n;

	if (s[0] != '$')
		return -E_INVAL;
	for (n = 1; (s[n] >= 'a' && s[n] <= 'z') || is_digit(s[n]); n++)
		;
	if (n == 1 || s[n] != '$')
		return -E_INVAL;
	*rest = s + n + 1;
	for (i = 0; i < ARRAY_SIZE(ALGS); i++) {
		if (n == 2 && s[1] == ALGS[i].id) {
			st->alg = &ALGS[i];
			return 0;
		}
	}
	return -E_NOTSUP;
}

/* Optional "rounds=N$": decimal digits only; large values saturate. */
static int parse_rounds(const char **sp, struct setting *st)
{
	const char *s = *sp;
	uint64_t n = 0;

	st->rounds = PASSWD_ROUNDS_DEFAULT;
	st->rounds_given = false;
	if (strncmp(s, ROUNDS_PREFIX, strlen(ROUNDS_PREFIX)) != 0)
		return 0;
	s += strlen(ROUNDS_PREFIX);
	if (!is_digit(*s))
		return -E_INVAL;
	for (; is_digit(*s); s++) {
		if (n <= PASSWD_ROUNDS_MAX)	/* past it, the value is moot */
			n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '$')
		return -E_INVAL;
	st->rounds = (uint32_t)MAX(MIN(n, PASSWD_ROUNDS_MAX), PASSWD_ROUNDS_MIN);
	st->rounds_given = true;
	*sp = s + 1;
	return 0;
}

static int parse_salt(const char *s, struct setting *st)
{
	size_t i;

	st->salt = s;
	for (st->salt_run = 0; s[st->salt_run] && s[st->salt_run] != '$'; st->salt_run++)
		;
	st->salt_len = MIN(st->salt_run, (size_t)PASSWD_SALT_MAX);
	for (i = 0; i < st->salt_len; i++) {
		if (s[i] < SALT_CHAR_MIN || s[i] > SALT_CHAR_MAX)
			return -E_INVAL;
	}
	st->hash = s[st->salt_run] == '$' ? s + st->salt_run + 1 : NULL;
	return 0;
}

/* Decode a setting or full hash string; the hash part is not checked. */
static int parse_setting(const char *s, struct setting *st)
{
	const char *rest;
	int err;

	err = parse_scheme(s, st, &rest);
	if (!err)
		err = parse_rounds(&rest, st);
	if (!err)
		err = parse_salt(rest, st);
	return err;
}

/* The last character of the text carries only the bits of the last group
 * left over from whole characters: 4 for SHA-256, 2 for SHA-512. */
static int last_char_limit(const struct shacrypt_alg *alg)
{
	const uint8_t *g = alg->order[alg->groups - 1];
	int bytes = (g[0] != NO_BYTE) + (g[1] != NO_BYTE) + (g[2] != NO_BYTE);

	return 1 << (2 * bytes);
}

static int check_hash_part(const struct shacrypt_alg *alg, const char *hash)
{
	size_t i;

	if (!hash || strlen(hash) != alg->encoded_len)
		return -E_INVAL;
	for (i = 0; i < alg->encoded_len; i++) {
		if (b64_value(hash[i]) < 0)
			return -E_INVAL;
	}
	if (b64_value(hash[alg->encoded_len - 1]) >= last_char_limit(alg))
		return -E_INVAL;
	return 0;
}

static int decode_hash(const char *hash, struct setting *st)
{
	int err = parse_setting(hash, st);

	if (err)
		return err;
	if (st->salt_run > PASSWD_SALT_MAX)
		return -E_INVAL;
	return check_hash_part(st->alg, st->hash);
}

/* ---------------------------------------------------------------- hashing */

/* Feed `len` bytes of `block` repeated: the specification's "P sequence"
 * without building it, so no buffer of the password's length is needed. */
static void update_repeated(const struct shacrypt_alg *alg, union hash_ctx *ctx,
			    const uint8_t *block, size_t len)
{
	for (; len > alg->digest_size; len -= alg->digest_size)
		alg->update(ctx, block, alg->digest_size);
	alg->update(ctx, block, len);
}

/* Steps 1-12: digest A, from the password, the salt and digest B. */
static void digest_a(const struct setting *st, union hash_ctx *ctx,
		     const char *pw, size_t len, uint8_t *a)
{
	const struct shacrypt_alg *alg = st->alg;
	uint8_t b[DIGEST_MAX];
	size_t i;

	alg->init(ctx);
	alg->update(ctx, pw, len);
	alg->update(ctx, st->salt, st->salt_len);
	alg->update(ctx, pw, len);
	alg->final(ctx, b);

	alg->init(ctx);
	alg->update(ctx, pw, len);
	alg->update(ctx, st->salt, st->salt_len);
	update_repeated(alg, ctx, b, len);
	for (i = len; i; i >>= 1) {
		if (i & 1)
			alg->update(ctx, b, alg->digest_size);
		else
			alg->update(ctx, pw, len);
	}
	alg->final(ctx, a);
	memzero_explicit(b, sizeof(b));
}

/* Steps 13-20: DP from the password repeated, DS from the salt repeated
 * 16 + A[0] times. */
static void digest_p_s(const struct setting *st, union hash_ctx *ctx,
		       const char *pw, size_t len, const uint8_t *a,
		       uint8_t *dp, uint8_t *ds)
{
	const struct shacrypt_alg *alg = st->alg;
	size_t i;

	alg->init(ctx);
	for (i = 0; i < len; i++)
		alg->update(ctx, pw, len);
	alg->final(ctx, dp);

	alg->init(ctx);
	for (i = 0; i < 16u + a[0]; i++)
		alg->update(ctx, st->salt, st->salt_len);
	alg->final(ctx, ds);
}

/* The whole algorithm: the final digest C, in `c`. */
static void shacrypt(const struct setting *st, const char *pw, size_t len,
		     uint8_t *c)
{
	const struct shacrypt_alg *alg = st->alg;
	union hash_ctx ctx;
	uint8_t dp[DIGEST_MAX], ds[DIGEST_MAX];
	uint32_t r;

	digest_a(st, &ctx, pw, len, c);
	digest_p_s(st, &ctx, pw, len, c, dp, ds);
	/* Step 21: the rounds, alternating the order of P and C. */
	for (r = 0; r < st->rounds; r++) {
		alg->init(&ctx);
		if (r & 1)
			update_repeated(alg, &ctx, dp, len);
		else
			alg->update(&ctx, c, alg->digest_size);
		if (r % 3)
			alg->update(&ctx, ds, st->salt_len);
		if (r % 7)
			update_repeated(alg, &ctx, dp, len);
		if (r & 1)
			alg->update(&ctx, c, alg->digest_size);
		else
			update_repeated(alg, &ctx, dp, len);
		alg->final(&ctx, c);
	}
	memzero_explicit(dp, sizeof(dp));
	memzero_explicit(ds, sizeof(ds));
	memzero_explicit(&ctx, sizeof(ctx));
}

/* Step 22: the digest as base-64 text, NUL-terminated. */
static void encode(const struct shacrypt_alg *alg, const uint8_t *digest,
		   char *out)
{
	size_t i, k, n = 0;

	for (i = 0; i < alg->groups; i++) {
		const uint8_t *g = alg->order[i];
		uint32_t w = 0;
		unsigned chars = 1;

		for (k = 0; k < 3; k++) {
			w <<= 8;
			if (g[k] != NO_BYTE) {
				w |= digest[g[k]];
				chars++;
			}
		}
		for (; chars; chars--, w >>= 6)
			out[n++] = B64[w & 0x3f];
	}
	out[n] = '\0';
}

/* ---------------------------------------------------------------- public */

int passwd_check_format(const char *hash)
{
	struct setting st;

	if (!hash)
		return -E_INVAL;
	return decode_hash(hash, &st);
}

bool passwd_verify(const char *hash, const char *password, size_t len)
{
	struct setting st;
	uint8_t c[DIGEST_MAX];
	char text[ENCODED_MAX + 1];
	bool ok;

	if (!hash || len > PASSWD_MAX || decode_hash(hash, &st))
		return false;
	shacrypt(&st, password, len, c);
	encode(st.alg, c, text);
	ok = equal_ct(text, st.hash, st.alg->encoded_len);
	memzero_explicit(c, sizeof(c));
	memzero_explicit(text, sizeof(text));
	return ok;
}

int passwd_crypt(const char *setting, const char *password, size_t len,
		 char *out, size_t size)
{
	struct setting st;
	uint8_t c[DIGEST_MAX];
	char text[ENCODED_MAX + 1];
	char rounds[sizeof(ROUNDS_PREFIX "999999999$")] = "";
	int err, n;

	err = parse_setting(setting, &st);
	if (err)
		return err;
	if (len > PASSWD_MAX)
		return -E_RANGE;
	if (st.rounds_given)
		ksnprintf(rounds, sizeof(rounds), ROUNDS_PREFIX "%u$", st.rounds);
	shacrypt(&st, password, len, c);
	encode(st.alg, c, text);
	n = ksnprintf(out, size, "$%c$%s%.*s$%s", st.alg->id, rounds,
		      (int)st.salt_len, st.salt, text);
	memzero_explicit(c, sizeof(c));
	memzero_explicit(text, sizeof(text));
	if ((size_t)n >= size) {
		if (size)
			memzero_explicit(out, size);
		return -E_RANGE;
	}
	return 0;
}
