/* Unit tests for the keel.cfg parser (kernel/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/config.h"
#include "kernel/errno.h"

struct seen {
	char text[512];
	int stop_at;	/* return -E_RANGE on this call (1-based), 0 = never */
	int calls;
};

static int record(void *ctx, const char *key, const char *value, unsigned line)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%u:%s=%s;", line, key, value);
	return ++s->calls == s->stop_at ? -E_RANGE : 0;
}

static int parse(const char *text, struct seen *s, struct config_error *err)
{
	memset(s, 0, sizeof(*s));
	return config_parse(text, strlen(text), record, s, err);
}

static void test_settings_comments_blanks(void **state)
{
	struct seen s;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("# top\n\nloglevel = debug\n  a_b-1=x y # tail\r\nlast=1", &s, &err), 0);
	assert_string_equal(s.text, "3:loglevel=debug;4:a_b-1=x y;5:last=1;");
	assert_int_equal(err.line, 0);
}

static void test_empty_value_allowed(void **state)
{
	struct seen s;
	struct config_error err;

	(void)state;
	assert_int_equal(parse("key =\n", &s, &err), 0);
	assert_string_equal(s.text, "1:key=;");
}

static void test_malformed_lines(void **state)
{
	static const struct { const char *text; unsigned line; const char *what; } cases[] = {
		{ "ok = 1\nno equals here\n", 2, "expected 'key = value'" },
		{ "= value\n", 1, "missing key before '='" },
		{ "Bad Key = 1\n", 1, "keys use a-z, 0-9, '_' and '-'" },
		{ "# c\n\nk # = hidden by comment\n", 3, "expected 'key = value'" },
	};
	struct seen s;
	struct config_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &s, &err), -E_INVAL);
		assert_int_equal(err.line, cases[i].line);
		assert_string_equal(err.what, cases[i].what);
	}
}

static void test_long_key_and_value(void **state)
{
	char text[CONFIG_VALUE_MAX + 64];
	struct seen s;
	struct config_error err;

	(void)state;
	memset(text, 'k', CONFIG_KEY_MAX);
	strcpy(text + CONFIG_KEY_MAX, "=1\n");
	assert_int_equal(parse(text, &s, &err), -E_INVAL);
	assert_string_equal(err.what, "key too long");

	strcpy(text, "k=");
	memset(text + 2, 'v', CONFIG_VALUE_MAX);
	text[2 + CONFIG_VALUE_MAX] = '\0';
	assert_int_equal(parse(text, &s, &err), -E_INVAL);
	assert_int_equal(err.line, 1);
}

static void test_callback_error_stops(void **state)
{
	struct seen s;
	struct config_error err;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(config_parse("a=1\nb=2\nc=3\n", 12, record, &s, &err), -E_RANGE);
	assert_string_equal(s.text, "1:a=1;2:b=2;");
}

static void test_not_nul_terminated_and_nul_byte(void **state)
{
	static const char buf[] = { 'a', '=', '1', '\n', 'b', '=', '2', 'X' };
	static const char nul[] = { 'a', '=', '1', '\0', '\n' };
	struct seen s = { 0 };
	struct config_error err;

	(void)state;
	/* Only the first 7 bytes count: the X beyond len is never read. */
	assert_int_equal(config_parse(buf, 7, record, &s, &err), 0);
	assert_string_equal(s.text, "1:a=1;2:b=2;");
	memset(&s, 0, sizeof(s));
	assert_int_equal(config_parse(nul, sizeof(nul), record, &s, &err), -E_INVAL);
	assert_string_equal(err.what, "NUL byte in file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_comments_blanks),
		cmocka_unit_test(test_empty_value_allowed),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_long_key_and_value),
		cmocka_unit_test(test_callback_error_stops),
		cmocka_unit_test(test_not_nul_terminated_and_nul_byte),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
