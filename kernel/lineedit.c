/*
 * Line editor for the serial console (see kernel/lineedit.h for the keys).
 *
 * Input: one byte at a time. Ordinary bytes go through a table of control
 * keys; ESC starts a small decoder for CSI (ESC [ params final) and SS3
 * (ESC O final) sequences, which map onto the same key actions. A sequence
 * interrupted by a control byte is dropped and the byte handled normally, so
 * line noise can never leave the editor stuck inside a sequence.
 *
 * Output: the terminal cursor always sits on the buffer position
 * le->cursor. Positions map to rows and columns from the prompt's first
 * column with the terminal width, so wrapped lines redraw correctly.
 */
#include "kernel/errno.h"
#include "kernel/lineedit.h"

#define KEY_CTRL(c)	((c) & 0x1f)
#define KEY_ESC		0x1b
#define KEY_DEL		0x7f
#define CTRL_KEYS	0x20		/* C0 control codes 0x00..0x1f */
#define PRINT_MIN	0x20		/* printable ASCII: space .. '~' */
#define PRINT_MAX	0x7e

/* ECMA-48 byte classes inside a control sequence (section 5.4). */
#define CSI_PARAM_MIN	0x30
#define CSI_PARAM_MAX	0x3f
#define CSI_INTER_MIN	0x20
#define CSI_INTER_MAX	0x2f
#define CSI_FINAL_MIN	0x40
#define CSI_FINAL_MAX	0x7e
#define ESC_ARG_LIMIT	9999		/* numeric parameters saturate here */

/* VT220 editing-key codes sent as ESC [ code ~ */
#define VT_HOME		1
#define VT_DELETE	3
#define VT_END		4
#define VT_HOME_RXVT	7
#define VT_END_RXVT	8
#define VT_CODES	9

#define CSI		"\x1b["
#define ERASE_BELOW	CSI "J"
#define BELL		"\a"
#define NEWLINE		"\r\n"
/* Save cursor, go to the far bottom-right corner, report position, restore:
 * the report ESC [ rows ; cols R gives the terminal size. */
#define SIZE_QUERY	"\x1b" "7" CSI "999;999H" CSI "6n" "\x1b" "8"

typedef enum lineedit_event (*key_fn)(struct lineedit *le);

/* ---------------------------------------------------------------- output */

static void emit(struct lineedit *le, const char *s, size_t n)
{
	if (n)
		le->out(le->out_ctx, s, n);
}

static void emit_str(struct lineedit *le, const char *s)
{
	emit(le, s, strlen(s));
}

/* ESC [ n final, with the count left out when it is 1. */
static void emit_csi(struct lineedit *le, size_t n, char final)
{
	char seq[32];
	int len;

	if (n == 0)
		return;
	if (n == 1)
		len = ksnprintf(seq, sizeof(seq), CSI "%c", final);
	else
		len = ksnprintf(seq, sizeof(seq), CSI "%zu%c", n, final);
	emit(le, seq, (size_t)len);
}

static size_t row_of(const struct lineedit *le, size_t pos)
{
	return (le->prompt_len + pos) / le->cols;
}

static size_t col_of(const struct lineedit *le, size_t pos)
{
	return (le->prompt_len + pos) % le->cols;
}

/* Move the terminal cursor from buffer position `from` to `to`. */
static void move_cursor(struct lineedit *le, size_t from, size_t to)
{
	size_t fr = row_of(le, from), tr = row_of(le, to);
	size_t fc = col_of(le, from), tc = col_of(le, to);

	if (fr > tr)
		emit_csi(le, fr - tr, 'A');
	else
		emit_csi(le, tr - fr, 'B');
	if (fc > tc)
		emit_csi(le, fc - tc, 'D');
	else
		emit_csi(le, tc - fc, 'C');
}

/*
 * Output that ends exactly on a column boundary leaves a VT100-style
 * terminal with its cursor still in the last column and a wrap pending, so
 * where it is depends on the terminal. Printing a space and backing over it
 * settles the cursor at column 0 of the next row on every terminal.
 */
static void settle_wrap(struct lineedit *le, size_t pos)
{
	if (le->prompt_len + pos > 0 && col_of(le, pos) == 0)
		emit_str(le, " \b");
}

/* Redraw from buffer position `from` (where the terminal cursor is) to the
 * end, erase what a longer old line left behind when asked, and put the
 * terminal cursor back on le->cursor. */
static void repaint(struct lineedit *le, size_t from, bool erase)
{
	if (le->len > from) {
		emit(le, le->buf + from, le->len - from);
		settle_wrap(le, le->len);
	}
	if (erase)
		emit_str(le, ERASE_BELOW);
	move_cursor(le, le->len, le->cursor);
}

/* ---------------------------------------------------------------- buffer */

static void set_cursor(struct lineedit *le, size_t pos)
{
	move_cursor(le, le->cursor, pos);
	le->cursor = pos;
}

static bool insert_bytes(struct lineedit *le, const char *s, size_t n)
{
	size_t at = le->cursor;

	if (n > LINEEDIT_MAX - le->len) {
		emit_str(le, BELL);
		return false;
	}
	memmove(le->buf + at + n, le->buf + at, le->len - at + 1);
	memcpy(le->buf + at, s, n);
	le->len += n;
	le->cursor += n;
	repaint(le, at, false);
	return true;
}

/* Remove buf[from, to) and leave the cursor at `from`. */
static void delete_range(struct lineedit *le, size_t from, size_t to)
{
	if (from >= to)
		return;
	set_cursor(le, from);
	memmove(le->buf + from, le->buf + to, le->len - to + 1);
	le->len -= to - from;
	repaint(le, from, true);
}

/* Show `text` instead of the current line, cursor at its end. */
static void replace_line(struct lineedit *le, const char *text)
{
	set_cursor(le, 0);
	le->len = strnlen(text, LINEEDIT_MAX);
	memcpy(le->buf, text, le->len);
	le->buf[le->len] = '\0';
	le->cursor = le->len;
	repaint(le, 0, true);
}

/* ---------------------------------------------------------------- history */

static char *hist_entry(struct lineedit *le, size_t i)
{
	return le->hist[(le->hist_first + i) % LINEEDIT_HISTORY];
}

static bool is_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

static void history_add(struct lineedit *le, const char *s)
{
	if (is_blank(s))
		return;
	if (le->hist_count &&
	    strcmp(hist_entry(le, le->hist_count - 1), s) == 0)
		return;
	if (le->hist_count == LINEEDIT_HISTORY) {
		le->hist_first = (le->hist_first + 1) % LINEEDIT_HISTORY;
		le->hist_count--;
	}
	memcpy(hist_entry(le, le->hist_count), s, strlen(s) + 1);
	le->hist_count++;
}

/*
 * Step through history. Whatever is on the line when leaving a position
 * (the line being typed, or an edited recalled entry) is kept in draft[] so
 * that coming back shows it again; the history itself never changes.
 */
static void history_move(struct lineedit *le, bool older)
{
	size_t pos = le->hist_pos;

	if (older ? pos == 0 : pos == le->hist_count)
		return;
	memcpy(le->draft[pos], le->buf, le->len + 1);
	le->draft_used[pos] = true;
	pos = older ? pos - 1 : pos + 1;
	le->hist_pos = pos;
	replace_line(le, le->draft_used[pos] ? le->draft[pos]
					     : hist_entry(le, pos));
}

/* Empty line, browsing back at the newest position, no kept edits. */
static void reset_line(struct lineedit *le)
{
	le->buf[0] = '\0';
	le->len = 0;
	le->cursor = 0;
	le->hist_pos = le->hist_count;
	memset(le->draft_used, 0, sizeof(le->draft_used));
}

/* ---------------------------------------------------------------- keys */

static enum lineedit_event key_left(struct lineedit *le)
{
	if (le->cursor > 0)
		set_cursor(le, le->cursor - 1);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_right(struct lineedit *le)
{
	if (le->cursor < le->len)
		set_cursor(le, le->cursor + 1);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_home(struct lineedit *le)
{
	set_cursor(le, 0);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_end(struct lineedit *le)
{
	set_cursor(le, le->len);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_backspace(struct lineedit *le)
{
	if (le->cursor > 0)
		delete_range(le, le->cursor - 1, le->cursor);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_delete(struct lineedit *le)
{
	if (le->cursor < le->len)
		delete_range(le, le->cursor, le->cursor + 1);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_kill_start(struct lineedit *le)
{
	delete_range(le, 0, le->cursor);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_kill_end(struct lineedit *le)
{
	delete_range(le, le->cursor, le->len);
	return LINEEDIT_NONE;
}

/* Ctrl-W: the spaces before the cursor, then the word before them. */
static enum lineedit_event key_kill_word(struct lineedit *le)
{
	size_t p = le->cursor;

	while (p > 0 && le->buf[p - 1] == ' ')
		p--;
	while (p > 0 && le->buf[p - 1] != ' ')
		p--;
	delete_range(le, p, le->cursor);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_up(struct lineedit *le)
{
	history_move(le, true);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_down(struct lineedit *le)
{
	history_move(le, false);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_interrupt(struct lineedit *le)
{
	set_cursor(le, le->len);
	emit_str(le, "^C" NEWLINE);
	reset_line(le);
	lineedit_refresh(le);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_enter(struct lineedit *le)
{
	set_cursor(le, le->len);
	emit_str(le, NEWLINE);
	memcpy(le->line, le->buf, le->len + 1);
	history_add(le, le->line);
	reset_line(le);
	return LINEEDIT_LINE;
}

/* CR ends the line; an LF right after it belongs to the same Enter. */
static enum lineedit_event key_cr(struct lineedit *le)
{
	le->last_cr = true;
	return key_enter(le);
}

static enum lineedit_event key_ctrl_d(struct lineedit *le)
{
	if (le->len > 0)
		return key_delete(le);
	emit_str(le, NEWLINE);
	reset_line(le);
	return LINEEDIT_EOF;
}

static enum lineedit_event key_tab(struct lineedit *le)
{
	if (le->complete)
		le->complete(le->complete_ctx, le);
	return LINEEDIT_NONE;
}

static enum lineedit_event key_escape(struct lineedit *le)
{
	le->esc = LE_ESC_START;
	return LINEEDIT_NONE;
}

static const key_fn ctrl_keys[CTRL_KEYS] = {
	[KEY_CTRL('A')] = key_home,
	[KEY_CTRL('B')] = key_left,
	[KEY_CTRL('C')] = key_interrupt,
	[KEY_CTRL('D')] = key_ctrl_d,
	[KEY_CTRL('E')] = key_end,
	[KEY_CTRL('F')] = key_right,
	[KEY_CTRL('H')] = key_backspace,
	[KEY_CTRL('I')] = key_tab,
	[KEY_CTRL('J')] = key_enter,
	[KEY_CTRL('K')] = key_kill_end,
	[KEY_CTRL('M')] = key_cr,
	[KEY_CTRL('N')] = key_down,
	[KEY_CTRL('P')] = key_up,
	[KEY_CTRL('U')] = key_kill_start,
	[KEY_CTRL('W')] = key_kill_word,
	[KEY_ESC] = key_escape,
};

/* Final bytes shared by ESC [ x and ESC O x. */
static const struct {
	char final;
	key_fn fn;
} letter_keys[] = {
	{ 'A', key_up },
	{ 'B', key_down },
	{ 'C', key_right },
	{ 'D', key_left },
	{ 'H', key_home },
	{ 'F', key_end },
};

static const key_fn tilde_keys[VT_CODES] = {
	[VT_HOME] = key_home,
	[VT_DELETE] = key_delete,
	[VT_END] = key_end,
	[VT_HOME_RXVT] = key_home,
	[VT_END_RXVT] = key_end,
};

/* ---------------------------------------------------------------- input */

static enum lineedit_event feed_plain(struct lineedit *le, uint8_t byte)
{
	char c = (char)byte;

	if (byte >= PRINT_MIN && byte <= PRINT_MAX) {
		insert_bytes(le, &c, 1);
		return LINEEDIT_NONE;
	}
	if (byte < CTRL_KEYS && ctrl_keys[byte])
		return ctrl_keys[byte](le);
	if (byte == KEY_DEL)
		return key_backspace(le);
	return LINEEDIT_NONE;
}

static enum lineedit_event run_letter(struct lineedit *le, uint8_t final)
{
	for (size_t i = 0; i < ARRAY_SIZE(letter_keys); i++)
		if (letter_keys[i].final == final)
			return letter_keys[i].fn(le);
	return LINEEDIT_NONE;
}

/* ESC [ rows ; cols R, answering lineedit_query_width(). Ignored unless
 * asked for: xterm sends the same shape for Shift-F3. */
static void cursor_report(struct lineedit *le)
{
	if (!le->width_query || le->esc_nargs != 1)
		return;
	le->width_query = false;
	lineedit_set_width(le, le->esc_arg[1]);
}

static enum lineedit_event csi_final(struct lineedit *le, uint8_t final)
{
	unsigned code = le->esc_arg[0];

	le->esc = LE_ESC_NONE;
	if (le->esc_odd)
		return LINEEDIT_NONE;
	if (final == '~')
		return code < VT_CODES && tilde_keys[code] ?
			tilde_keys[code](le) : LINEEDIT_NONE;
	if (final == 'R') {
		cursor_report(le);
		return LINEEDIT_NONE;
	}
	return run_letter(le, final);
}

static void csi_param(struct lineedit *le, uint8_t byte)
{
	unsigned *arg;

	if (byte == ';') {
		if (le->esc_nargs < LINEEDIT_ESC_ARGS)
			le->esc_nargs++;
		return;
	}
	if (byte < '0' || byte > '9') {
		le->esc_odd = true;	/* private parameters: not a key */
		return;
	}
	if (le->esc_nargs >= LINEEDIT_ESC_ARGS)
		return;
	arg = &le->esc_arg[le->esc_nargs];
	*arg = MIN(*arg * 10 + (unsigned)(byte - '0'), ESC_ARG_LIMIT);
}

static enum lineedit_event feed_csi(struct lineedit *le, uint8_t byte)
{
	if (byte >= CSI_PARAM_MIN && byte <= CSI_PARAM_MAX) {
		csi_param(le, byte);
		return LINEEDIT_NONE;
	}
	if (byte >= CSI_INTER_MIN && byte <= CSI_INTER_MAX) {
		le->esc_odd = true;
		return LINEEDIT_NONE;
	}
	if (byte >= CSI_FINAL_MIN && byte <= CSI_FINAL_MAX)
		return csi_final(le, byte);
	le->esc = LE_ESC_NONE;		/* broken sequence: drop it */
	return feed_plain(le, byte);
}

static enum lineedit_event feed_ss3(struct lineedit *le, uint8_t byte)
{
	le->esc = LE_ESC_NONE;
	if (byte >= CSI_FINAL_MIN && byte <= CSI_FINAL_MAX)
		return run_letter(le, byte);
	return feed_plain(le, byte);
}

static enum lineedit_event feed_esc(struct lineedit *le, uint8_t byte)
{
	le->esc = LE_ESC_NONE;
	if (byte == '[') {
		le->esc = LE_ESC_CSI;
		memset(le->esc_arg, 0, sizeof(le->esc_arg));
		le->esc_nargs = 0;
		le->esc_odd = false;
		return LINEEDIT_NONE;
	}
	if (byte == 'O') {
		le->esc = LE_ESC_SS3;
		return LINEEDIT_NONE;
	}
	if (byte < CTRL_KEYS)
		return feed_plain(le, byte);
	return LINEEDIT_NONE;		/* Alt-<key> and the like */
}

enum lineedit_event lineedit_feed(struct lineedit *le, uint8_t byte)
{
	bool after_cr = le->last_cr;

	le->last_cr = false;
	switch (le->esc) {
	case LE_ESC_START:
		return feed_esc(le, byte);
	case LE_ESC_CSI:
		return feed_csi(le, byte);
	case LE_ESC_SS3:
		return feed_ss3(le, byte);
	case LE_ESC_NONE:
		break;
	}
	if (byte == '\n' && after_cr)
		return LINEEDIT_NONE;
	return feed_plain(le, byte);
}

/* ---------------------------------------------------------------- public */

void lineedit_init(struct lineedit *le, const char *prompt,
		   lineedit_out_fn out, void *out_ctx)
{
	memset(le, 0, sizeof(*le));
	le->out = out;
	le->out_ctx = out_ctx;
	le->prompt = prompt ? prompt : "";
	le->prompt_len = strlen(le->prompt);
	le->cols = LINEEDIT_COLS;
}

void lineedit_set_complete(struct lineedit *le, lineedit_complete_fn fn,
			   void *ctx)
{
	le->complete = fn;
	le->complete_ctx = ctx;
}

int lineedit_set_width(struct lineedit *le, size_t cols)
{
	if (cols == 0 || cols > LINEEDIT_MAX_COLS)
		return -E_RANGE;
	le->cols = cols;
	return 0;
}

void lineedit_query_width(struct lineedit *le)
{
	le->width_query = true;
	emit_str(le, SIZE_QUERY);
}

void lineedit_start(struct lineedit *le)
{
	reset_line(le);
	lineedit_refresh(le);
}

void lineedit_refresh(struct lineedit *le)
{
	emit(le, le->prompt, le->prompt_len);
	emit(le, le->buf, le->len);
	settle_wrap(le, le->len);
	move_cursor(le, le->len, le->cursor);
}

int lineedit_insert(struct lineedit *le, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] < PRINT_MIN || (uint8_t)s[i] > PRINT_MAX)
			return -E_INVAL;
	if (n > LINEEDIT_MAX - le->len)
		return -E_RANGE;
	insert_bytes(le, s, n);
	return 0;
}

const char *lineedit_history(const struct lineedit *le, size_t age)
{
	if (age >= le->hist_count)
		return NULL;
	return le->hist[(le->hist_first + le->hist_count - 1 - age) %
			LINEEDIT_HISTORY];
}
