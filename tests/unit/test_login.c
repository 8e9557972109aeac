/* Unit tests for the console password entry state machine
 * (kernel/login.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/login.h"

#define CTRL_C	"\x03"
#define CTRL_U	"\x15"
#define BS	"\x08"
#define DEL	"\x7f"
#define ESC	"\x1b"
#define A_UML	"\xc3\xa4"	/* U+00E4 in UTF-8 */

/* Feed `n` bytes; returns the events seen as a string: '.' none, 'L' line,
 * 'C' cancel. */
static const char *feed(struct login *l, const char *s, size_t n)
{
	static char ev[1024];
	size_t i;

	assert_true(n < sizeof(ev));
	for (i = 0; i < n; i++) {
		enum login_event e = login_feed(l, (uint8_t)s[i]);

		ev[i] = e == LOGIN_LINE ? 'L' : e == LOGIN_CANCEL ? 'C' : '.';
	}
	ev[n] = '\0';
	return ev;
}

#define FEED(l, lit) feed((l), (lit), sizeof(lit) - 1)

/* Feed `lit`, which must end the line on its last byte, and check the
 * line's text. */
static void expect_line(struct login *l, const char *lit, size_t n, const char *want)
{
	const char *ev = feed(l, lit, n);
	size_t len;

	assert_int_equal(ev[n - 1], 'L');
	assert_string_equal(login_text(l, &len), want);
	assert_int_equal(len, strlen(want));
}

#define EXPECT_LINE(l, lit, want) expect_line((l), (lit), sizeof(lit) - 1, (want))

static void fill(struct login *l, char c, size_t n)
{
	while (n--)
		assert_int_equal(login_feed(l, (uint8_t)c), LOGIN_NONE);
}

static void test_plain_line(void **state)
{
	struct login l;
	size_t len = 99;

	(void)state;
	login_reset(&l);
	assert_string_equal(login_text(&l, &len), "");
	assert_int_equal(len, 0);
	assert_string_equal(FEED(&l, "hunter2\r"), ".......L");
	assert_string_equal(login_text(&l, NULL), "hunter2");
	assert_false(login_overflow(&l));
	/* Spaces and punctuation are part of a password. */
	EXPECT_LINE(&l, " a b~!\n", " a b~!");
}

static void test_enter_variants(void **state)
{
	struct login l;

	(void)state;
	login_reset(&l);
	assert_string_equal(FEED(&l, "ab\r\ncd\n"), "..L...L");
	assert_string_equal(login_text(&l, NULL), "cd");
	/* CR LF is one Enter; CR CR, LF LF and LF CR are two. */
	assert_string_equal(FEED(&l, "x\r\n\r\n"), ".L.L.");
	assert_string_equal(FEED(&l, "\r\r"), "LL");
	assert_string_equal(FEED(&l, "a\n\n"), ".LL");
	assert_string_equal(FEED(&l, "\n\r"), "LL");
	/* Only the LF right after the CR is swallowed. */
	assert_string_equal(FEED(&l, "\ry\n"), "L.L");
	assert_string_equal(login_text(&l, NULL), "y");
}

static void test_backspace(void **state)
{
	struct login l;

	(void)state;
	login_reset(&l);
	EXPECT_LINE(&l, "abc" DEL BS "d\r", "ad");
	EXPECT_LINE(&l, DEL BS "x" DEL DEL "y\r", "y");
	/* A UTF-8 character goes with one Backspace. */
	EXPECT_LINE(&l, "p" A_UML DEL "\r", "p");
	EXPECT_LINE(&l, "\xe2\x82\xac" "\xf0\x9f\x94\x91" DEL "\r", "\xe2\x82\xac");
	/* Stray continuation bytes go one at a time. */
	EXPECT_LINE(&l, "a\x80\x80" DEL "\r", "a\x80");
}

static void test_ctrl_u_and_ctrl_c(void **state)
{
	struct login l;
	size_t len;

	(void)state;
	login_reset(&l);
	EXPECT_LINE(&l, "abc" CTRL_U "de\r", "de");
	assert_string_equal(FEED(&l, "secret" CTRL_C), "......C");
	assert_string_equal(login_text(&l, &len), "");
	assert_int_equal(len, 0);
	EXPECT_LINE(&l, "x\r", "x");
	assert_string_equal(FEED(&l, CTRL_C CTRL_C), "CC");
}

static void test_control_bytes_swallowed(void **state)
{
	struct login l;
	static const char in[] = "a\tb\0c\x04" "d\x01\x02\x07\x0b\x0c\x1f" "e\r";

	(void)state;
	login_reset(&l);
	expect_line(&l, in, sizeof(in) - 1, "abcde");
}

static void test_escape_sequences(void **state)
{
	struct login l;

	(void)state;
	login_reset(&l);
	/* Arrows, modified keys, Delete, F1 (SS3), Alt-x, ESC ESC. */
	EXPECT_LINE(&l, "a" ESC "[Ab" ESC "[1;5Cc" ESC "[3~d" ESC "OPe"
		    ESC "xf" ESC ESC "[Dg\r", "abcdefg");
	/* Control bytes end a sequence and still work. */
	assert_string_equal(FEED(&l, "ab" ESC "[1" CTRL_C), ".....C");
	EXPECT_LINE(&l, "ab" ESC "[1\r", "ab");
	EXPECT_LINE(&l, "ab" ESC "O\r", "ab");
	EXPECT_LINE(&l, "ab" ESC "\r", "ab");
	EXPECT_LINE(&l, "ab" ESC "[2" DEL "\r", "a");
	/* An ESC starts a new sequence in the middle of another. */
	EXPECT_LINE(&l, "a" ESC "[1" ESC "[Bb\r", "ab");
}

static void test_overflow(void **state)
{
	struct login l;
	size_t len;

	(void)state;
	login_reset(&l);
	fill(&l, 'a', LOGIN_MAX);
	assert_false(login_overflow(&l));
	assert_int_equal(login_feed(&l, 'b'), LOGIN_NONE);
	assert_int_equal(login_feed(&l, 'c'), LOGIN_NONE);
	assert_true(login_overflow(&l));
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX);
	/* Backspace takes back the dropped characters first. */
	FEED(&l, DEL);
	assert_true(login_overflow(&l));
	FEED(&l, DEL);
	assert_false(login_overflow(&l));
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX);
	FEED(&l, DEL);
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX - 1);
	/* Enter on an overflowed line is a line that must be refused. */
	fill(&l, 'z', 5);
	assert_int_equal(login_feed(&l, '\r'), LOGIN_LINE);
	assert_true(login_overflow(&l));
	/* The next line starts clean. */
	EXPECT_LINE(&l, "ok\r", "ok");
	assert_false(login_overflow(&l));
	/* Ctrl-U and Ctrl-C clear the count. */
	fill(&l, 'a', LOGIN_MAX + 3);
	FEED(&l, CTRL_U);
	assert_false(login_overflow(&l));
	fill(&l, 'a', LOGIN_MAX + 3);
	FEED(&l, CTRL_C);
	assert_false(login_overflow(&l));
}

static void test_overflow_utf8(void **state)
{
	struct login l;
	size_t len;

	(void)state;
	login_reset(&l);
	/* A 2-byte character that does not fit is one dropped character. */
	fill(&l, 'a', LOGIN_MAX);
	FEED(&l, A_UML);
	assert_true(login_overflow(&l));
	FEED(&l, DEL);
	assert_false(login_overflow(&l));
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX);

	/* Split at the limit: its first byte is taken back as well. */
	login_reset(&l);
	fill(&l, 'a', LOGIN_MAX - 1);
	FEED(&l, A_UML);
	assert_true(login_overflow(&l));
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX - 1);
	FEED(&l, DEL);
	assert_false(login_overflow(&l));
	FEED(&l, "b\r");
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX);
	assert_false(login_overflow(&l));

	/* Same with a 4-byte character split after two bytes. */
	login_reset(&l);
	fill(&l, 'a', LOGIN_MAX - 2);
	FEED(&l, "\xf0\x9f\x94\x91");
	assert_true(login_overflow(&l));
	login_text(&l, &len);
	assert_int_equal(len, LOGIN_MAX - 2);
}

static void test_wipe(void **state)
{
	static const char zero[LOGIN_MAX + 1];
	struct login l;

	(void)state;
	login_reset(&l);
	FEED(&l, "secret\r");
	login_wipe(&l);
	assert_string_equal(login_text(&l, NULL), "");
	assert_memory_equal(l.buf, zero, sizeof(zero));
	/* The LF of the CR LF is still swallowed after a wipe. */
	assert_string_equal(FEED(&l, "\n\n"), ".L");

	/* Without a wipe, the next byte starts a fresh, clean line. */
	FEED(&l, "secret\r");
	FEED(&l, "x");
	assert_string_equal(login_text(&l, NULL), "x");
	assert_memory_equal(l.buf + 1, zero, sizeof(zero) - 1);

	/* Backspace clears what it deletes. */
	login_reset(&l);
	FEED(&l, "ab" DEL DEL);
	assert_memory_equal(l.buf, zero, sizeof(zero));
}

static void test_reset(void **state)
{
	struct login l;

	(void)state;
	memset(&l, 0, sizeof(l));	/* zeros are a reset struct */
	EXPECT_LINE(&l, "a\r", "a");
	FEED(&l, "xy" ESC "[");
	login_reset(&l);
	EXPECT_LINE(&l, "A\r", "A");	/* not swallowed as a CSI final */
	FEED(&l, "\r");
	login_reset(&l);
	assert_string_equal(FEED(&l, "\n"), "L");	/* no pending CR */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_line),
		cmocka_unit_test(test_enter_variants),
		cmocka_unit_test(test_backspace),
		cmocka_unit_test(test_ctrl_u_and_ctrl_c),
		cmocka_unit_test(test_control_bytes_swallowed),
		cmocka_unit_test(test_escape_sequences),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_overflow_utf8),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests_name("login", tests, NULL, NULL);
}
