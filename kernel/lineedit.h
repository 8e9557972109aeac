/*
 * Line editor for the serial console: fed one input byte at a time from a
 * VT100/xterm terminal, it keeps the line being typed, echoes and redraws it
 * through an output callback, and keeps a history ring that survives from
 * line to line (and from one console session to the next).
 *
 * Pure code: no hardware, no allocation; the caller owns the struct (it is
 * large because of the history, so make it static, not a stack variable in
 * the kernel).
 *
 * Keys: printable ASCII inserts at the cursor; Backspace (0x7f, 0x08),
 * Delete (ESC[3~), Left/Right (ESC[D/ESC[C, ESC O D/C, Ctrl-B/Ctrl-F),
 * Home/End (ESC[H/F, ESC[1~/4~, ESC[7~/8~, ESC O H/F, Ctrl-A/Ctrl-E),
 * Up/Down history (ESC[A/B, ESC O A/B, Ctrl-P/Ctrl-N), Ctrl-C drops the
 * line, Ctrl-U/Ctrl-K kill to start/end, Ctrl-W kills the word before the
 * cursor, Ctrl-D deletes under the cursor or reports EOF on an empty line,
 * Enter is CR, LF or CR LF (counted once), Tab calls the completion hook.
 * Other control bytes, bytes >= 0x80 and unknown escape sequences are
 * swallowed. Output newlines are "\r\n".
 *
 * Lines longer than the terminal width wrap; the editor tracks rows and
 * columns for the width it was told (default 80, or what the terminal
 * reports after lineedit_query_width()).
 */
#ifndef KEEL_LINEEDIT_H
#define KEEL_LINEEDIT_H

#include "kernel/klib.h"

#define LINEEDIT_MAX		256	/* bytes of text in a line, without NUL */
#define LINEEDIT_HISTORY	32	/* lines kept in the history ring */
#define LINEEDIT_COLS		80	/* terminal width assumed until told */
#define LINEEDIT_MAX_COLS	1024	/* wider reports are not believed */
#define LINEEDIT_ESC_ARGS	2	/* numeric CSI parameters remembered */

typedef void (*lineedit_out_fn)(void *ctx, const char *s, size_t n);

struct lineedit;

/* Tab pressed: the hook may call lineedit_insert(), or print candidates on
 * a fresh line and then call lineedit_refresh(). It reads the line with
 * lineedit_text() and lineedit_cursor(); to print, it first steps past the
 * lineedit_rows_below() rows of a wrapped line and starts a new row. */
typedef void (*lineedit_complete_fn)(void *ctx, struct lineedit *le);

/* What a fed byte produced. */
enum lineedit_event {
	LINEEDIT_NONE,	/* nothing yet: keep feeding */
	LINEEDIT_LINE,	/* a line is complete: read le->line */
	LINEEDIT_EOF,	/* Ctrl-D on an empty line */
};

/* Where the input decoder is inside an escape sequence. */
enum lineedit_esc {
	LE_ESC_NONE,	/* ordinary input */
	LE_ESC_START,	/* after ESC */
	LE_ESC_CSI,	/* after ESC [ : parameters until a final byte */
	LE_ESC_SS3,	/* after ESC O : one final byte */
};

/*
 * All fields are private to lineedit.c (and the inline accessors at the end
 * of this header) except `line`, which holds the last completed line from
 * the LINEEDIT_LINE event until the next one.
 */
struct lineedit {
	/* set by lineedit_init() */
	lineedit_out_fn out;
	void *out_ctx;
	const char *prompt;
	size_t prompt_len;
	size_t cols;
	lineedit_complete_fn complete;
	void *complete_ctx;

	/* the line being edited: buf[len] == '\0', cursor <= len */
	char buf[LINEEDIT_MAX + 1];
	size_t len;
	size_t cursor;

	/* input decoding */
	enum lineedit_esc esc;
	unsigned esc_arg[LINEEDIT_ESC_ARGS];
	size_t esc_nargs;
	bool esc_odd;		/* private or intermediate bytes seen */
	bool last_cr;		/* swallow the LF of a CR LF */
	bool width_query;	/* a cursor-position report is expected */

	/* history ring: logical entry i lives at (hist_first + i) % size */
	char hist[LINEEDIT_HISTORY][LINEEDIT_MAX + 1];
	size_t hist_first;
	size_t hist_count;
	/* browsing: position hist_count is the line being typed; edits made
	 * to recalled entries are kept here until the line is finished */
	size_t hist_pos;
	char draft[LINEEDIT_HISTORY + 1][LINEEDIT_MAX + 1];
	bool draft_used[LINEEDIT_HISTORY + 1];

	/* result */
	char line[LINEEDIT_MAX + 1];
};

/* Set up an editor with an empty history. Prints nothing. */
void lineedit_init(struct lineedit *le, const char *prompt,
		   lineedit_out_fn out, void *out_ctx);

/* Install (or, with NULL, remove) the Tab completion hook. */
void lineedit_set_complete(struct lineedit *le, lineedit_complete_fn fn,
			   void *ctx);

/* Tell the editor the terminal width; 0 or absurd widths are refused
 * with -E_RANGE. */
int lineedit_set_width(struct lineedit *le, size_t cols);

/* Ask the terminal for its size; the reply arrives as input and is
 * consumed by lineedit_feed(). Terminals that do not answer leave the
 * width as it was. */
void lineedit_query_width(struct lineedit *le);

/* Start a new line: empty buffer, print the prompt. History is kept. */
void lineedit_start(struct lineedit *le);

/* Feed one input byte. */
enum lineedit_event lineedit_feed(struct lineedit *le, uint8_t byte);

/* Insert text at the cursor (for completion); refused with -E_RANGE, and
 * nothing inserted, if it would not fit. Non-printable bytes: -E_INVAL. */
int lineedit_insert(struct lineedit *le, const char *s, size_t n);

/* Print the prompt and the line again, with the cursor where it was;
 * assumes the terminal cursor is at the start of a fresh row. */
void lineedit_refresh(struct lineedit *le);

/* History entry `age` back (0 = newest), or NULL. */
const char *lineedit_history(const struct lineedit *le, size_t age);

/* For completion hooks: the line being edited (NUL-terminated), the
 * cursor's offset in it, and the terminal width. */
static inline const char *lineedit_text(const struct lineedit *le)
{
	return le->buf;
}

static inline size_t lineedit_cursor(const struct lineedit *le)
{
	return le->cursor;
}

static inline size_t lineedit_width(const struct lineedit *le)
{
	return le->cols;
}

/* Terminal rows a wrapped line reaches below the row the cursor is on. */
static inline size_t lineedit_rows_below(const struct lineedit *le)
{
	return (le->prompt_len + le->len) / le->cols -
	       (le->prompt_len + le->cursor) / le->cols;
}

#endif
