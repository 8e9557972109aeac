/*
 * Password entry on the serial console: fed one input byte at a time from a
 * VT100/xterm terminal, it collects a line without echoing anything.
 *
 * Pure code: no hardware, no allocation, no output; the caller owns the
 * struct, prints the prompt and checks the line (kernel/passwd.h).
 *
 * Keys: Enter is CR, LF or CR LF (counted once: the LF right after a CR is
 * swallowed); Ctrl-C drops what was typed and reports LOGIN_CANCEL;
 * Backspace (0x7f or 0x08) deletes the last character; Ctrl-U deletes the
 * whole line. Printable ASCII and bytes >= 0x80 are stored; a UTF-8
 * sequence counts as one character for Backspace. Other control bytes and
 * escape sequences (ESC [ ... final, ESC O x, ESC x) are swallowed; a
 * control byte inside a sequence ends it and is handled as usual, so
 * Ctrl-C and Enter always work.
 *
 * At most LOGIN_MAX bytes are stored. Characters typed beyond that are
 * counted, not stored; Backspace takes them back one at a time, and while
 * any are left login_overflow() is true and the line must be refused.
 *
 * The text of a finished line (LOGIN_LINE) stays readable until the next
 * login_feed(), which starts a fresh line; call login_wipe() as soon as the
 * line has been checked.
 */
#ifndef KEEL_LOGIN_H
#define KEEL_LOGIN_H

#include "kernel/klib.h"

#define LOGIN_MAX	128	/* bytes of a password kept, without NUL */

enum login_event {
	LOGIN_NONE,	/* byte consumed, line not finished */
	LOGIN_LINE,	/* Enter: login_text() holds the line */
	LOGIN_CANCEL,	/* Ctrl-C: the line was dropped */
};

enum login_esc {
	LOGIN_ESC_NONE,	/* not in an escape sequence */
	LOGIN_ESC,	/* after ESC */
	LOGIN_ESC_CSI,	/* after ESC [ */
	LOGIN_ESC_SS3,	/* after ESC O */
};

/* All fields are private to kernel/login.c. */
struct login {
	char buf[LOGIN_MAX + 1];	/* the line, NUL-terminated */
	size_t len;			/* bytes in buf */
	size_t dropped;			/* characters typed beyond LOGIN_MAX */
	enum login_esc esc;
	bool after_cr;			/* last byte was CR: swallow one LF */
	bool done;			/* line finished: next byte starts anew */
};

/* Start from nothing: empty line, no pending sequence or CR. A struct
 * filled with zeros is in the same state. */
void login_reset(struct login *l);

/* Take one byte from the terminal. */
enum login_event login_feed(struct login *l, uint8_t byte);

/* The line so far (or the finished line), NUL-terminated; its length in
 * bytes goes to *len when len is not NULL. */
const char *login_text(const struct login *l, size_t *len);

/* Were characters dropped because the line is longer than LOGIN_MAX? */
bool login_overflow(const struct login *l);

/* Clear the text (and the overflow count) so no password stays in memory;
 * a pending CR is kept, so the LF of a CR LF is still swallowed. */
void login_wipe(struct login *l);

#endif
