/*
 * Password line entry (see kernel/login.h for the keys).
 *
 * One byte at a time: an escape-sequence decoder runs first and swallows
 * whole sequences; what remains is a control key, or a byte to store.
 * Nothing is echoed, so there is no output side at all.
 */
#include "kernel/login.h"

#define KEY_CTRL(c)	((c) & 0x1f)
#define KEY_BS		0x08
#define KEY_LF		0x0a
#define KEY_CR		0x0d
#define KEY_ESC		0x1b
#define KEY_DEL		0x7f
#define CTRL_KEYS	0x20		/* C0 control codes 0x00..0x1f */

/* ECMA-48 section 5.4: parameter and intermediate bytes continue a control
 * sequence, a byte in 0x40..0x7e ends it. */
#define CSI_BODY_MIN	0x20
#define CSI_BODY_MAX	0x3f
#define CSI_FINAL_MIN	0x40
#define CSI_FINAL_MAX	0x7e

/* UTF-8: continuation bytes are 10xxxxxx, lead bytes of longer
 * characters 11xxxxxx; a character is at most 4 bytes. */
#define UTF8_CONT_MASK	0xc0
#define UTF8_CONT	0x80
#define UTF8_LEAD	0xc0
#define UTF8_MAX	4

static bool is_cont(uint8_t b)
{
	return (b & UTF8_CONT_MASK) == UTF8_CONT;
}

static bool is_lead(uint8_t b)
{
	return b >= UTF8_LEAD;
}

void login_wipe(struct login *l)
{
	memzero_explicit(l->buf, sizeof(l->buf));
	l->len = 0;
	l->dropped = 0;
}

void login_reset(struct login *l)
{
	login_wipe(l);
	l->esc = LOGIN_ESC_NONE;
	l->after_cr = false;
	l->done = false;
}

const char *login_text(const struct login *l, size_t *len)
{
	if (len)
		*len = l->len;
	return l->buf;
}

bool login_overflow(const struct login *l)
{
	return l->dropped > 0;
}

/* Bytes of the last stored character: a lead byte and its continuation
 * bytes, or a single byte when they do not form one. */
static size_t last_char_len(const struct login *l)
{
	const uint8_t *b = (const uint8_t *)l->buf;
	size_t n = 1;

	while (n < l->len && n < UTF8_MAX && is_cont(b[l->len - n]))
		n++;
	if (n > 1 && is_lead(b[l->len - n]))
		return n;
	return 1;
}

static void backspace(struct login *l)
{
	size_t n;

	if (l->dropped) {
		l->dropped--;
		return;
	}
	if (!l->len)
		return;
	n = last_char_len(l);
	l->len -= n;
	memzero_explicit(l->buf + l->len, n);
}

/* Is the last stored character a UTF-8 lead byte still waiting for its
 * continuation bytes, as far as `byte`, one of them, shows? */
static bool splits_char(const struct login *l, uint8_t byte)
{
	return is_cont(byte) &&
	       (last_char_len(l) > 1 || is_lead((uint8_t)l->buf[l->len - 1]));
}

/* A character that does not fit is dropped whole: when the buffer fills
 * in the middle of a UTF-8 character, its stored part is taken back, and
 * continuation bytes of a dropped character are not counted again. */
static void store(struct login *l, uint8_t byte)
{
	if (l->dropped) {
		if (!is_cont(byte))
			l->dropped++;
		return;
	}
	if (l->len < LOGIN_MAX) {
		l->buf[l->len++] = (char)byte;
		return;
	}
	if (splits_char(l, byte))
		backspace(l);
	l->dropped = 1;
}

/* Swallow escape sequences; false when the byte is not part of one and
 * must be handled as a key. */
static bool in_escape(struct login *l, uint8_t byte)
{
	enum login_esc state = l->esc;

	if (state == LOGIN_ESC_NONE)
		return false;
	l->esc = LOGIN_ESC_NONE;
	if (byte < CTRL_KEYS && byte != KEY_ESC)
		return false;		/* interrupted: handle the key */
	if (byte == KEY_ESC) {
		l->esc = LOGIN_ESC;	/* a new sequence starts */
		return true;
	}
	if (state == LOGIN_ESC && byte == '[')
		l->esc = LOGIN_ESC_CSI;
	else if (state == LOGIN_ESC && byte == 'O')
		l->esc = LOGIN_ESC_SS3;
	else if (state == LOGIN_ESC_CSI && byte >= CSI_BODY_MIN && byte <= CSI_BODY_MAX)
		l->esc = LOGIN_ESC_CSI;
	else if (state == LOGIN_ESC_CSI && (byte < CSI_FINAL_MIN || byte > CSI_FINAL_MAX))
		return false;		/* not a CSI byte: handle it */
	return true;
}

static enum login_event control_key(struct login *l, uint8_t byte)
{
	switch (byte) {
	case KEY_CR:
	case KEY_LF:
		l->done = true;
		return LOGIN_LINE;
	case KEY_CTRL('C'):
		login_wipe(l);
		return LOGIN_CANCEL;
	case KEY_CTRL('U'):
		login_wipe(l);
		return LOGIN_NONE;
	case KEY_BS:
	case KEY_DEL:
		backspace(l);
		return LOGIN_NONE;
	case KEY_ESC:
		l->esc = LOGIN_ESC;
		return LOGIN_NONE;
	default:
		return LOGIN_NONE;	/* other control keys do nothing */
	}
}

enum login_event login_feed(struct login *l, uint8_t byte)
{
	bool lf_after_cr = l->after_cr && byte == KEY_LF;

	if (l->done) {
		login_wipe(l);
		l->done = false;
	}
	l->after_cr = byte == KEY_CR;
	if (lf_after_cr)
		return LOGIN_NONE;
	if (in_escape(l, byte))
		return LOGIN_NONE;
	if (byte < CTRL_KEYS || byte == KEY_DEL)
		return control_key(l, byte);
	store(l, byte);
	return LOGIN_NONE;
}
