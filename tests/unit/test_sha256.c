/* Unit tests for SHA-256 (kernel/sha256.c): the FIPS 180-4 example
 * messages, lengths around the padding boundaries, and split updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/sha256.h"

#define ABC_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define ABC_896 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

static void to_hex(const uint8_t *d, char *hex)
{
	size_t i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void check_oneshot(const char *msg, size_t len, const char *want)
{
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	sha256(msg, len, d);
	to_hex(d, hex);
	assert_string_equal(hex, want);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	check_oneshot("", 0,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_oneshot("abc", 3,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_oneshot(ABC_448, strlen(ABC_448),
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_oneshot(ABC_896, strlen(ABC_896),
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_empty_update_with_null(void **state)
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE], want[SHA256_DIGEST_SIZE];

	(void)state;
	sha256("", 0, want);
	sha256_init(&ctx);
	sha256_update(&ctx, NULL, 0);
	sha256_final(&ctx, d);
	assert_memory_equal(d, want, sizeof(d));
}

static void test_million_a(void **state)
{
	static const char want[] =
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	char chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&ctx);
	for (i = 0; i < 1000; i++)
		sha256_update(&ctx, chunk, sizeof(chunk));
	sha256_final(&ctx, d);
	to_hex(d, hex);
	assert_string_equal(hex, want);
}

/* Lengths that put the 0x80 byte and the length field on each side of a
 * block boundary ('a' repeated n times; digests from another
 * implementation). */
static void test_padding_boundaries(void **state)
{
	static const struct { size_t n; const char *hex; } cases[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
		{ 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e" },
	};
	char msg[128];
	size_t i;

	(void)state;
	memset(msg, 'a', sizeof(msg));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_oneshot(msg, cases[i].n, cases[i].hex);
}

/* Every two-way split of a 3-block message, and byte-at-a-time, give the
 * one-shot digest. */
static void test_incremental_splits(void **state)
{
	struct sha256_ctx ctx;
	uint8_t msg[3 * SHA256_BLOCK_SIZE + 7];
	uint8_t want[SHA256_DIGEST_SIZE], d[SHA256_DIGEST_SIZE];
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	sha256(msg, sizeof(msg), want);
	for (cut = 0; cut <= sizeof(msg); cut++) {
		sha256_init(&ctx);
		sha256_update(&ctx, msg, cut);
		sha256_update(&ctx, msg + cut, sizeof(msg) - cut);
		sha256_final(&ctx, d);
		assert_memory_equal(d, want, sizeof(d));
	}
	sha256_init(&ctx);
	for (i = 0; i < sizeof(msg); i++)
		sha256_update(&ctx, msg + i, 1);
	sha256_final(&ctx, d);
	assert_memory_equal(d, want, sizeof(d));
}

static void test_final_wipes_context(void **state)
{
	static const uint8_t zero[sizeof(struct sha256_ctx)];
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	(void)state;
	sha256_init(&ctx);
	sha256_update(&ctx, "secret", 6);
	sha256_final(&ctx, d);
	assert_memory_equal(&ctx, zero, sizeof(ctx));
	/* Reusable after a fresh init. */
	sha256_init(&ctx);
	sha256_update(&ctx, "abc", 3);
	sha256_final(&ctx, d);
	assert_int_equal(d[0], 0xba);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_empty_update_with_null),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_incremental_splits),
		cmocka_unit_test(test_final_wipes_context),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
