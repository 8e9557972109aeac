/* Unit tests for the XML tokenizer's API (vmm/xml.c). Its handling of the
 * whole language is covered through the domain parser in test_domxml.c;
 * these check the contract of each entry point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "vmm/xml.h"

static struct xml_lexer lx;	/* a few KiB: not on cmocka's stack */

static void init(const char *text)
{
	xml_init(&lx, text, strlen(text));
}

static void test_tokens_in_order(void **state)
{
	(void)state;
	init("<?xml version='1.0'?>\n<!-- c -->\n<a x=\"1\" y='&lt;&#x41;'>hi<b/></a>\n");
	assert_int_equal(xml_prolog(&lx), 0);
	assert_string_equal(lx.tag.name, "a");
	assert_int_equal(lx.tag.line, 3);
	assert_int_equal(lx.tag.nr_attr, 2);
	assert_string_equal(lx.tag.attr[0].name, "x");
	assert_string_equal(lx.tag.attr[1].value, "<A");
	assert_false(lx.tag.empty);
	assert_int_equal(xml_next(&lx), XML_TOK_TEXT);
	assert_true(lx.nonblank);
	assert_int_equal(xml_next(&lx), XML_TOK_START);
	assert_string_equal(lx.tag.name, "b");
	assert_true(lx.tag.empty);
	assert_int_equal(xml_next(&lx), XML_TOK_END);
	assert_string_equal(lx.tag.name, "a");
	assert_int_equal(xml_epilog(&lx), 0);
	assert_int_equal(xml_next(&lx), XML_TOK_EOF);
	assert_string_equal(lx.error.msg, "");
}

static void test_keep_text_and_trim(void **state)
{
	(void)state;
	init("<a>\n  one &amp; two\t\n</a>");
	assert_int_equal(xml_prolog(&lx), 0);
	xml_text_clear(&lx);
	lx.keep_text = true;
	assert_int_equal(xml_next_in(&lx, "a", 1), XML_TOK_TEXT);
	assert_int_equal(lx.text_line, 2);
	assert_string_equal(lx.text, "\n  one & two\t\n");
	assert_string_equal(xml_text_trim(&lx), "one & two");
	assert_int_equal(xml_next_in(&lx, "a", 1), XML_TOK_END);

	/* Without keep_text the text is validated but not kept. */
	init("<a> x </a>");
	assert_int_equal(xml_prolog(&lx), 0);
	xml_text_clear(&lx);
	assert_int_equal(xml_next(&lx), XML_TOK_TEXT);
	assert_string_equal(lx.text, "");
}

static void test_next_in_errors(void **state)
{
	(void)state;
	init("<a>\n<b></c></a>");
	assert_int_equal(xml_prolog(&lx), 0);
	assert_int_equal(xml_next_in(&lx, "a", 1), XML_TOK_TEXT);
	assert_int_equal(xml_next_in(&lx, "a", 1), XML_TOK_START);
	assert_int_equal(xml_next_in(&lx, "b", 2), -E_INVAL);
	assert_int_equal(lx.error.line, 2);
	assert_string_equal(lx.error.msg, "</c> does not close <b> of line 2");

	init("<a>\n");
	assert_int_equal(xml_prolog(&lx), 0);
	assert_int_equal(xml_next_in(&lx, "a", 1), XML_TOK_TEXT);
	assert_int_equal(xml_next_in(&lx, "a", 1), -E_INVAL);
	assert_string_equal(lx.error.msg, "end of file before </a> (opened on line 1)");
}

static void test_skip_element_depth(void **state)
{
	char doc[256] = "";
	int i;

	(void)state;
	for (i = 0; i < XML_MAX_DEPTH; i++)
		strcat(doc, "<e>");
	for (i = 0; i < XML_MAX_DEPTH; i++)
		strcat(doc, "</e>");
	init(doc);
	assert_int_equal(xml_prolog(&lx), 0);
	assert_int_equal(xml_skip_element(&lx), 0);
	assert_int_equal(xml_epilog(&lx), 0);

	doc[0] = '\0';		/* one level more than allowed */
	for (i = 0; i <= XML_MAX_DEPTH; i++)
		strcat(doc, "<e>");
	init(doc);
	assert_int_equal(xml_prolog(&lx), 0);
	assert_int_equal(xml_skip_element(&lx), -E_INVAL);
	assert_int_equal(lx.error.line, 1);
}

static void test_prolog_and_epilog_errors(void **state)
{
	(void)state;
	init("<!DOCTYPE a><a/>");
	assert_int_equal(xml_prolog(&lx), -E_NOTSUP);
	init("  \n <!-- only -->\n");
	assert_int_equal(xml_prolog(&lx), -E_INVAL);
	assert_string_equal(lx.error.msg, "no root element");
	init("<a/>\n<b/>");
	assert_int_equal(xml_prolog(&lx), 0);
	assert_int_equal(xml_skip_element(&lx), 0);
	assert_int_equal(xml_epilog(&lx), -E_INVAL);
	assert_int_equal(lx.error.line, 2);
	assert_string_equal(lx.error.msg, "second root element <b>");
}

static void test_fail_and_helpers(void **state)
{
	(void)state;
	init("<a/>");
	assert_int_equal(xml_fail(&lx, -E_RANGE, 7, "bad %s", "thing"), -E_RANGE);
	assert_int_equal(lx.error.line, 7);
	assert_string_equal(lx.error.msg, "bad thing");
	assert_true(xml_eq_nocase("utf-8", "UTF-8"));
	assert_false(xml_eq_nocase("UTF-8", "UTF-"));
	assert_true(xml_is_space('\r'));
	assert_false(xml_is_space('\v'));
	assert_int_equal(xml_ascii_lower('Q'), 'q');
	assert_int_equal(xml_ascii_lower('['), '[');
}

/* The input need not be terminated: nothing past len is read. */
static void test_bounded_input(void **state)
{
	static const char text[] = "<a>xy</a>";
	char *copy = malloc(sizeof(text) - 1);

	(void)state;
	memcpy(copy, text, sizeof(text) - 1);
	xml_init(&lx, copy, sizeof(text) - 2);	/* cut inside the end tag */
	assert_int_equal(xml_prolog(&lx), 0);
	assert_int_equal(xml_skip_element(&lx), -E_INVAL);
	assert_string_equal(lx.error.msg, "unexpected end of file");
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_in_order),
		cmocka_unit_test(test_keep_text_and_trim),
		cmocka_unit_test(test_next_in_errors),
		cmocka_unit_test(test_skip_element_depth),
		cmocka_unit_test(test_prolog_and_epilog_errors),
		cmocka_unit_test(test_fail_and_helpers),
		cmocka_unit_test(test_bounded_input),
	};

	return cmocka_run_group_tests_name("xml", tests, NULL, NULL);
}
