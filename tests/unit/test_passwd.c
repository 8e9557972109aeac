/* Unit tests for SHA-crypt password hashes (kernel/passwd.c): the test
 * vectors published with the specification, strings made by
 * `openssl passwd -5/-6 -salt S P` and by libxcrypt's crypt(3) (Perl's
 * crypt), wrong passwords and malformed hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "kernel/passwd.h"

struct vector {
	const char *setting;
	const char *password;
	const char *hash;
};

#define LONG_TEXT "a very much longer text to encrypt.  This one even " \
		  "stretches over morethan one line."

/* From "Unix crypt using SHA-256 and SHA-512" (Drepper), section "Test
 * vectors". */
static const struct vector spec_sha256[] = {
	{ "$5$saltstring", "Hello world!",
	  "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5" },
	{ "$5$rounds=10000$saltstringsaltstring", "Hello world!",
	  "$5$rounds=10000$saltstringsaltst$"
	  "3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA" },
	{ "$5$rounds=5000$toolongsaltstring", "This is just a test",
	  "$5$rounds=5000$toolongsaltstrin$"
	  "Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5" },
	{ "$5$rounds=1400$anotherlongsaltstring", LONG_TEXT,
	  "$5$rounds=1400$anotherlongsalts$"
	  "Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1" },
	{ "$5$rounds=77777$short",
	  "we have a short salt string but not a short password",
	  "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/" },
	{ "$5$rounds=123456$asaltof16chars..", "a short string",
	  "$5$rounds=123456$asaltof16chars..$"
	  "gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD" },
	{ "$5$rounds=10$roundstoolow", "the minimum number is still observed",
	  "$5$rounds=1000$roundstoolow$"
	  "yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC" },
};

static const struct vector spec_sha512[] = {
	{ "$6$saltstring", "Hello world!",
	  "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJu"
	  "esI68u4OTLiBFdcbYEdFCoEOfaS35inz1" },
	{ "$6$rounds=10000$saltstringsaltstring", "Hello world!",
	  "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHb"
	  "bMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v." },
	{ "$6$rounds=5000$toolongsaltstring", "This is just a test",
	  "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQ"
	  "zQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0" },
	{ "$6$rounds=1400$anotherlongsaltstring", LONG_TEXT,
	  "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wP"
	  "vMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1" },
	{ "$6$rounds=77777$short",
	  "we have a short salt string but not a short password",
	  "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0g"
	  "ge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0" },
	{ "$6$rounds=123456$asaltof16chars..", "a short string",
	  "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwc"
	  "elCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1" },
	{ "$6$rounds=10$roundstoolow", "the minimum number is still observed",
	  "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1x"
	  "hLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX." },
};

#define A128 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HUNTER2_256 "$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5"
#define HUNTER2_512 "$6$keel$kFuqJbUxjanpWLv3Hz33HcEDj.sK9rYozJodmHiOicGsI7unJQY" \
		    "/hWE2dy8jMP5o3Qb7luzxxmVgzvW8zu.XQ0"

/* `openssl passwd -5 -salt S P` (and -6), plus, for what openssl will not
 * make (empty password or salt, explicit rounds), Perl's crypt(). */
static const struct vector generated[] = {
	{ "$5$keel", "hunter2", HUNTER2_256 },
	{ "$5$keel", "hunter3",
	  "$5$keel$fCwXNb6pE1jPlp2PAcdrVmgnW5LqttIylTcedgMe944" },
	{ "$5$Xy7/.abc", "correct horse battery staple",
	  "$5$Xy7/.abc$7LTqlfV/nI0WxryYTZuzNaudgogoXA5mrQ4xuGsp0l." },
	{ "$5$0123456789abcdef", "p",
	  "$5$0123456789abcdef$5M.P5v5nvakHNXdAukE07B0Y4JtrN7aOmjrQTmw2EAD" },
	{ "$5$rtz9Qm.LoW3e/Aa1", "p\xc3\xa4ssw\xc3\xb6rd",	/* UTF-8 */
	  "$5$rtz9Qm.LoW3e/Aa1$HzOKCEBcgmX226xFO.MxqZ.P6.PnDVRGZ71wR94BHn8" },
	{ "$5$long", A128,
	  "$5$long$To/b6U4gJRVB/azkAqaXxC.Gs34qK8VHVcM5AYFlQSD" },
	{ "$5$keel", "",
	  "$5$keel$Y7Io2eXNduONdHlox24p730USupvujsDQdanOXH9UR6" },
	{ "$5$", "x",
	  "$5$$0Uor7kq6CTPY0DtjOiw.I2DuJSUfiZxCqkrafMVjNc8" },
	{ "$5$keel", "x",
	  "$5$keel$LKH9ihi1YY9ziVsg3Dw/LKPJ8C7MleJ8cCxuQUuL2o8" },
	{ "$5$rounds=5000$keel", "x",
	  "$5$rounds=5000$keel$LKH9ihi1YY9ziVsg3Dw/LKPJ8C7MleJ8cCxuQUuL2o8" },
	{ "$5$rounds=1000$keel", "x",
	  "$5$rounds=1000$keel$o06CGA4zf9NpNyjRmfCWxXSbwZ8n.U9NDnlKS4IkiRA" },
	{ "$6$keel", "hunter2", HUNTER2_512 },
	{ "$6$Xy7/.abc", "correct horse battery staple",
	  "$6$Xy7/.abc$eShnOcYAZWcCrTRJfaMr3ZwuxhazlqKQCpPBQqj7/5ScUsU8/qF8adf"
	  "ef9m3G03d1hFjl8rto3Y3vqYLiMk0d1" },
	{ "$6$long", A128,
	  "$6$long$/z86t41tUP3jvcxZEl5ES2cY0/tzsBM.F0Mws97C4TJspmDYIve9NBsmpOx"
	  "pFkpN3ajqmKjFgl5gvIieXjPNF1" },
};

static void check_vectors(const struct vector *v, size_t n)
{
	char out[PASSWD_HASH_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(v[i].password);

		assert_int_equal(passwd_crypt(v[i].setting, v[i].password, len,
					      out, sizeof(out)), 0);
		assert_string_equal(out, v[i].hash);
		assert_int_equal(passwd_check_format(v[i].hash), 0);
		assert_true(passwd_verify(v[i].hash, v[i].password, len));
	}
}

static void test_spec_vectors_sha256(void **state)
{
	(void)state;
	check_vectors(spec_sha256, ARRAY_SIZE(spec_sha256));
}

static void test_spec_vectors_sha512(void **state)
{
	(void)state;
	check_vectors(spec_sha512, ARRAY_SIZE(spec_sha512));
}

static void test_generated_vectors(void **state)
{
	(void)state;
	check_vectors(generated, ARRAY_SIZE(generated));
}

static void test_wrong_passwords(void **state)
{
	static const char *const wrong[] = {
		"hunter3", "Hunter2", "hunter", "hunter22", "hunter2\n",
		" hunter2", "", "x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(wrong); i++) {
		assert_false(passwd_verify(HUNTER2_256, wrong[i], strlen(wrong[i])));
		assert_false(passwd_verify(HUNTER2_512, wrong[i], strlen(wrong[i])));
	}
	/* Only `len` bytes count: no NUL needed, trailing bytes ignored. */
	assert_true(passwd_verify(HUNTER2_256, "hunter2XYZ", 7));
	assert_false(passwd_verify(HUNTER2_256, "hunter2\0", 8));
}

static void test_password_length_limit(void **state)
{
	static char pw[PASSWD_MAX + 1];
	char out[PASSWD_HASH_MAX];

	(void)state;
	memset(pw, 'k', sizeof(pw));
	assert_int_equal(passwd_crypt("$5$keel", pw, PASSWD_MAX, out, sizeof(out)), 0);
	assert_true(passwd_verify(out, pw, PASSWD_MAX));
	assert_int_equal(passwd_crypt("$5$keel", pw, PASSWD_MAX + 1, out, sizeof(out)),
			 -E_RANGE);
	assert_false(passwd_verify(HUNTER2_256, pw, PASSWD_MAX + 1));
}

static void test_malformed_hashes(void **state)
{
	static const char *const bad[] = {
		"",
		"hunter2",					/* plain password */
		"5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		" " HUNTER2_256,
		HUNTER2_256 "\n",
		HUNTER2_256 "5",				/* 44 characters */
		"$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ",
		"$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc-KIzfDQ5",
		"$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc+KIzfDQ5",
		"$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc KIzfDQ5",
		"$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQE",	/* > 4 bits */
		"$5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5$",
		"$5$keel$",
		"$5$keel",
		"$5$",
		"$5",
		"$",
		"$$",
		"$5$keel$$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$keelkeelkeelkeelk$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$ke l$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$rounds=$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$rounds=x$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$rounds=10x$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$rounds=-5$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$rounds=5000",
		/* a SHA-256 length hash part under "$6$" and the reverse */
		"$6$keel$SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5",
		"$5$keel$kFuqJbUxjanpWLv3Hz33HcEDj.sK9rYozJodmHiOicGsI7unJQY"
		"/hWE2dy8jMP5o3Qb7luzxxmVgzvW8zu.XQ0",
		"$6$keel$kFuqJbUxjanpWLv3Hz33HcEDj.sK9rYozJodmHiOicGsI7unJQY"
		"/hWE2dy8jMP5o3Qb7luzxxmVgzvW8zu.XQ2",		/* > 2 bits */
		"$5$#$%",
	};
	size_t i;

	(void)state;
	assert_int_equal(passwd_check_format(NULL), -E_INVAL);
	assert_false(passwd_verify(NULL, "hunter2", 7));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(passwd_check_format(bad[i]), -E_INVAL);
		assert_false(passwd_verify(bad[i], "hunter2", 7));
	}
	/* A plain password set to the password itself does not let it in. */
	assert_false(passwd_verify("hunter2", "hunter2", 7));
}

static void test_other_schemes_not_supported(void **state)
{
	static const char *const other[] = {
		"$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
		"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
		"$7$xyz",
		"$sha1$40000$jtNX3nZ2$hBNaIXkt4wBI2o5rsi8KejSjNqIq",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		assert_int_equal(passwd_check_format(other[i]), -E_NOTSUP);
		assert_false(passwd_verify(other[i], "hunter2", 7));
	}
}

static void test_rounds_field(void **state)
{
	(void)state;
	/* Clamped, not refused: to 1000 below, 999999999 above. */
	assert_int_equal(passwd_check_format("$5$rounds=0$keel$"
		"SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5"), 0);
	assert_int_equal(passwd_check_format("$5$rounds=99999999999999999999$keel$"
		"SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5"), 0);
	/* Leading zeros are still decimal. */
	assert_true(passwd_verify("$5$rounds=001000$keel$"
		"o06CGA4zf9NpNyjRmfCWxXSbwZ8n.U9NDnlKS4IkiRA", "x", 1));
	/* rounds=5000 spelled out is the default. */
	assert_true(passwd_verify("$5$rounds=5000$keel$"
		"SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5", "hunter2", 7));
	assert_false(passwd_verify("$5$rounds=5001$keel$"
		"SxszfMZqVKA5UnK73mQjZDZR6QI4..Fqgyc/KIzfDQ5", "hunter2", 7));
}

static void test_crypt_errors(void **state)
{
	char out[PASSWD_HASH_MAX];

	(void)state;
	assert_int_equal(passwd_crypt("hunter2", "x", 1, out, sizeof(out)), -E_INVAL);
	assert_int_equal(passwd_crypt("$5$rounds=$keel", "x", 1, out, sizeof(out)),
			 -E_INVAL);
	assert_int_equal(passwd_crypt("$1$keel", "x", 1, out, sizeof(out)), -E_NOTSUP);
	/* Output exactly as long as needed, then one byte too short. */
	assert_int_equal(passwd_crypt("$5$keel", "hunter2", 7, out,
				      sizeof(HUNTER2_256)), 0);
	assert_string_equal(out, HUNTER2_256);
	assert_int_equal(passwd_crypt("$5$keel", "hunter2", 7, out,
				      sizeof(HUNTER2_256) - 1), -E_RANGE);
	/* A whole hash works as a setting: its hash part is ignored. */
	assert_int_equal(passwd_crypt(HUNTER2_512, "hunter2", 7, out, sizeof(out)), 0);
	assert_string_equal(out, HUNTER2_512);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_vectors_sha256),
		cmocka_unit_test(test_spec_vectors_sha512),
		cmocka_unit_test(test_generated_vectors),
		cmocka_unit_test(test_wrong_passwords),
		cmocka_unit_test(test_password_length_limit),
		cmocka_unit_test(test_malformed_hashes),
		cmocka_unit_test(test_other_schemes_not_supported),
		cmocka_unit_test(test_rounds_field),
		cmocka_unit_test(test_crypt_errors),
	};

	return cmocka_run_group_tests_name("passwd", tests, NULL, NULL);
}
