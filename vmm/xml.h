/*
 * A small strict pull tokenizer for XML 1.0 (W3C, 5th edition), enough for
 * configuration files such as libvirt's domain XML (vmm/domxml.c):
 * elements and attributes (section 3.1), character data (2.4), comments
 * (2.5, skipped), the XML declaration (2.8), the five predefined entities
 * and character references (4.1, 4.6). DOCTYPE, CDATA sections and
 * processing instructions are refused with -E_NOTSUP.
 *
 * Every byte is validated as an XML Char in UTF-8 (2.2); names, attribute
 * values, attribute counts, kept text and nesting are bounded by the
 * constants below, so hostile input costs an error, never an overflow.
 * The input need not be NUL-terminated. Pure code, no allocation: the
 * caller owns the lexer (a few KiB, everything inline).
 *
 * Use: xml_init, xml_prolog (up to the root's start tag), then xml_next_in
 * or xml_skip_element for each element's content, then xml_epilog. Every
 * function that fails returns a negative E_* code and records a one-line
 * message and its line in lx->error; a caller's own (schema) errors go
 * through xml_fail so that they land in the same place.
 */
#ifndef KEEL_XML_H
#define KEEL_XML_H

#include "kernel/klib.h"

#define XML_NAME_MAX	32	/* element and attribute names */
#define XML_VALUE_MAX	128	/* decoded attribute values */
#define XML_TEXT_MAX	1023	/* character data kept for one element */
#define XML_MAX_ATTRS	8	/* attributes on one tag */
#define XML_MAX_DEPTH	16	/* nesting xml_skip_element accepts */
#define XML_MSG_MAX	160	/* error message, including the NUL */

/* Tokens xml_next and xml_next_in return (positive; errors are < 0). */
enum xml_tok {
	XML_TOK_EOF = 1,
	XML_TOK_START,		/* lx->tag holds the start tag */
	XML_TOK_END,		/* lx->tag holds the end tag's name and line */
	XML_TOK_TEXT,		/* a run of character data up to the next '<' */
};

struct xml_attr {
	char name[XML_NAME_MAX + 1];
	char value[XML_VALUE_MAX + 1];	/* references decoded, whitespace normalised */
	unsigned line;
};

struct xml_tag {		/* the last start or end tag read */
	char name[XML_NAME_MAX + 1];
	struct xml_attr attr[XML_MAX_ATTRS];	/* no two with the same name */
	unsigned nr_attr;
	unsigned line;
	bool empty;		/* <x/>: no content and no end tag follow */
};

struct xml_error {
	unsigned line;			/* 1-based; 0 = not tied to a line */
	char msg[XML_MSG_MAX];		/* "" while there is no error */
};

/*
 * Fields marked "caller" may be set between calls; "read" fields may be
 * read; the rest is the lexer's own.
 */
struct xml_lexer {
	const char *p, *end;	/* unread input */
	unsigned line;		/* line of p */
	struct xml_tag tag;	/* read */
	bool keep_text;		/* caller: append character data to text */
	bool nonblank;		/* read: the last XML_TOK_TEXT had non-whitespace ... */
	unsigned text_line;	/* read: ... first seen on this line */
	size_t text_len;	/* read */
	char text[XML_TEXT_MAX + 1];	/* read: kept text, NUL-terminated */
	struct xml_error error;	/* read */
};

/* Start reading len bytes of text; clears lx->error. */
void xml_init(struct xml_lexer *lx, const char *text, size_t len);

/* Section 2.8 and 2.1's prolog: an optional UTF-8 byte order mark and XML
 * declaration, then comments and whitespace up to the root element, whose
 * start tag is left in lx->tag. Returns 0 or an error. */
int xml_prolog(struct xml_lexer *lx);

/* After the root element: only comments and whitespace may follow up to
 * the end of the input. Returns 0 or an error. */
int xml_epilog(struct xml_lexer *lx);

/* The next start tag, end tag, run of text or the end of the input, as an
 * enum xml_tok; comments are skipped. With lx->keep_text the run's decoded
 * text is appended to lx->text (an error past XML_TEXT_MAX). */
int xml_next(struct xml_lexer *lx);

/* Like xml_next, inside the element <name> whose start tag was read on
 * line: XML_TOK_END only for its own end tag; any other end tag, and the
 * end of the input, are errors. */
int xml_next_in(struct xml_lexer *lx, const char *name, unsigned line);

/* The rest of the element whose start tag is in lx->tag, checked only for
 * being well-formed, with at most XML_MAX_DEPTH levels of elements counting
 * itself. Returns 0 or an error. */
int xml_skip_element(struct xml_lexer *lx);

/* Empty lx->text, e.g. at the start of an element whose text is kept. */
void xml_text_clear(struct xml_lexer *lx);

/* lx->text without leading and trailing whitespace (trimmed in place). */
const char *xml_text_trim(struct xml_lexer *lx);

/* Record "msg" at line in lx->error; returns code. */
int xml_fail(struct xml_lexer *lx, int code, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ASCII strings equal ignoring case (encoding names, section 4.3.3). */
bool xml_eq_nocase(const char *a, const char *b);

/* Section 2.3: S ::= (#x20 | #x9 | #xD | #xA)+ */
static inline bool xml_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline char xml_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

#endif
