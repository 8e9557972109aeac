/*
 * The XML 1.0 tokenizer (the subset and the API are in vmm/xml.h): input
 * is checked byte by byte as it is consumed, and each token is decoded
 * into the lexer's fixed buffers, so nothing here depends on the input
 * being terminated or well-behaved. What an element means is the caller's
 * business (vmm/domxml.c for libvirt domains).
 */
#include "kernel/errno.h"
#include "vmm/xml.h"

#define XML_REF_MAX	10	/* longest reference body: "#x10FFFF" plus slack */
#define UTF8_MAX	4
#define UNICODE_MAX	0x10FFFF

/* ---------------------------------------------------------------- errors */

int xml_fail(struct xml_lexer *lx, int code, unsigned line, const char *fmt, ...)
{
	va_list ap;

	lx->error.line = line;
	va_start(ap, fmt);
	kvsnprintf(lx->error.msg, sizeof(lx->error.msg), fmt, ap);
	va_end(ap);
	return code;
}

/* ---------------------------------------------------------------- characters */

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool xml_eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (xml_ascii_lower(*a) != xml_ascii_lower(*b))
			return false;
	return *a == *b;
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
	return xml_fail(lx, -E_INVAL, lx->line, "unexpected end of file");
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

	for (; !at_end(lx) && xml_is_space(*lx->p); lx->p++)
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
		return xml_fail(lx, -E_INVAL, lx->line, "NUL byte in file");
	if (!n)
		return xml_fail(lx, -E_INVAL, lx->line, "invalid character (byte 0x%02x): "
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
		return xml_fail(lx, -E_INVAL, lx->line, "expected a name");
	for (; !at_end(lx) && is_name_char(*lx->p); lx->p++) {
		if (n == XML_NAME_MAX)
			return xml_fail(lx, -E_INVAL, lx->line, "name longer than %u characters",
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
		char c = xml_ascii_lower(*s);

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
		return xml_fail(lx, -E_INVAL, lx->line,
				"'&' must start a reference like &amp;amp;");
	lx->p += n + 2;
	if (*s == '#') {
		if (!char_ref(s + 1, n - 1, &c))
			return xml_fail(lx, -E_INVAL, lx->line, "invalid character reference");
		return (int)utf8_encode(c, out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(predefined); i++) {
		if (strlen(predefined[i].name) == n && !memcmp(predefined[i].name, s, n)) {
			out[0] = predefined[i].c;
			return 1;
		}
	}
	return xml_fail(lx, -E_INVAL, lx->line, "unknown entity (XML's five and &#...; only)");
}

static int keep_text(struct xml_lexer *lx, const char *s, size_t n)
{
	if (!lx->keep_text)
		return 0;
	if (lx->text_len + n > XML_TEXT_MAX)
		return xml_fail(lx, -E_INVAL, lx->line, "text longer than %u bytes", XML_TEXT_MAX);
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
			return xml_fail(lx, -E_INVAL, lx->line, "']]>' is not allowed in text");
		n = *lx->p == '&' ? lex_reference(lx, c) : take_char(lx, c);
		if (n < 0)
			return n;
		if (!lx->nonblank && (n != 1 || !xml_is_space(c[0]))) {
			lx->nonblank = true;
			lx->text_line = lx->line;
		}
		r = keep_text(lx, c, (size_t)n);
		if (r)
			return r;
	}
	return XML_TOK_TEXT;
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
		return xml_fail(lx, -E_INVAL, a->line, "value of '%s' must be quoted", a->name);
	while (at_end(lx) || *lx->p != quote_char) {
		if (at_end(lx))
			return fail_eof(lx);
		if (*lx->p == '<')
			return xml_fail(lx, -E_INVAL, lx->line,
					"'<' in the value of '%s'", a->name);
		literal = *lx->p != '&';
		n = literal ? take_char(lx, c) : lex_reference(lx, c);
		if (n < 0)
			return n;
		if (literal && xml_is_space(c[0]))
			c[0] = ' ';
		if (len + (size_t)n > XML_VALUE_MAX)
			return xml_fail(lx, -E_INVAL, a->line, "value of '%s' longer than %u bytes",
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
		return xml_fail(lx, -E_INVAL, lx->line, "more than %u attributes on <%s>",
				XML_MAX_ATTRS, t->name);
	a->line = lx->line;
	r = lex_name(lx, a->name);
	if (r)
		return r;
	for (unsigned i = 0; i < t->nr_attr; i++)
		if (!strcmp(t->attr[i].name, a->name))
			return xml_fail(lx, -E_INVAL, a->line, "duplicate attribute '%s' on <%s>",
					a->name, t->name);
	skip_space(lx);
	if (at_end(lx))
		return fail_eof(lx);
	if (*lx->p++ != '=')
		return xml_fail(lx, -E_INVAL, a->line, "expected '=' after '%s'", a->name);
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
			return xml_fail(lx, -E_INVAL, lx->line, "malformed tag <%s>", t->name);
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
	return r ? r : XML_TOK_START;
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
		return xml_fail(lx, -E_INVAL, lx->line, "malformed end tag </%s>", lx->tag.name);
	return XML_TOK_END;
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
			return xml_fail(lx, -E_INVAL, line, "unterminated comment");
		r = take_char(lx, c);
		if (r < 0)
			return r;
	}
	if (!looking_at(lx, "-->"))
		return xml_fail(lx, -E_INVAL, lx->line, "'--' inside a comment");
	lx->p += 3;
	return 0;
}

static int lex_markup_decl(struct xml_lexer *lx)
{
	if (looking_at(lx, "<![CDATA["))
		return xml_fail(lx, -E_NOTSUP, lx->line, "CDATA sections are not supported");
	if (looking_at(lx, "<!DOCTYPE"))
		return xml_fail(lx, -E_NOTSUP, lx->line, "DOCTYPE declarations are not supported");
	return xml_fail(lx, -E_INVAL, lx->line, "malformed markup after '<!'");
}

int xml_next(struct xml_lexer *lx)
{
	int r;

	for (;;) {
		if (at_end(lx))
			return XML_TOK_EOF;
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
		return xml_fail(lx, -E_NOTSUP, lx->line, "processing instructions are not supported"
				" (an XML declaration must come first)");
	return lex_start_tag(lx);
}

/* ---------------------------------------------------------------- document */

void xml_init(struct xml_lexer *lx, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
}

/* Only version 1.0 and the encodings this tokenizer reads (section 4.3.3:
 * encoding names are case-insensitive). */
static bool declaration_attr_ok(const struct xml_attr *a)
{
	const char *v = a->value;

	if (!strcmp(a->name, "version"))
		return !strcmp(v, "1.0");
	if (!strcmp(a->name, "encoding"))
		return xml_eq_nocase(v, "UTF-8") || xml_eq_nocase(v, "US-ASCII");
	if (!strcmp(a->name, "standalone"))
		return !strcmp(v, "yes") || !strcmp(v, "no");
	return false;
}

static int check_declaration(struct xml_lexer *lx, const struct xml_tag *t)
{
	bool has_version = false;

	for (unsigned i = 0; i < t->nr_attr; i++) {
		bool ok = declaration_attr_ok(&t->attr[i]);

		has_version |= ok && !strcmp(t->attr[i].name, "version");
		if (!ok)
			return xml_fail(lx, -E_NOTSUP, t->line,
					"unsupported %s in the XML declaration", t->attr[i].name);
	}
	if (!has_version)
		return xml_fail(lx, -E_INVAL, t->line, "the XML declaration needs version=\"1.0\"");
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
	if (!looking_at(lx, "<?xml") || lx->end - lx->p < 6 || !xml_is_space(lx->p[5]))
		return 0;
	lx->p += 5;
	t->line = lx->line;
	memcpy(t->name, "?xml", sizeof("?xml"));
	r = lex_attrs(lx, t, "?>");
	return r ? r : check_declaration(lx, t);
}

int xml_prolog(struct xml_lexer *lx)
{
	int tok = lex_declaration(lx);

	while (tok >= 0) {
		tok = xml_next(lx);
		if (tok == XML_TOK_START)
			return 0;
		if (tok == XML_TOK_EOF)
			return xml_fail(lx, -E_INVAL, lx->line, "no root element");
		if (tok == XML_TOK_END)
			return xml_fail(lx, -E_INVAL, lx->tag.line,
					"unexpected </%s>", lx->tag.name);
		if (tok == XML_TOK_TEXT && lx->nonblank)
			return xml_fail(lx, -E_INVAL, lx->text_line,
					"text outside the root element");
	}
	return tok;
}

int xml_epilog(struct xml_lexer *lx)
{
	int tok;

	for (;;) {
		tok = xml_next(lx);
		if (tok == XML_TOK_EOF || tok < 0)
			return tok == XML_TOK_EOF ? 0 : tok;
		if (tok == XML_TOK_START)
			return xml_fail(lx, -E_INVAL, lx->tag.line, "second root element <%s>",
					lx->tag.name);
		if (tok == XML_TOK_END)
			return xml_fail(lx, -E_INVAL, lx->tag.line,
					"unexpected </%s>", lx->tag.name);
		if (lx->nonblank)
			return xml_fail(lx, -E_INVAL, lx->text_line, "text after the root element");
	}
}

/* ---------------------------------------------------------------- content */

int xml_next_in(struct xml_lexer *lx, const char *name, unsigned line)
{
	int tok = xml_next(lx);

	if (tok == XML_TOK_EOF)
		return xml_fail(lx, -E_INVAL, lx->line,
				"end of file before </%s> (opened on line %u)", name, line);
	if (tok == XML_TOK_END && strcmp(lx->tag.name, name))
		return xml_fail(lx, -E_INVAL, lx->tag.line, "</%s> does not close <%s> of line %u",
				lx->tag.name, name, line);
	return tok;
}

static int skip_element(struct xml_lexer *lx, unsigned depth)
{
	char name[XML_NAME_MAX + 1];
	unsigned line = lx->tag.line;
	int tok;

	if (depth > XML_MAX_DEPTH)
		return xml_fail(lx, -E_INVAL, line,
				"elements nested deeper than %u", XML_MAX_DEPTH);
	if (lx->tag.empty)
		return 0;
	memcpy(name, lx->tag.name, sizeof(name));
	for (;;) {
		tok = xml_next_in(lx, name, line);
		if (tok == XML_TOK_START)
			tok = skip_element(lx, depth + 1);
		else if (tok == XML_TOK_END)
			return 0;
		if (tok < 0)
			return tok;
	}
}

int xml_skip_element(struct xml_lexer *lx)
{
	return skip_element(lx, 1);
}

void xml_text_clear(struct xml_lexer *lx)
{
	lx->text_len = 0;
	lx->text[0] = '\0';
}

const char *xml_text_trim(struct xml_lexer *lx)
{
	char *s = lx->text;

	while (lx->text_len && xml_is_space(s[lx->text_len - 1]))
		s[--lx->text_len] = '\0';
	while (xml_is_space(*s))
		s++;
	return s;
}
