/* Parser for keel.cfg (format in kernel/config.h). */
#include "kernel/config.h"
#include "kernel/errno.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Copy s[0..n) without surrounding blanks into out (size max). */
static bool copy_trimmed(const char *s, size_t n, char *out, size_t max)
{
	while (n && is_blank(*s))
		s++, n--;
	while (n && is_blank(s[n - 1]))
		n--;
	if (n >= max)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static int fail(struct config_error *err, unsigned line, const char *what)
{
	err->line = line;
	err->what = what;
	return -E_INVAL;
}

static int parse_line(const char *s, size_t n, unsigned line, config_fn fn, void *ctx,
		      struct config_error *err)
{
	char key[CONFIG_KEY_MAX], value[CONFIG_VALUE_MAX];
	const char *eq = memchr(s, '=', n), *hash = memchr(s, '#', n);

	if (hash)
		n = (size_t)(hash - s);
	if (!copy_trimmed(s, n, value, sizeof(value)))
		return fail(err, line, "line too long");
	if (!value[0])
		return 0;			/* blank or comment */
	if (!eq || eq >= s + n)
		return fail(err, line, "expected 'key = value'");
	if (!copy_trimmed(s, (size_t)(eq - s), key, sizeof(key)))
		return fail(err, line, "key too long");
	if (!key[0])
		return fail(err, line, "missing key before '='");
	for (const char *k = key; *k; k++)
		if (!is_key_char(*k))
			return fail(err, line, "keys use a-z, 0-9, '_' and '-'");
	if (!copy_trimmed(eq + 1, (size_t)(s + n - eq - 1), value, sizeof(value)))
		return fail(err, line, "value too long");
	return fn(ctx, key, value, line);
}

int config_parse(const char *text, size_t len, config_fn fn, void *ctx,
		 struct config_error *err)
{
	unsigned line = 1;
	size_t start = 0;
	int r;

	err->line = 0;
	err->what = NULL;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] == '\0')
			return fail(err, line, "NUL byte in file");
		if (i < len && text[i] != '\n')
			continue;
		r = parse_line(text + start, i - start, line, fn, ctx, err);
		if (r)
			return r;
		start = i + 1;
		line++;
	}
	return 0;
}
