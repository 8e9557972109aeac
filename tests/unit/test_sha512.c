/* Unit tests for SHA-512 (kernel/sha512.c): the FIPS 180-4 example
 * messages, lengths around the padding boundaries, and split updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/sha512.h"

#define ABC_448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define ABC_896 "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" \
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

static void to_hex(const uint8_t *d, char *hex)
{
	size_t i;

	for (i = 0; i < SHA512_DIGEST_SIZE; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void check_oneshot(const char *msg, size_t len, const char *want)
{
	uint8_t d[SHA512_DIGEST_SIZE];
	char hex[2 * SHA512_DIGEST_SIZE + 1];

	sha512(msg, len, d);
	to_hex(d, hex);
	assert_string_equal(hex, want);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	check_oneshot("", 0,
		"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	check_oneshot("abc", 3,
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	check_oneshot(ABC_448, strlen(ABC_448),
		"204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
		"96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
	check_oneshot(ABC_896, strlen(ABC_896),
		"8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
		"501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

static void test_empty_update_with_null(void **state)
{
	struct sha512_ctx ctx;
	uint8_t d[SHA512_DIGEST_SIZE], want[SHA512_DIGEST_SIZE];

	(void)state;
	sha512("", 0, want);
	sha512_init(&ctx);
	sha512_update(&ctx, NULL, 0);
	sha512_final(&ctx, d);
	assert_memory_equal(d, want, sizeof(d));
}

static void test_million_a(void **state)
{
	static const char want[] =
		"e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
		"de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";
	struct sha512_ctx ctx;
	uint8_t d[SHA512_DIGEST_SIZE];
	char hex[2 * SHA512_DIGEST_SIZE + 1];
	char chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	sha512_init(&ctx);
	for (i = 0; i < 1000; i++)
		sha512_update(&ctx, chunk, sizeof(chunk));
	sha512_final(&ctx, d);
	to_hex(d, hex);
	assert_string_equal(hex, want);
}

/* Lengths that put the 0x80 byte and the length field on each side of a
 * block boundary ('a' repeated n times; digests from another
 * implementation). */
static void test_padding_boundaries(void **state)
{
	static const struct { size_t n; const char *hex; } cases[] = {
		{ 55, "b0220c772cbf6c1822e2cb38a437d0e1d58772417a4bbb21c961364f8b6143e0"
			"5aa6316dca8d1d7b19e16448419076395f6086cb55101fbd6d5497b148e1745f" },
		{ 56, "962b64aae357d2a4fee3ded8b539bdc9d325081822b0bfc55583133aab44f18b"
			"afe11d72a7ae16c79ce2ba620ae2242d5144809161945f1367f41b3972e26e04" },
		{ 57, "d3115798e872fc1ca6b276368e8ea0926daec6ab1f8f08297e4348ff5f5fe4c6"
			"e5205413271babafd4929b070754bc5800e5db44790666ec4e2f6ac52a17e163" },
		{ 63, "c1b0f5c6d3b03dfe4a2602e67242f54e344090b66e01100a469b129f583f016c"
			"7e27dddeaa438393dcc7ec54b0b57c9ba7af007f9b56db5f6fb677d972a31362" },
		{ 64, "01d35c10c6c38c2dcf48f7eebb3235fb5ad74a65ec4cd016e2354c637a8fb49b"
			"695ef3c1d6f7ae4cd74d78cc9c9bcac9d4f23a73019998a7f73038a5c9b2dbde" },
		{ 65, "b83086cd8494e55708ad7ecd82dfb4bca1bda61ecbb7caf0c68967902e709345"
			"e5d8305eb7ac0d588afc6cbb75161aa9c8c7e0ea986bd833dafe5e1ccd37345a" },
		{ 111, "fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef8681819692176"
			"0b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2" },
		{ 112, "c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32"
			"bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca" },
		{ 119, "130396a75cb483f2eee8c56d8a668bb3d2641f5243212c0bee2bd33da096ad9e"
			"b8179fe18f9eaacf76e09fae9de4c3f14ba13341e345be05bf76c182cc3468cb" },
		{ 120, "f241de612b01aa2fa3cf01531d2a8e5e17fc761dfd48a704a834a47f57d6eade"
			"7804ecc39be42fdef16ec6adeaf7c01c2fd0c4cc97d3860907cfa4a3b36d0c05" },
		{ 129, "4f681e0bd53cda4b5a2041cc8a06f2eabde44fb16c951fbd5b87702f07aeab61"
			"1565b19c47fde30587177ebb852e3971bbd8d3fd30da18d71037dfbd98420429" },
		{ 128, "b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a24"
			"3667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321" },
	};
	char msg[129];
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
	struct sha512_ctx ctx;
	uint8_t msg[3 * SHA512_BLOCK_SIZE + 7];
	uint8_t want[SHA512_DIGEST_SIZE], d[SHA512_DIGEST_SIZE];
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	sha512(msg, sizeof(msg), want);
	for (cut = 0; cut <= sizeof(msg); cut++) {
		sha512_init(&ctx);
		sha512_update(&ctx, msg, cut);
		sha512_update(&ctx, msg + cut, sizeof(msg) - cut);
		sha512_final(&ctx, d);
		assert_memory_equal(d, want, sizeof(d));
	}
	sha512_init(&ctx);
	for (i = 0; i < sizeof(msg); i++)
		sha512_update(&ctx, msg + i, 1);
	sha512_final(&ctx, d);
	assert_memory_equal(d, want, sizeof(d));
}

static void test_final_wipes_context(void **state)
{
	static const uint8_t zero[sizeof(struct sha512_ctx)];
	struct sha512_ctx ctx;
	uint8_t d[SHA512_DIGEST_SIZE];

	(void)state;
	sha512_init(&ctx);
	sha512_update(&ctx, "secret", 6);
	sha512_final(&ctx, d);
	assert_memory_equal(&ctx, zero, sizeof(ctx));
	/* Reusable after a fresh init. */
	sha512_init(&ctx);
	sha512_update(&ctx, "abc", 3);
	sha512_final(&ctx, d);
	assert_int_equal(d[0], 0xdd);
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

	return cmocka_run_group_tests_name("sha512", tests, NULL, NULL);
}
