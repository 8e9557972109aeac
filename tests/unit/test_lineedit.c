/*
 * Unit tests for the serial-console line editor (kernel/lineedit.c): the
 * echo and redraw bytes it writes, the editing keys, history, line endings,
 * hostile input (garbage escapes, overflow, random bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "kernel/lineedit.h"

#define PROMPT		"keel # "
#define K_UP		"\x1b[A"
#define K_DOWN		"\x1b[B"
#define K_RIGHT		"\x1b[C"
#define K_LEFT		"\x1b[D"
#define K_HOME		"\x1b[H"
#define K_END		"\x1b[F"
#define K_DELETE	"\x1b[3~"
#define K_BS		"\x7f"
#define ERASE		"\x1b[J"

struct capture {
	char buf[1 << 16];
	size_t len;
};

static struct capture cap;
static struct lineedit le;

static void cap_out(void *ctx, const char *s, size_t n)
{
	struct capture *c = ctx;

	assert_non_null(s);
	assert_true(n > 0);
	assert_true(n < sizeof(c->buf) - c->len);
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

static void cap_reset(void)
{
	cap.len = 0;
	cap.buf[0] = '\0';
}

static int setup(void **state)
{
	lineedit_init(&le, PROMPT, cap_out, &cap);
	lineedit_start(&le);
	cap_reset();
	return 0;
}

/* Feed a string; at most one byte of it may produce an event, returned. */
static enum lineedit_event feed(const char *s)
{
	enum lineedit_event ev = LINEEDIT_NONE, e;

	for (; *s; s++) {
		e = lineedit_feed(&le, (uint8_t)*s);
		if (e == LINEEDIT_NONE)
			continue;
		assert_int_equal(ev, LINEEDIT_NONE);
		ev = e;
	}
	return ev;
}

static int count_lines(const char *s, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		if (lineedit_feed(&le, (uint8_t)s[i]) == LINEEDIT_LINE)
			lines++;
	return lines;
}

static void enter_line(const char *s)
{
	feed(s);
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_string_equal(le.line, s);
	lineedit_start(&le);
}

static void assert_line(const char *text, size_t cursor)
{
	assert_string_equal(le.buf, text);
	assert_int_equal(le.len, strlen(text));
	assert_int_equal(le.cursor, cursor);
}

/* ---------------------------------------------------------------- basics */

static void test_prompt_and_echo(void **state)
{
	cap_reset();
	lineedit_start(&le);
	assert_string_equal(cap.buf, PROMPT);
	assert_int_equal(feed("list"), LINEEDIT_NONE);
	assert_string_equal(cap.buf, PROMPT "list");
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_string_equal(cap.buf, PROMPT "list\r\n");
	assert_string_equal(le.line, "list");
	assert_line("", 0);
}

static void test_insert_middle(void **state)
{
	feed("ac" K_LEFT "b");
	assert_string_equal(cap.buf, "ac" "\x1b[D" "bc" "\x1b[D");
	assert_line("abc", 2);
	cap_reset();
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_string_equal(cap.buf, "\x1b[C\r\n");
	assert_string_equal(le.line, "abc");
}

static void test_insert_at_start(void **state)
{
	feed("bc" K_HOME);
	cap_reset();
	feed("a");
	assert_string_equal(cap.buf, "abc\x1b[2D");
	assert_line("abc", 1);
}

static void test_backspace(void **state)
{
	feed("abc" K_LEFT);
	cap_reset();
	feed(K_BS);
	assert_string_equal(cap.buf, "\x1b[D" "c" ERASE "\x1b[D");
	assert_line("ac", 1);
	feed("\b");
	assert_line("c", 0);
	cap_reset();
	feed(K_BS "\b");	/* at the start: nothing happens */
	assert_string_equal(cap.buf, "");
	assert_line("c", 0);
	feed(K_END K_BS);
	assert_line("", 0);
}

static void test_backspace_at_end(void **state)
{
	feed("ab");
	cap_reset();
	feed(K_BS);
	assert_string_equal(cap.buf, "\x1b[D" ERASE);
	assert_line("a", 1);
}

static void test_delete(void **state)
{
	feed("abc" K_HOME);
	cap_reset();
	feed(K_DELETE);
	assert_string_equal(cap.buf, "bc" ERASE "\x1b[2D");
	assert_line("bc", 0);
	feed(K_END);
	cap_reset();
	feed(K_DELETE);
	assert_string_equal(cap.buf, "");
	assert_line("bc", 2);
}

static void test_home_end_keys(void **state)
{
	static const char *const home[] = {
		"\x1b[H", "\x1b[1~", "\x1b[7~", "\x1bOH", "\x01",
	};
	static const char *const end[] = {
		"\x1b[F", "\x1b[4~", "\x1b[8~", "\x1bOF", "\x05",
	};

	feed("hello");
	for (size_t i = 0; i < sizeof(home) / sizeof(home[0]); i++) {
		cap_reset();
		feed(home[i]);
		assert_line("hello", 0);
		assert_string_equal(cap.buf, "\x1b[5D");
		feed(end[i]);
		assert_line("hello", 5);
	}
}

static void test_left_right_keys(void **state)
{
	feed("abc");
	feed(K_LEFT);
	assert_int_equal(le.cursor, 2);
	feed("\x1bOD");
	assert_int_equal(le.cursor, 1);
	feed("\x02");		/* Ctrl-B */
	assert_int_equal(le.cursor, 0);
	feed(K_RIGHT);
	assert_int_equal(le.cursor, 1);
	feed("\x1bOC");
	assert_int_equal(le.cursor, 2);
	feed("\x06");		/* Ctrl-F */
	assert_int_equal(le.cursor, 3);
	feed("\x1b[1;5D");	/* Ctrl-Left moves like Left */
	assert_int_equal(le.cursor, 2);
}

static void test_arrows_at_edges(void **state)
{
	feed("ab");
	cap_reset();
	feed(K_RIGHT);
	assert_string_equal(cap.buf, "");
	feed(K_HOME);
	cap_reset();
	feed(K_LEFT K_HOME);
	assert_string_equal(cap.buf, "");
	assert_line("ab", 0);
}

/* ---------------------------------------------------------------- kills */

static void test_ctrl_c(void **state)
{
	feed("abc" K_LEFT);
	cap_reset();
	assert_int_equal(feed("\x03"), LINEEDIT_NONE);
	assert_string_equal(cap.buf, "\x1b[C^C\r\n" PROMPT);
	assert_line("", 0);
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_string_equal(le.line, "");
	assert_null(lineedit_history(&le, 0));
}

static void test_kill_keys(void **state)
{
	feed("one two three");
	feed("\x17");		/* Ctrl-W */
	assert_line("one two ", 8);
	feed("\x17");
	assert_line("one ", 4);
	feed("x" K_LEFT);
	assert_line("one x", 4);
	cap_reset();
	feed("\x15");		/* Ctrl-U */
	assert_string_equal(cap.buf, "\x1b[4D" "x" ERASE "\x1b[D");
	assert_line("x", 0);
	feed("yz" K_LEFT);
	feed("\x0b");		/* Ctrl-K */
	assert_line("y", 1);
	feed(K_HOME "\x17");	/* Ctrl-W at the start: nothing */
	assert_line("y", 0);
}

static void test_ctrl_d(void **state)
{
	feed("ab" K_HOME);
	assert_int_equal(feed("\x04"), LINEEDIT_NONE);
	assert_line("b", 0);
	feed("\x04");
	assert_line("", 0);
	cap_reset();
	assert_int_equal(feed("\x04"), LINEEDIT_EOF);
	assert_string_equal(cap.buf, "\r\n");
}

/* ---------------------------------------------------------------- enter */

static void test_line_endings(void **state)
{
	static const char crlf[] = "a\r\nb\nc\r";

	assert_int_equal(count_lines(crlf, sizeof(crlf) - 1), 3);
	assert_string_equal(le.line, "c");
	assert_int_equal(count_lines("\r\n\r\n", 4), 2);
	assert_int_equal(count_lines("\n\n", 2), 2);
	assert_int_equal(count_lines("\n\r", 2), 2);
	assert_int_equal(count_lines("\n", 1), 0);	/* LF of that CR */
	/* the LF of a CR LF still counts once when the prompt comes between */
	assert_int_equal(count_lines("x\r", 2), 1);
	lineedit_start(&le);
	assert_int_equal(count_lines("\ny\r", 3), 1);
	assert_string_equal(le.line, "y");
}

static void test_overflow(void **state)
{
	size_t bells = 0;

	for (int i = 0; i < LINEEDIT_MAX + 44; i++)
		feed("x");
	for (size_t i = 0; i < cap.len; i++)
		bells += cap.buf[i] == '\a';
	assert_int_equal(bells, 44);
	assert_int_equal(le.len, LINEEDIT_MAX);
	assert_int_equal(le.buf[LINEEDIT_MAX], '\0');
	feed(K_HOME);
	cap_reset();
	feed("y");
	assert_string_equal(cap.buf, "\a");
	assert_int_equal(le.buf[0], 'x');
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_int_equal(strlen(le.line), LINEEDIT_MAX);
}

/* ---------------------------------------------------------------- garbage */

static void test_garbage_escapes(void **state)
{
	static const char *const junk[] = {
		"\x1b[99~", "\x1b[2~", "\x1b[5~", "\x1b[11~", "\x1b[?25h",
		"\x1b[1;5Z", "\x1b[ q", "\x1bOZ", "\x1bx", "\x1b\x80",
		"\x80\xff\xc3\xa9", "\x1b[1;2R", "\x00", "\x07", "\x0c",
		"\x1c\x1d\x1e\x1f", "\x1b[>0c", "\x1b[\x90", "\x09",
		"\x1b[?1~", "\x1b[>D", "\x1b[ H", "\x1b[<3~",
		"\x1b[99999999999999999999999~",
		"\x1b[;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;3~",
	};

	feed("ok");
	feed("\x1b[3~");	/* at the end: nothing to delete */
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		cap_reset();
		if (junk[i][0] == '\0')
			lineedit_feed(&le, 0);
		else
			assert_int_equal(feed(junk[i]), LINEEDIT_NONE);
		assert_string_equal(cap.buf, "");
		assert_line("ok", 2);
	}
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_string_equal(le.line, "ok");
}

static void test_broken_escapes(void **state)
{
	feed("ab");
	/* ESC inside a sequence starts a new one */
	feed("\x1b[1\x1b[D");
	assert_line("ab", 1);
	feed("\x1b\x1bOD");
	assert_line("ab", 0);
	/* Enter inside a sequence still ends the line */
	assert_int_equal(feed("\x1b[12\r"), LINEEDIT_LINE);
	assert_string_equal(le.line, "ab");
	lineedit_start(&le);
	assert_int_equal(feed("\x1bO\r"), LINEEDIT_LINE);
	assert_int_equal(feed("\x1b\r"), LINEEDIT_LINE);
	/* a printable after a dropped sequence is ordinary input again */
	feed("\x1b[1\x01z");
	assert_line("z", 1);
}

/* ---------------------------------------------------------------- history */

static void test_history_up_down(void **state)
{
	enter_line("one");
	enter_line("two");
	enter_line("three");
	cap_reset();
	feed(K_UP);
	assert_string_equal(cap.buf, "three" ERASE);
	assert_line("three", 5);
	feed(K_UP);
	assert_line("two", 3);
	feed("\x1bOA");
	assert_line("one", 3);
	cap_reset();
	feed(K_UP);		/* oldest: stays */
	assert_line("one", 3);
	assert_string_equal(cap.buf, "");
	feed(K_DOWN);
	assert_line("two", 3);
	feed("\x0e");		/* Ctrl-N */
	assert_line("three", 5);
	feed("\x10");		/* Ctrl-P */
	assert_line("two", 3);
	feed("\x1bOB" K_DOWN);
	assert_line("", 0);
	feed(K_DOWN);
	assert_line("", 0);
}

static void test_history_replaces_longer_line(void **state)
{
	enter_line("ab");
	feed("abcdef" K_LEFT K_LEFT);
	cap_reset();
	feed(K_UP);
	assert_string_equal(cap.buf, "\x1b[4D" "ab" ERASE);
	assert_line("ab", 2);
}

static void test_history_keeps_typed_line(void **state)
{
	enter_line("one");
	feed("dra");
	feed(K_UP);
	assert_line("one", 3);
	feed(K_DOWN);
	assert_line("dra", 3);
	feed("ft\r");
	assert_string_equal(le.line, "draft");
}

static void test_history_edit_recalled(void **state)
{
	enter_line("one");
	enter_line("two");
	enter_line("three");
	feed(K_UP K_UP "X");
	assert_line("twoX", 4);
	feed(K_UP);
	assert_line("one", 3);
	feed(K_DOWN);
	assert_line("twoX", 4);	/* the edit is still there */
	feed(K_DOWN);
	assert_line("three", 5);
	feed(K_UP);
	assert_line("twoX", 4);
	assert_int_equal(feed("\r"), LINEEDIT_LINE);
	assert_string_equal(le.line, "twoX");
	lineedit_start(&le);
	/* history itself was not changed by the edit */
	assert_string_equal(lineedit_history(&le, 0), "twoX");
	assert_string_equal(lineedit_history(&le, 1), "three");
	assert_string_equal(lineedit_history(&le, 2), "two");
	assert_string_equal(lineedit_history(&le, 3), "one");
	feed(K_UP K_UP K_UP);
	assert_line("two", 3);
}

static void test_history_edits_dropped_by_ctrl_c(void **state)
{
	enter_line("one");
	feed(K_UP "Z\x03");
	feed(K_UP);
	assert_line("one", 3);
}

static void test_history_filters(void **state)
{
	enter_line("a");
	enter_line("");
	enter_line("   ");
	enter_line("a");
	enter_line("b");
	enter_line("a");
	assert_string_equal(lineedit_history(&le, 0), "a");
	assert_string_equal(lineedit_history(&le, 1), "b");
	assert_string_equal(lineedit_history(&le, 2), "a");
	assert_null(lineedit_history(&le, 3));
}

static void test_history_ring(void **state)
{
	char line[16];

	for (int i = 0; i < LINEEDIT_HISTORY + 8; i++) {
		snprintf(line, sizeof(line), "cmd%d", i);
		enter_line(line);
	}
	assert_int_equal(le.hist_count, LINEEDIT_HISTORY);
	assert_string_equal(lineedit_history(&le, 0), "cmd39");
	assert_string_equal(lineedit_history(&le, LINEEDIT_HISTORY - 1),
			    "cmd8");
	assert_null(lineedit_history(&le, LINEEDIT_HISTORY));
	for (int i = 0; i < LINEEDIT_HISTORY + 8; i++)
		feed(K_UP);
	assert_line("cmd8", 4);
}

static void test_history_survives_start(void **state)
{
	enter_line("dominfo x");
	lineedit_start(&le);
	lineedit_start(&le);
	feed(K_UP);
	assert_line("dominfo x", 9);
}

/* ---------------------------------------------------------------- width */

static void test_wrap(void **state)
{
	assert_int_equal(lineedit_set_width(&le, 20), 0);
	/* prompt 7 + 13 characters fills the first row exactly */
	feed("abcdefghijkl");
	cap_reset();
	feed("m");
	assert_string_equal(cap.buf, "m \b");
	cap_reset();
	feed(K_HOME);
	assert_string_equal(cap.buf, "\x1b[A\x1b[7C");
	cap_reset();
	feed(K_END);
	assert_string_equal(cap.buf, "\x1b[B\x1b[7D");
	cap_reset();
	feed(K_BS);
	assert_string_equal(cap.buf, "\x1b[A\x1b[19C" ERASE);
	assert_line("abcdefghijkl", 12);
	feed("mn" K_HOME);
	cap_reset();
	feed("_");
	/* tail redrawn across the wrap, cursor back up on row 0, column 8 */
	assert_string_equal(cap.buf, "_abcdefghijklmn\x1b[A\x1b[6C");
	assert_line("_abcdefghijklmn", 1);
}

static void test_set_width_limits(void **state)
{
	assert_int_equal(lineedit_set_width(&le, 0), -E_RANGE);
	assert_int_equal(lineedit_set_width(&le, LINEEDIT_MAX_COLS + 1),
			 -E_RANGE);
	assert_int_equal(le.cols, LINEEDIT_COLS);
	assert_int_equal(lineedit_set_width(&le, 1), 0);
	feed("abc" K_HOME);
	assert_line("abc", 0);
}

static void test_width_query(void **state)
{
	feed("ab");
	lineedit_query_width(&le);
	assert_string_equal(cap.buf, "ab\x1b" "7\x1b[999;999H\x1b[6n\x1b" "8");
	cap_reset();
	feed("\x1b[24;132R");
	assert_int_equal(le.cols, 132);
	assert_string_equal(cap.buf, "");
	assert_line("ab", 2);
	feed("\x1b[24;40R");	/* unasked (or Shift-F3): ignored */
	assert_int_equal(le.cols, 132);
	lineedit_query_width(&le);
	feed("\x1b[24;0R");	/* nonsense: ignored */
	assert_int_equal(le.cols, 132);
}

/* ---------------------------------------------------------------- tab */

static int completions;

static void complete_pin(void *ctx, struct lineedit *ed)
{
	completions++;
	assert_ptr_equal(ctx, &completions);
	assert_int_equal(lineedit_insert(ed, "pin ", 4), 0);
}

static void test_tab_without_hook(void **state)
{
	feed("ab");
	cap_reset();
	feed("\t");
	assert_string_equal(cap.buf, "");
	assert_line("ab", 2);
}

static void test_tab_hook(void **state)
{
	completions = 0;
	lineedit_set_complete(&le, complete_pin, &completions);
	feed("vcpu\t");
	assert_int_equal(completions, 1);
	assert_line("vcpupin ", 8);
	feed(K_LEFT);
	cap_reset();
	lineedit_refresh(&le);
	assert_string_equal(cap.buf, PROMPT "vcpupin \x1b[D");
	lineedit_set_complete(&le, NULL, NULL);
	feed("\t");
	assert_int_equal(completions, 1);
}

static void test_insert_api(void **state)
{
	char big[LINEEDIT_MAX + 1];

	memset(big, 'q', sizeof(big));
	assert_int_equal(lineedit_insert(&le, "a\x1b", 2), -E_INVAL);
	assert_int_equal(lineedit_insert(&le, "\x80", 1), -E_INVAL);
	assert_int_equal(lineedit_insert(&le, big, sizeof(big)), -E_RANGE);
	assert_line("", 0);
	assert_int_equal(lineedit_insert(&le, big, LINEEDIT_MAX), 0);
	assert_int_equal(lineedit_insert(&le, "z", 1), -E_RANGE);
	assert_int_equal(le.len, LINEEDIT_MAX);
}

static void test_null_prompt(void **state)
{
	lineedit_init(&le, NULL, cap_out, &cap);
	cap_reset();
	lineedit_start(&le);
	assert_string_equal(cap.buf, "");
	feed("x\r");
	assert_string_equal(le.line, "x");
}

/* ---------------------------------------------------------------- fuzz */

static size_t sink_bytes;

static void sink_out(void *ctx, const char *s, size_t n)
{
	assert_non_null(s);
	assert_true(n > 0);
	sink_bytes += n;
}

static uint32_t rng = 12345;

static uint32_t next_random(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 16;
}

/* Mostly bytes that mean something to the editor, some pure noise. */
static uint8_t random_byte(void)
{
	static const char interesting[] = "\x1b[O~;0123456789ABCDFHR\r\n"
		"\x7f\x08\x01\x02\x03\x04\x05\x06\x0b\x0e\x10\x15\x17\t";
	uint32_t r = next_random() % 10;

	if (r < 4)
		return (uint8_t)(' ' + next_random() % 95);
	if (r < 9)
		return (uint8_t)interesting[next_random() %
					    (sizeof(interesting) - 1)];
	return (uint8_t)next_random();
}

static void check_invariants(enum lineedit_event ev)
{
	assert_true(le.len <= LINEEDIT_MAX);
	assert_true(le.cursor <= le.len);
	assert_int_equal(le.buf[le.len], '\0');
	assert_int_equal(strlen(le.buf), le.len);
	assert_true(le.hist_count <= LINEEDIT_HISTORY);
	assert_true(le.hist_pos <= le.hist_count);
	assert_true(le.cols >= 1 && le.cols <= LINEEDIT_MAX_COLS);
	if (ev == LINEEDIT_LINE)
		assert_true(strlen(le.line) <= LINEEDIT_MAX);
}

static void test_fuzz(void **state)
{
	enum lineedit_event ev;

	lineedit_init(&le, PROMPT, sink_out, NULL);
	lineedit_start(&le);
	for (int i = 0; i < 50000; i++) {
		if (i % 5000 == 0)
			lineedit_set_width(&le, 1 + next_random() % 100);
		if (i % 7000 == 0)
			lineedit_query_width(&le);
		ev = lineedit_feed(&le, random_byte());
		check_invariants(ev);
		if (ev != LINEEDIT_NONE)
			lineedit_start(&le);
	}
	assert_true(sink_bytes > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, setup)
		T(test_prompt_and_echo),
		T(test_insert_middle),
		T(test_insert_at_start),
		T(test_backspace),
		T(test_backspace_at_end),
		T(test_delete),
		T(test_home_end_keys),
		T(test_left_right_keys),
		T(test_arrows_at_edges),
		T(test_ctrl_c),
		T(test_kill_keys),
		T(test_ctrl_d),
		T(test_line_endings),
		T(test_overflow),
		T(test_garbage_escapes),
		T(test_broken_escapes),
		T(test_history_up_down),
		T(test_history_replaces_longer_line),
		T(test_history_keeps_typed_line),
		T(test_history_edit_recalled),
		T(test_history_edits_dropped_by_ctrl_c),
		T(test_history_filters),
		T(test_history_ring),
		T(test_history_survives_start),
		T(test_wrap),
		T(test_set_width_limits),
		T(test_width_query),
		T(test_tab_without_hook),
		T(test_tab_hook),
		T(test_insert_api),
		T(test_null_prompt),
		T(test_fuzz),
#undef T
	};

	return cmocka_run_group_tests_name("lineedit", tests, NULL, NULL);
}
