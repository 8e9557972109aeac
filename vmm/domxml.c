/*
 * libvirt domain XML for Keel (the subset and the contract are in
 * vmm/domxml.h), and the autostart list.
 *
 * Two layers. First a small strict tokenizer for XML 1.0 (W3C, 5th edition):
 * elements and attributes (section 3.1), character data (2.4), comments
 * (2.5), the XML declaration (2.8), the five predefined entities and
 * character references (4.1, 4.6). DOCTYPE, CDATA sections and processing
 * instructions are refused. Every byte is validated as an XML Char in UTF-8
 * (2.2), names and values are bounded, lines are counted for messages.
 *
 * Then the schema: each element Keel knows is a table entry listing its
 * attributes and child elements, each with a handler and a number of
 * occurrences. The walker only looks names up in those tables, so an
 * element or attribute Keel does not know is an error by construction;
 * nothing is silently dropped.
 */
#include "kernel/errno.h"
#include "vmm/domxml.h"

#define XML_NAME_MAX	32	/* element and attribute names */
#define XML_VALUE_MAX	128	/* decoded attribute values */
#define XML_TEXT_MAX	(DOM_CMDLINE_MAX - 1)	/* character data we keep */
#define XML_MAX_ATTRS	8
#define XML_MAX_DEPTH	16	/* nesting domxml_is_domain accepts */
#define XML_REF_MAX	10	/* longest reference body: "#x10FFFF" plus slack */
#define UTF8_MAX	4
#define UNICODE_MAX	0x10FFFF
#define QUOTE_MAX	40	/* input echoed in a message */
#define QUOTE_BUF	(QUOTE_MAX + 4)
#define MAX_CHILDREN	16	/* children one element may list */

enum xml_tok { TOK_EOF = 1, TOK_START, TOK_END, TOK_TEXT };

/* What an element does with character data inside it. */
enum text_mode {
	TEXT_NONE,	/* whitespace only */
	TEXT_KEEP,	/* kept in lx->text for the element's handler */
	TEXT_SKIP,	/* validated, then dropped (<description>) */
};

struct xml_attr {
	char name[XML_NAME_MAX + 1];
	char value[XML_VALUE_MAX + 1];
	unsigned line;
};

struct xml_tag {		/* the last start or end tag read */
	char name[XML_NAME_MAX + 1];
	struct xml_attr attr[XML_MAX_ATTRS];
	unsigned nr_attr;
	unsigned line;
	bool empty;		/* <x/> */
};

struct xml_lexer {
	const char *p, *end;
	unsigned line;
	struct xml_tag tag;
	bool keep_text;		/* append character data to text */
	bool nonblank;		/* the last TOK_TEXT had non-whitespace ... */
	unsigned text_line;	/* ... first seen on this line */
	size_t text_len;
	char text[XML_TEXT_MAX + 1];
	struct domxml_error *err;
};

/* ---------------------------------------------------------------- errors */

__attribute__((format(printf, 4, 5)))
static int fail(struct xml_lexer *lx, int code, unsigned line, const char *fmt, ...)
{
	va_list ap;

	lx->err->line = line;
	va_start(ap, fmt);
	kvsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* s made safe to echo in a one-line message: at most QUOTE_MAX bytes of
 * printable ASCII, anything else shown as '?'. */
static const char *quote(const char *s, char out[QUOTE_BUF])
{
	size_t i;

	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= ' ' && c < 0x7f ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* ---------------------------------------------------------------- characters */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower(*a) != ascii_lower(*b))
			return false;
	return *a == *b;
}

/* Index of word in a NULL-terminated list, or -1. */
static int word_index(const char *const *list, const char *word)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], word))
			return i;
	return -1;
}

/* Section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF]. */
static bool is_xml_char(uint32_t c)
{
	return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= UNICODE_MAX);
}

/* Length of the UTF-8 sequence at s if it is one valid XML Char, else 0.
 * The second byte's range rules out overlong forms, surrogates and code
 * points above U+10FFFF (RFC 3629 section 4). */
static size_t char_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return is_xml_char(c);
	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
		return 0;		/* U+FFFE, U+FFFF */
	return n;
}

static size_t utf8_encode(uint32_t c, char out[UTF8_MAX])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* ---------------------------------------------------------------- tokenizer */

static int fail_eof(struct xml_lexer *lx)
{
	return fail(lx, -E_INVAL, lx->line, "unexpected end of file");
}

static bool at_end(const struct xml_lexer *lx)
{
	return lx->p >= lx->end;
}

static bool looking_at(const struct xml_lexer *lx, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(lx->end - lx->p) >= n && !memcmp(lx->p, s, n);
}

static bool skip_space(struct xml_lexer *lx)
{
	const char *start = lx->p;

	for (; !at_end(lx) && is_space(*lx->p); lx->p++)
		if (*lx->p == '\n')
			lx->line++;
	return lx->p != start;
}

/* Copy one valid character into out (UTF8_MAX bytes); returns its length. */
static int take_char(struct xml_lexer *lx, char *out)
{
	const unsigned char *s = (const unsigned char *)lx->p;
	size_t n = char_len(s, (size_t)(lx->end - lx->p));

	if (!n && !s[0])
		return fail(lx, -E_INVAL, lx->line, "NUL byte in file");
	if (!n)
		return fail(lx, -E_INVAL, lx->line, "invalid character (byte 0x%02x): "
			    "not UTF-8 or not allowed in XML", s[0]);
	if (s[0] == '\n')
		lx->line++;
	memcpy(out, s, n);
	lx->p += n;
	return (int)n;
}

static int lex_name(struct xml_lexer *lx, char out[XML_NAME_MAX + 1])
{
	size_t n = 0;

	if (at_end(lx))
		return fail_eof(lx);
	if (!is_name_start(*lx->p))
		return fail(lx, -E_INVAL, lx->line, "expected a name");
	for (; !at_end(lx) && is_name_char(*lx->p); lx->p++) {
		if (n == XML_NAME_MAX)
			return fail(lx, -E_INVAL, lx->line, "name longer than %u characters",
				    XML_NAME_MAX);
		out[n++] = *lx->p;
	}
	out[n] = '\0';
	return 0;
}

/* "#65" or "#x41" (section 4.1) into a code point; false if invalid. */
static bool char_ref(const char *s, size_t n, uint32_t *out)
{
	unsigned base = 10, d;
	uint32_t v = 0;

	if (n && *s == 'x')
		base = 16, s++, n--;
	if (!n)
		return false;
	for (; n; s++, n--) {
		char c = ascii_lower(*s);

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v * base + d;
		if (v > UNICODE_MAX)
			return false;
	}
	*out = v;
	return is_xml_char(v);
}

/* The reference at lx->p ('&') decoded into out; returns its length. */
static int lex_reference(struct xml_lexer *lx, char out[UTF8_MAX])
{
	static const struct { const char *name; char c; } predefined[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
	};
	const char *s = lx->p + 1;
	size_t avail = (size_t)(lx->end - s), n = 0;
	uint32_t c;

	while (n < avail && n <= XML_REF_MAX && s[n] != ';')
		n++;
	if (n == avail)
		return fail_eof(lx);
	if (s[n] != ';' || !n)
		return fail(lx, -E_INVAL, lx->line, "'&' must start a reference like &amp;amp;");
	lx->p += n + 2;
	if (*s == '#') {
		if (!char_ref(s + 1, n - 1, &c))
			return fail(lx, -E_INVAL, lx->line, "invalid character reference");
		return (int)utf8_encode(c, out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(predefined); i++) {
		if (strlen(predefined[i].name) == n && !memcmp(predefined[i].name, s, n)) {
			out[0] = predefined[i].c;
			return 1;
		}
	}
	return fail(lx, -E_INVAL, lx->line, "unknown entity (XML's five and &#...; only)");
}

static int keep_text(struct xml_lexer *lx, const char *s, size_t n)
{
	if (!lx->keep_text)
		return 0;
	if (lx->text_len + n > XML_TEXT_MAX)
		return fail(lx, -E_INVAL, lx->line, "text longer than %u bytes", XML_TEXT_MAX);
	memcpy(lx->text + lx->text_len, s, n);
	lx->text_len += n;
	lx->text[lx->text_len] = '\0';
	return 0;
}

/* Character data up to the next '<' or the end of the input. */
static int lex_text(struct xml_lexer *lx)
{
	char c[UTF8_MAX];
	int n, r;

	lx->nonblank = false;
	while (!at_end(lx) && *lx->p != '<') {
		if (looking_at(lx, "]]>"))
			return fail(lx, -E_INVAL, lx->line, "']]>' is not allowed in text");
		n = *lx->p == '&' ? lex_reference(lx, c) : take_char(lx, c);
		if (n < 0)
			return n;
		if (!lx->nonblank && (n != 1 || !is_space(c[0]))) {
			lx->nonblank = true;
			lx->text_line = lx->line;
		}
		r = keep_text(lx, c, (size_t)n);
		if (r)
			return r;
	}
	return TOK_TEXT;
}

/* A quoted attribute value (section 3.3.3: literal whitespace becomes a
 * space; whitespace written as a character reference stays). */
static int lex_value(struct xml_lexer *lx, struct xml_attr *a)
{
	char quote_char, c[UTF8_MAX];
	size_t len = 0;
	bool literal;
	int n;

	if (at_end(lx))
		return fail_eof(lx);
	quote_char = *lx->p++;
	if (quote_char != '"' && quote_char != '\'')
		return fail(lx, -E_INVAL, a->line, "value of '%s' must be quoted", a->name);
	while (at_end(lx) || *lx->p != quote_char) {
		if (at_end(lx))
			return fail_eof(lx);
		if (*lx->p == '<')
			return fail(lx, -E_INVAL, lx->line, "'<' in the value of '%s'", a->name);
		literal = *lx->p != '&';
		n = literal ? take_char(lx, c) : lex_reference(lx, c);
		if (n < 0)
			return n;
		if (literal && is_space(c[0]))
			c[0] = ' ';
		if (len + (size_t)n > XML_VALUE_MAX)
			return fail(lx, -E_INVAL, a->line, "value of '%s' longer than %u bytes",
				    a->name, XML_VALUE_MAX);
		memcpy(a->value + len, c, (size_t)n);
		len += (size_t)n;
	}
	lx->p++;
	a->value[len] = '\0';
	return 0;
}

static int lex_attr(struct xml_lexer *lx, struct xml_tag *t)
{
	struct xml_attr *a = &t->attr[t->nr_attr];
	int r;

	if (t->nr_attr == XML_MAX_ATTRS)
		return fail(lx, -E_INVAL, lx->line, "more than %u attributes on <%s>",
			    XML_MAX_ATTRS, t->name);
	a->line = lx->line;
	r = lex_name(lx, a->name);
	if (r)
		return r;
	for (unsigned i = 0; i < t->nr_attr; i++)
		if (!strcmp(t->attr[i].name, a->name))
			return fail(lx, -E_INVAL, a->line, "duplicate attribute '%s' on <%s>",
				    a->name, t->name);
	skip_space(lx);
	if (at_end(lx))
		return fail_eof(lx);
	if (*lx->p++ != '=')
		return fail(lx, -E_INVAL, a->line, "expected '=' after '%s'", a->name);
	skip_space(lx);
	r = lex_value(lx, a);
	if (r)
		return r;
	t->nr_attr++;
	return 0;
}

/* Attributes up to the tag's end: '>' or '/>' for elements, '?>' for the
 * XML declaration. Returns 0 or an error; *empty says which it was. */
static int lex_attrs(struct xml_lexer *lx, struct xml_tag *t, const char *close)
{
	bool space;
	int r;

	t->nr_attr = 0;
	t->empty = false;
	for (;;) {
		space = skip_space(lx);
		if (at_end(lx))
			return fail_eof(lx);
		if (looking_at(lx, close)) {
			lx->p += strlen(close);
			return 0;
		}
		if (!close[1] && looking_at(lx, "/>")) {
			lx->p += 2;
			t->empty = true;
			return 0;
		}
		if (!space)
			return fail(lx, -E_INVAL, lx->line, "malformed tag <%s>", t->name);
		r = lex_attr(lx, t);
		if (r)
			return r;
	}
}

static int lex_start_tag(struct xml_lexer *lx)
{
	int r;

	lx->tag.line = lx->line;
	lx->p++;
	r = lex_name(lx, lx->tag.name);
	if (!r)
		r = lex_attrs(lx, &lx->tag, ">");
	return r ? r : TOK_START;
}

static int lex_end_tag(struct xml_lexer *lx)
{
	int r;

	lx->tag.line = lx->line;
	lx->tag.nr_attr = 0;
	lx->p += 2;
	r = lex_name(lx, lx->tag.name);
	if (r)
		return r;
	skip_space(lx);
	if (at_end(lx))
		return fail_eof(lx);
	if (*lx->p++ != '>')
		return fail(lx, -E_INVAL, lx->line, "malformed end tag </%s>", lx->tag.name);
	return TOK_END;
}

/* Section 2.5: "<!--" ... "-->", no "--" inside. */
static int lex_comment(struct xml_lexer *lx)
{
	unsigned line = lx->line;
	char c[UTF8_MAX];
	int r;

	lx->p += 4;
	while (!looking_at(lx, "--")) {
		if (at_end(lx))
			return fail(lx, -E_INVAL, line, "unterminated comment");
		r = take_char(lx, c);
		if (r < 0)
			return r;
	}
	if (!looking_at(lx, "-->"))
		return fail(lx, -E_INVAL, lx->line, "'--' inside a comment");
	lx->p += 3;
	return 0;
}

static int lex_markup_decl(struct xml_lexer *lx)
{
	if (looking_at(lx, "<![CDATA["))
		return fail(lx, -E_NOTSUP, lx->line, "CDATA sections are not supported");
	if (looking_at(lx, "<!DOCTYPE"))
		return fail(lx, -E_NOTSUP, lx->line, "DOCTYPE declarations are not supported");
	return fail(lx, -E_INVAL, lx->line, "malformed markup after '<!'");
}

/* The next start tag, end tag or run of text; comments are skipped. */
static int next_token(struct xml_lexer *lx)
{
	int r;

	for (;;) {
		if (at_end(lx))
			return TOK_EOF;
		if (*lx->p != '<')
			return lex_text(lx);
		if (!looking_at(lx, "<!--"))
			break;
		r = lex_comment(lx);
		if (r)
			return r;
	}
	if (looking_at(lx, "</"))
		return lex_end_tag(lx);
	if (looking_at(lx, "<!"))
		return lex_markup_decl(lx);
	if (looking_at(lx, "<?"))
		return fail(lx, -E_NOTSUP, lx->line, "processing instructions are not supported"
			    " (an XML declaration must come first)");
	return lex_start_tag(lx);
}

static int check_declaration(struct xml_lexer *lx, const struct xml_tag *t)
{
	static const char *const names[] = { "version", "encoding", "standalone", NULL };
	bool has_version = false;

	for (unsigned i = 0; i < t->nr_attr; i++) {
		const char *v = t->attr[i].value;
		bool ok;

		switch (word_index(names, t->attr[i].name)) {
		case 0: ok = has_version = !strcmp(v, "1.0"); break;
		case 1: ok = eq_nocase(v, "UTF-8") || eq_nocase(v, "US-ASCII"); break;
		case 2: ok = !strcmp(v, "yes") || !strcmp(v, "no"); break;
		default: ok = false; break;
		}
		if (!ok)
			return fail(lx, -E_NOTSUP, t->line, "unsupported %s in the XML declaration",
				    t->attr[i].name);
	}
	if (!has_version)
		return fail(lx, -E_INVAL, t->line, "the XML declaration needs version=\"1.0\"");
	return 0;
}

/* Section 2.8: an optional XML declaration, first thing in the file after
 * an optional UTF-8 byte order mark. */
static int lex_declaration(struct xml_lexer *lx)
{
	struct xml_tag *t = &lx->tag;
	int r;

	if (looking_at(lx, "\xef\xbb\xbf"))
		lx->p += 3;
	if (!looking_at(lx, "<?xml") || lx->end - lx->p < 6 || !is_space(lx->p[5]))
		return 0;
	lx->p += 5;
	t->line = lx->line;
	memcpy(t->name, "?xml", sizeof("?xml"));
	r = lex_attrs(lx, t, "?>");
	return r ? r : check_declaration(lx, t);
}

/* Everything up to the root element's start tag. */
static int lex_prolog(struct xml_lexer *lx)
{
	int tok = lex_declaration(lx);

	while (tok >= 0) {
		tok = next_token(lx);
		if (tok == TOK_START)
			return 0;
		if (tok == TOK_EOF)
			return fail(lx, -E_INVAL, lx->line, "no root element");
		if (tok == TOK_END)
			return fail(lx, -E_INVAL, lx->tag.line, "unexpected </%s>", lx->tag.name);
		if (tok == TOK_TEXT && lx->nonblank)
			return fail(lx, -E_INVAL, lx->text_line, "text outside the root element");
	}
	return tok;
}

/* Everything after the root element: comments and whitespace only. */
static int lex_epilog(struct xml_lexer *lx)
{
	int tok;

	for (;;) {
		tok = next_token(lx);
		if (tok == TOK_EOF || tok < 0)
			return tok == TOK_EOF ? 0 : tok;
		if (tok == TOK_START)
			return fail(lx, -E_INVAL, lx->tag.line, "second root element <%s>",
				    lx->tag.name);
		if (tok == TOK_END)
			return fail(lx, -E_INVAL, lx->tag.line, "unexpected </%s>", lx->tag.name);
		if (lx->nonblank)
			return fail(lx, -E_INVAL, lx->text_line, "text after the root element");
	}
}

static void lex_init(struct xml_lexer *lx, const char *text, size_t len,
		     struct domxml_error *err)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->err = err;
	err->line = 0;
	err->msg[0] = '\0';
}

/* The end tag just read must close <name> opened on line. */
static int close_tag(struct xml_lexer *lx, const char *name, unsigned line)
{
	if (!strcmp(lx->tag.name, name))
		return 0;
	return fail(lx, -E_INVAL, lx->tag.line, "</%s> does not close <%s> of line %u",
		    lx->tag.name, name, line);
}

static int fail_unclosed(struct xml_lexer *lx, const char *name, unsigned line)
{
	return fail(lx, -E_INVAL, lx->line, "end of file before </%s> (opened on line %u)",
		    name, line);
}

/* ---------------------------------------------------------------- well-formedness */

/* Walk the element whose start tag was just read, checking only that it is
 * well-formed. */
static int skip_element(struct xml_lexer *lx, unsigned depth)
{
	char name[XML_NAME_MAX + 1];
	unsigned line = lx->tag.line;
	int tok;

	if (depth > XML_MAX_DEPTH)
		return fail(lx, -E_INVAL, line, "elements nested deeper than %u", XML_MAX_DEPTH);
	if (lx->tag.empty)
		return 0;
	memcpy(name, lx->tag.name, sizeof(name));
	for (;;) {
		tok = next_token(lx);
		if (tok == TOK_START)
			tok = skip_element(lx, depth + 1);
		else if (tok == TOK_END)
			return close_tag(lx, name, line);
		else if (tok == TOK_EOF)
			return fail_unclosed(lx, name, line);
		if (tok < 0)
			return tok;
	}
}

int domxml_is_domain(const char *text, size_t len, struct domxml_error *err)
{
	struct domxml_error scratch;
	struct xml_lexer lx;
	bool domain;
	int r;

	lex_init(&lx, text, len, err ? err : &scratch);
	r = lex_prolog(&lx);
	if (r)
		return r;
	domain = !strcmp(lx.tag.name, "domain");
	r = skip_element(&lx, 1);
	if (!r)
		r = lex_epilog(&lx);
	return r ? r : domain;
}

/* ---------------------------------------------------------------- schema */

struct dom_parser {
	struct xml_lexer lx;
	struct dom_config *cfg;
	uint64_t unit;		/* the current element's unit attribute, in bytes */
	unsigned current_memory_line;	/* where <currentMemory> was, for end_domain */
};

struct elem_desc;

/* Called with an attribute's value once it matched the accept list. */
typedef int (*attr_fn)(struct dom_parser *p, const struct elem_desc *d,
		       const char *value, unsigned line);
/* Called at the element's end with its trimmed text ("" unless TEXT_KEEP). */
typedef int (*end_fn)(struct dom_parser *p, const struct elem_desc *d,
		      const char *text, unsigned line);

struct attr_desc {
	const char *name;
	bool required;
	const char *const *accept;	/* NULL-terminated values; NULL: any */
	attr_fn fn;			/* may be NULL */
};

struct elem_desc {
	const char *name;
	uint8_t min, max;		/* occurrences within the parent */
	enum text_mode text;
	const struct attr_desc *attrs;
	size_t nr_attrs;
	const struct elem_desc *children;
	size_t nr_children;
	end_fn end;			/* may be NULL */
};

#define ATTRS(a)	.attrs = (a), .nr_attrs = ARRAY_SIZE(a)
#define CHILDREN(c)	.children = (c), .nr_children = ARRAY_SIZE(c)

static const struct attr_desc *find_attr(const struct elem_desc *d, const char *name)
{
	for (size_t i = 0; i < d->nr_attrs; i++)
		if (!strcmp(d->attrs[i].name, name))
			return &d->attrs[i];
	return NULL;
}

static int apply_attr(struct dom_parser *p, const struct elem_desc *d,
		      const struct xml_attr *a)
{
	const struct attr_desc *ad = find_attr(d, a->name);
	char q[QUOTE_BUF];

	if (!ad)
		return fail(&p->lx, -E_NOTSUP, a->line, "unsupported attribute '%s' on <%s>",
			    a->name, d->name);
	if (ad->accept && word_index(ad->accept, a->value) < 0)
		return fail(&p->lx, -E_NOTSUP, a->line, "unsupported %s='%s' on <%s>",
			    a->name, quote(a->value, q), d->name);
	return ad->fn ? ad->fn(p, d, a->value, a->line) : 0;
}

/* The attributes of the start tag just read: each must be in d's table,
 * and every required one present. */
static int apply_attrs(struct dom_parser *p, const struct elem_desc *d)
{
	const struct xml_tag *t = &p->lx.tag;
	int r;

	for (unsigned i = 0; i < t->nr_attr; i++) {
		r = apply_attr(p, d, &t->attr[i]);
		if (r)
			return r;
	}
	for (size_t i = 0; i < d->nr_attrs; i++) {
		bool seen = false;

		for (unsigned j = 0; j < t->nr_attr; j++)
			seen |= !strcmp(t->attr[j].name, d->attrs[i].name);
		if (d->attrs[i].required && !seen)
			return fail(&p->lx, -E_INVAL, t->line, "missing attribute '%s' on <%s>",
				    d->attrs[i].name, d->name);
	}
	return 0;
}

static int parse_element(struct dom_parser *p, const struct elem_desc *d);

/* A child's start tag was just read inside d. */
static int parse_child(struct dom_parser *p, const struct elem_desc *d, uint8_t *count)
{
	const struct xml_tag *t = &p->lx.tag;
	size_t i;

	for (i = 0; i < d->nr_children; i++)
		if (!strcmp(d->children[i].name, t->name))
			break;
	if (i == d->nr_children)
		return fail(&p->lx, -E_NOTSUP, t->line, "unsupported element <%s> in <%s>",
			    t->name, d->name);
	if (count[i]++ == d->children[i].max)
		return fail(&p->lx, -E_INVAL, t->line, "more than %u <%s> in <%s>",
			    d->children[i].max, t->name, d->name);
	return parse_element(p, &d->children[i]);
}

static int parse_content(struct dom_parser *p, const struct elem_desc *d, uint8_t *count,
			 unsigned line)
{
	int tok;

	for (;;) {
		p->lx.keep_text = d->text == TEXT_KEEP;
		tok = next_token(&p->lx);
		if (tok == TOK_TEXT && p->lx.nonblank && d->text == TEXT_NONE)
			return fail(&p->lx, -E_INVAL, p->lx.text_line, "unexpected text in <%s>",
				    d->name);
		if (tok == TOK_START)
			tok = parse_child(p, d, count);
		else if (tok == TOK_END)
			return close_tag(&p->lx, d->name, line);
		else if (tok == TOK_EOF)
			return fail_unclosed(&p->lx, d->name, line);
		if (tok < 0)
			return tok;
	}
}

static int check_required(struct dom_parser *p, const struct elem_desc *d,
			  const uint8_t *count)
{
	for (size_t i = 0; i < d->nr_children; i++)
		if (count[i] < d->children[i].min)
			return fail(&p->lx, -E_INVAL, p->lx.tag.line, "missing <%s> in <%s>",
				    d->children[i].name, d->name);
	return 0;
}

/* Text without leading and trailing whitespace (in place). */
static const char *trimmed_text(struct xml_lexer *lx)
{
	char *s = lx->text;

	while (lx->text_len && is_space(s[lx->text_len - 1]))
		s[--lx->text_len] = '\0';
	while (is_space(*s))
		s++;
	return s;
}

/* The element whose start tag was just read: attributes, content, then
 * its end handler. */
static int parse_element(struct dom_parser *p, const struct elem_desc *d)
{
	uint8_t count[MAX_CHILDREN] = { 0 };
	unsigned line = p->lx.tag.line;
	int r;

	p->unit = KiB;		/* libvirt's default unit for memory sizes */
	r = apply_attrs(p, d);
	if (r)
		return r;
	p->lx.text_len = 0;
	p->lx.text[0] = '\0';
	if (!p->lx.tag.empty) {
		r = parse_content(p, d, count, line);
		if (r)
			return r;
	}
	r = check_required(p, d, count);
	if (r)
		return r;
	return d->end ? d->end(p, d, d->text == TEXT_KEEP ? trimmed_text(&p->lx) : "", line) : 0;
}

/* ---------------------------------------------------------------- values */

static bool is_name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '+' || c == '-';
}

bool dom_name_valid(const char *s, size_t len)
{
	if (!len || len >= DOM_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_byte(s[i]))
			return false;
	return true;
}

static int parse_decimal(const char *s, uint64_t *out)
{
	uint64_t v = 0, d;

	if (!*s)
		return -E_INVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -E_INVAL;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -E_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int copy_text(char *dst, size_t size, const char *s)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return -E_RANGE;
	memcpy(dst, s, n + 1);
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ')
			return true;
	return false;
}

/* libvirt's size units (formatdomain.html#memory-allocation): b or bytes,
 * then k, M, G, T, P, E as powers of 1024 with an optional "iB", or as
 * powers of 1000 with "B"; case does not matter. */
static uint64_t unit_scale(const char *unit)
{
	static const char prefixes[] = "kmgtpe";
	const char *at;
	uint64_t scale = 1, base;

	if (eq_nocase(unit, "b") || eq_nocase(unit, "bytes"))
		return 1;
	at = unit[0] ? strchr(prefixes, ascii_lower(unit[0])) : NULL;
	if (!at)
		return 0;
	if (!unit[1] || eq_nocase(unit + 1, "iB"))
		base = KiB;
	else if (eq_nocase(unit + 1, "B"))
		base = 1000;
	else
		return 0;
	for (long i = 0; i <= at - prefixes; i++)
		scale *= base;
	return scale;
}

static int attr_unit(struct dom_parser *p, const struct elem_desc *d, const char *value,
		     unsigned line)
{
	char q[QUOTE_BUF];

	p->unit = unit_scale(value);
	if (!p->unit)
		return fail(&p->lx, -E_INVAL, line, "unknown unit '%s' on <%s>",
			    quote(value, q), d->name);
	return 0;
}

/* A size in p->unit units, rounded up to whole pages. */
static int parse_size(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line, uint64_t *out)
{
	char q[QUOTE_BUF];
	uint64_t v;
	int r = parse_decimal(text, &v);

	if (r == -E_INVAL)
		return fail(&p->lx, r, line, "<%s> needs a decimal number, not '%s'",
			    d->name, quote(text, q));
	if (r || v > DOM_MEMORY_MAX / p->unit || v * p->unit > DOM_MEMORY_MAX)
		return fail(&p->lx, -E_RANGE, line, "<%s> is larger than Keel's limit of 1 TiB",
			    d->name);
	if (!v)
		return fail(&p->lx, -E_RANGE, line, "<%s> must be greater than 0", d->name);
	*out = ALIGN_UP(v * p->unit, DOM_MEMORY_ALIGN);
	return 0;
}

static int end_memory(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	return parse_size(p, d, text, line, &p->cfg->memory_bytes);
}

static int end_current_memory(struct dom_parser *p, const struct elem_desc *d,
			      const char *text, unsigned line)
{
	p->current_memory_line = line;
	return parse_size(p, d, text, line, &p->cfg->current_memory_bytes);
}

static int end_name(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	char q[QUOTE_BUF];

	if (!dom_name_valid(text, strlen(text)))
		return fail(&p->lx, -E_INVAL, line, "invalid domain name '%s': 1-%u of "
			    "A-Z a-z 0-9 _ . + -, not starting with '-' or '.'",
			    quote(text, q), DOM_NAME_MAX - 1);
	memcpy(p->cfg->name, text, strlen(text) + 1);
	return 0;
}

static int end_uuid(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	char q[QUOTE_BUF];

	if (uuid_parse(text, p->cfg->uuid))
		return fail(&p->lx, -E_INVAL, line, "invalid UUID '%s'", quote(text, q));
	p->cfg->uuid_set = true;
	return 0;
}

static int end_title(struct dom_parser *p, const struct elem_desc *d, const char *text,
		     unsigned line)
{
	if (has_control(text))
		return fail(&p->lx, -E_INVAL, line, "<title> must be one line");
	if (copy_text(p->cfg->title, sizeof(p->cfg->title), text))
		return fail(&p->lx, -E_INVAL, line, "<title> is longer than %u bytes",
			    DOM_TITLE_MAX - 1);
	return 0;
}

static int end_vcpu(struct dom_parser *p, const struct elem_desc *d, const char *text,
		    unsigned line)
{
	char q[QUOTE_BUF];
	uint64_t v = 0;		/* stays 0, out of range, on overflow */

	if (parse_decimal(text, &v) == -E_INVAL)
		return fail(&p->lx, -E_INVAL, line, "<vcpu> needs a decimal number, not '%s'",
			    quote(text, q));
	if (v < 1 || v > DOM_MAX_VCPUS)
		return fail(&p->lx, -E_RANGE, line, "<vcpu> must be 1 to %u", DOM_MAX_VCPUS);
	p->cfg->vcpus = (uint32_t)v;
	return 0;
}

static int attr_arch(struct dom_parser *p, const struct elem_desc *d, const char *value,
		     unsigned line)
{
	p->cfg->arch = !strcmp(value, "x86_64") ? DOM_ARCH_X86_64 : DOM_ARCH_I686;
	return 0;
}

static int attr_machine(struct dom_parser *p, const struct elem_desc *d, const char *value,
			unsigned line)
{
	if (copy_text(p->cfg->machine, sizeof(p->cfg->machine), value))
		return fail(&p->lx, -E_INVAL, line, "machine= is longer than %u bytes",
			    DOM_MACHINE_MAX - 1);
	return 0;
}

static int end_os_type(struct dom_parser *p, const struct elem_desc *d, const char *text,
		       unsigned line)
{
	char q[QUOTE_BUF];

	if (strcmp(text, "hvm"))
		return fail(&p->lx, -E_NOTSUP, line, "unsupported OS type '%s': Keel runs 'hvm'",
			    quote(text, q));
	return 0;
}

/* Guest files are loaded from the config directory, so only a plain name
 * of that directory makes sense (no path, no way out of it). */
static int guest_file(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line, char out[DOM_FILE_MAX])
{
	size_t len = strlen(text);
	char q[QUOTE_BUF];

	if (strchr(text, '/') || strchr(text, '\\'))
		return fail(&p->lx, -E_INVAL, line, "<%s> '%s' must be a file name in the "
			    "config directory, without '/'", d->name, quote(text, q));
	if (!len || len >= DOM_FILE_MAX || !strcmp(text, ".") || !strcmp(text, ".."))
		return fail(&p->lx, -E_INVAL, line, "<%s> needs a file name of 1-%u characters",
			    d->name, DOM_FILE_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (!is_name_byte(text[i]))
			return fail(&p->lx, -E_INVAL, line, "<%s> '%s': file names use "
				    "A-Z a-z 0-9 _ . + -", d->name, quote(text, q));
	memcpy(out, text, len + 1);
	return 0;
}

static int end_kernel(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	return guest_file(p, d, text, line, p->cfg->kernel);
}

static int end_initrd(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	/* the element table caps occurrences at DOM_MAX_MODULES */
	return guest_file(p, d, text, line, p->cfg->initrd[p->cfg->nr_initrd++]);
}

static int end_cmdline(struct dom_parser *p, const struct elem_desc *d, const char *text,
		       unsigned line)
{
	if (has_control(text))
		return fail(&p->lx, -E_INVAL, line, "<cmdline> must be one line");
	/* the text buffer holds at most DOM_CMDLINE_MAX - 1 bytes */
	memcpy(p->cfg->cmdline, text, strlen(text) + 1);
	return 0;
}

static const char *const action_names[] = {
	[DOM_ACTION_DESTROY] = "destroy",
	[DOM_ACTION_RESTART] = "restart",
	[DOM_ACTION_PRESERVE] = "preserve",
	NULL,
};

const char *dom_action_name(enum dom_action action)
{
	return (unsigned)action < ARRAY_SIZE(action_names) - 1 ? action_names[action] : "?";
}

static int parse_action(struct dom_parser *p, const struct elem_desc *d, const char *text,
			unsigned line, enum dom_action *out)
{
	static const char *const unsupported[] = {
		"rename-restart", "coredump-destroy", "coredump-restart", NULL,
	};
	int i = word_index(action_names, text);
	char q[QUOTE_BUF];

	if (i >= 0) {
		*out = (enum dom_action)i;
		return 0;
	}
	if (word_index(unsupported, text) >= 0)
		return fail(&p->lx, -E_NOTSUP, line, "unsupported action '%s' in <%s>",
			    text, d->name);
	return fail(&p->lx, -E_INVAL, line, "invalid action '%s' in <%s>: destroy, "
		    "restart or preserve", quote(text, q), d->name);
}

static int end_on_poweroff(struct dom_parser *p, const struct elem_desc *d,
			   const char *text, unsigned line)
{
	return parse_action(p, d, text, line, &p->cfg->on_poweroff);
}

static int end_on_reboot(struct dom_parser *p, const struct elem_desc *d, const char *text,
			 unsigned line)
{
	return parse_action(p, d, text, line, &p->cfg->on_reboot);
}

static int end_on_crash(struct dom_parser *p, const struct elem_desc *d, const char *text,
			unsigned line)
{
	return parse_action(p, d, text, line, &p->cfg->on_crash);
}

static int end_serial(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	p->cfg->has_serial = true;
	return 0;
}

static int end_console(struct dom_parser *p, const struct elem_desc *d, const char *text,
		       unsigned line)
{
	p->cfg->has_console = true;
	return 0;
}

static int end_domain(struct dom_parser *p, const struct elem_desc *d, const char *text,
		      unsigned line)
{
	struct dom_config *cfg = p->cfg;

	if (!cfg->current_memory_bytes)
		cfg->current_memory_bytes = cfg->memory_bytes;
	if (cfg->current_memory_bytes > cfg->memory_bytes)
		return fail(&p->lx, -E_RANGE, p->current_memory_line,
			    "<currentMemory> is larger than <memory>");
	return 0;
}

/* ---------------------------------------------------------------- the tables */

static const char *const pty_only[] = { "pty", NULL };
static const char *const port_zero[] = { "0", NULL };	/* one UART, at 0x3F8 */

static const struct attr_desc serial_target_attrs[] = {
	{ "type", false, (const char *const[]){ "isa-serial", NULL }, NULL },
	{ "port", false, port_zero, NULL },
};

static const struct attr_desc console_target_attrs[] = {
	{ "type", false, (const char *const[]){ "serial", NULL }, NULL },
	{ "port", false, port_zero, NULL },
};

static const struct elem_desc serial_children[] = {
	{ "target", 0, 1, TEXT_NONE, ATTRS(serial_target_attrs) },
};

static const struct elem_desc console_children[] = {
	{ "target", 0, 1, TEXT_NONE, ATTRS(console_target_attrs) },
};

static const struct attr_desc chardev_attrs[] = {
	{ "type", true, pty_only, NULL },
};

static const struct elem_desc devices_children[] = {
	{ "serial", 0, 1, TEXT_NONE, ATTRS(chardev_attrs), CHILDREN(serial_children),
	  end_serial },
	{ "console", 0, 1, TEXT_NONE, ATTRS(chardev_attrs), CHILDREN(console_children),
	  end_console },
};

static const struct attr_desc os_type_attrs[] = {
	{ "arch", false, (const char *const[]){ "x86_64", "i686", NULL }, attr_arch },
	{ "machine", false, NULL, attr_machine },
};

static const struct elem_desc os_children[] = {
	{ "type", 1, 1, TEXT_KEEP, ATTRS(os_type_attrs), .end = end_os_type },
	{ "kernel", 1, 1, TEXT_KEEP, .end = end_kernel },
	{ "initrd", 0, DOM_MAX_MODULES, TEXT_KEEP, .end = end_initrd },
	{ "cmdline", 0, 1, TEXT_KEEP, .end = end_cmdline },
};

static const struct attr_desc memory_attrs[] = {
	{ "unit", false, NULL, attr_unit },
};

static const struct attr_desc vcpu_attrs[] = {
	{ "placement", false, (const char *const[]){ "static", NULL }, NULL },
};

static const struct elem_desc domain_children[] = {
	{ "name", 1, 1, TEXT_KEEP, .end = end_name },
	{ "uuid", 0, 1, TEXT_KEEP, .end = end_uuid },
	{ "title", 0, 1, TEXT_KEEP, .end = end_title },
	{ "description", 0, 1, TEXT_SKIP, .end = NULL },
	{ "memory", 1, 1, TEXT_KEEP, ATTRS(memory_attrs), .end = end_memory },
	{ "currentMemory", 0, 1, TEXT_KEEP, ATTRS(memory_attrs), .end = end_current_memory },
	{ "vcpu", 0, 1, TEXT_KEEP, ATTRS(vcpu_attrs), .end = end_vcpu },
	{ "os", 1, 1, TEXT_NONE, CHILDREN(os_children) },
	{ "on_poweroff", 0, 1, TEXT_KEEP, .end = end_on_poweroff },
	{ "on_reboot", 0, 1, TEXT_KEEP, .end = end_on_reboot },
	{ "on_crash", 0, 1, TEXT_KEEP, .end = end_on_crash },
	{ "devices", 0, 1, TEXT_NONE, CHILDREN(devices_children) },
};

_Static_assert(ARRAY_SIZE(domain_children) <= MAX_CHILDREN, "raise MAX_CHILDREN");

static const struct attr_desc domain_attrs[] = {
	{ "type", true, (const char *const[]){ "keel", "kvm", NULL }, NULL },
};

static const struct elem_desc domain_root = {
	"domain", 1, 1, TEXT_NONE, ATTRS(domain_attrs), CHILDREN(domain_children), end_domain,
};

/* ---------------------------------------------------------------- entry points */

static void set_defaults(struct dom_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 1;
	cfg->on_poweroff = DOM_ACTION_DESTROY;	/* libvirt's defaults */
	cfg->on_reboot = DOM_ACTION_RESTART;
	cfg->on_crash = DOM_ACTION_DESTROY;
}

int domxml_parse(const char *text, size_t len, struct dom_config *out,
		 struct domxml_error *err)
{
	struct dom_parser p;
	int r;

	lex_init(&p.lx, text, len, err);
	p.cfg = out;
	p.current_memory_line = 0;
	set_defaults(out);
	r = lex_prolog(&p.lx);
	if (r)
		return r;
	if (strcmp(p.lx.tag.name, domain_root.name))
		return fail(&p.lx, -E_NOTSUP, p.lx.tag.line, "root element is <%s>, not <domain>",
			    p.lx.tag.name);
	r = parse_element(&p, &domain_root);
	return r ? r : lex_epilog(&p.lx);
}

/* ---------------------------------------------------------------- formatting */

struct xml_out {
	char *buf;
	size_t size;
	size_t len;	/* bytes the full output needs */
};

static void put_char(struct xml_out *o, char c)
{
	if (o->len + 1 < o->size) {
		o->buf[o->len] = c;
		o->buf[o->len + 1] = '\0';
	}
	o->len++;
}

__attribute__((format(printf, 2, 3)))
static void put_fmt(struct xml_out *o, const char *fmt, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;

	va_start(ap, fmt);
	o->len += (size_t)kvsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
}

/* s as character data or a '-quoted attribute value (section 2.4, 3.3.3). */
static void put_escaped(struct xml_out *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': put_fmt(o, "&lt;"); break;
		case '>': put_fmt(o, "&gt;"); break;
		case '&': put_fmt(o, "&amp;"); break;
		case '\'': put_fmt(o, "&apos;"); break;
		case '"': put_fmt(o, "&quot;"); break;
		case '\t': case '\n': case '\r': put_fmt(o, "&#%u;", (unsigned)*s); break;
		default: put_char(o, *s); break;
		}
	}
}

static void put_element(struct xml_out *o, const char *indent, const char *name,
			const char *text)
{
	put_fmt(o, "%s<%s>", indent, name);
	put_escaped(o, text);
	put_fmt(o, "</%s>\n", name);
}

static void put_size(struct xml_out *o, const char *name, uint64_t bytes)
{
	bool kib = !(bytes % KiB);

	put_fmt(o, "  <%s unit='%s'>%llu</%s>\n", name, kib ? "KiB" : "b",
		(unsigned long long)(kib ? bytes / KiB : bytes), name);
}

static void put_os(struct xml_out *o, const struct dom_config *cfg)
{
	static const char *const arch_names[] = {
		[DOM_ARCH_X86_64] = "x86_64", [DOM_ARCH_I686] = "i686",
	};

	put_fmt(o, "  <os>\n    <type");
	if (cfg->arch == DOM_ARCH_X86_64 || cfg->arch == DOM_ARCH_I686)
		put_fmt(o, " arch='%s'", arch_names[cfg->arch]);
	if (cfg->machine[0]) {
		put_fmt(o, " machine='");
		put_escaped(o, cfg->machine);
		put_char(o, '\'');
	}
	put_fmt(o, ">hvm</type>\n");
	put_element(o, "    ", "kernel", cfg->kernel);
	for (unsigned i = 0; i < cfg->nr_initrd && i < DOM_MAX_MODULES; i++)
		put_element(o, "    ", "initrd", cfg->initrd[i]);
	if (cfg->cmdline[0])
		put_element(o, "    ", "cmdline", cfg->cmdline);
	put_fmt(o, "  </os>\n");
}

static void put_devices(struct xml_out *o, const struct dom_config *cfg)
{
	if (!cfg->has_serial && !cfg->has_console)
		return;
	put_fmt(o, "  <devices>\n");
	if (cfg->has_serial)
		put_fmt(o, "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n");
	if (cfg->has_console)
		put_fmt(o, "    <console type='pty'>\n      <target type='serial' port='0'/>\n"
			"    </console>\n");
	put_fmt(o, "  </devices>\n");
}

int domxml_format(const struct dom_config *cfg, char *buf, size_t size)
{
	struct xml_out o = { buf, size, 0 };
	char uuid[UUID_STR_LEN + 1];

	if (size)
		buf[0] = '\0';
	put_fmt(&o, "<domain type='keel'>\n");
	put_element(&o, "  ", "name", cfg->name);
	if (cfg->uuid_set) {
		uuid_format(cfg->uuid, uuid);
		put_element(&o, "  ", "uuid", uuid);
	}
	if (cfg->title[0])
		put_element(&o, "  ", "title", cfg->title);
	put_size(&o, "memory", cfg->memory_bytes);
	put_size(&o, "currentMemory", cfg->current_memory_bytes);
	put_fmt(&o, "  <vcpu placement='static'>%u</vcpu>\n", cfg->vcpus);
	put_os(&o, cfg);
	put_element(&o, "  ", "on_poweroff", dom_action_name(cfg->on_poweroff));
	put_element(&o, "  ", "on_reboot", dom_action_name(cfg->on_reboot));
	put_element(&o, "  ", "on_crash", dom_action_name(cfg->on_crash));
	put_devices(&o, cfg);
	put_fmt(&o, "</domain>\n");
	return (int)o.len;
}

/* ---------------------------------------------------------------- autostart */

static int autostart_fail(struct domxml_error *err, unsigned line, const char *msg)
{
	err->line = line;
	ksnprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -E_INVAL;
}

static int autostart_line(const char *s, size_t n, unsigned line, autostart_fn fn,
			  void *ctx, struct domxml_error *err)
{
	const char *hash = memchr(s, '#', n);
	char name[DOM_NAME_MAX];

	if (hash)
		n = (size_t)(hash - s);
	while (n && is_space(*s))
		s++, n--;
	while (n && is_space(s[n - 1]))
		n--;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (is_space(s[i]))
			return autostart_fail(err, line, "one domain name a line");
	if (!dom_name_valid(s, n))
		return autostart_fail(err, line, "invalid domain name: 1-63 of A-Z a-z 0-9 "
				      "_ . + -, not starting with '-' or '.'");
	memcpy(name, s, n);
	name[n] = '\0';
	err->line = line;
	return fn(ctx, name, line);
}

int autostart_parse(const char *text, size_t len, autostart_fn fn, void *ctx,
		    struct domxml_error *err)
{
	unsigned line = 1;
	size_t start = 0;
	int r;

	err->msg[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] == '\0')
			return autostart_fail(err, line, "NUL byte in file");
		if (i < len && text[i] != '\n')
			continue;
		r = autostart_line(text + start, i - start, line, fn, ctx, err);
		if (r)
			return r;
		start = i + 1;
		line++;
	}
	err->line = 0;
	return 0;
}
