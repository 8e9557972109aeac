/*
 * Keel's printf-style formatter and number parsing: pure code shared by the
 * kernel log, the shell and the unit tests (see kernel/klib.h for the
 * supported conversions).
 */
#include "kernel/errno.h"
#include "kernel/klib.h"

struct fmt_out {
	char *buf;
	size_t size;
	size_t len;	/* characters the full output needs */
};

struct fmt_spec {
	bool left;
	bool zero;
	int width;
	int precision;	/* -1: none */
	int length;	/* 0: int, 1: long, 2: long long, 3: size_t */
};

static void put(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
	int n;

	if (!s)
		s = "(null)";
	n = (int)strnlen(s, sp->precision >= 0 ? (size_t)sp->precision : (size_t)-1);
	if (!sp->left)
		pad(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - n);
}

/* A number with an optional prefix ("-" or "0x") that counts towards the
 * field width; zero padding goes between the prefix and the digits. */
static void put_num(struct fmt_out *o, const struct fmt_spec *sp, uint64_t v,
		    unsigned base, const char *prefix, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, total;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	total = n + (int)strlen(prefix);
	if (!sp->left && !sp->zero)
		pad(o, ' ', sp->width - total);
	while (*prefix)
		put(o, *prefix++);
	if (!sp->left && sp->zero)
		pad(o, '0', sp->width - total);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static const char *parse_spec(const char *f, struct fmt_spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	sp->precision = -1;
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {	/* C: a negative width left-justifies */
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->precision = sp->precision * 10 + (*f++ - '0');
	}
	for (; *f == 'l'; f++)
		sp->length++;
	if (*f == 'z') {
		sp->length = 3;
		f++;
	}
	return f;
}

static uint64_t arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 0: return va_arg(*ap, unsigned int);
	case 1: return va_arg(*ap, unsigned long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned long long);
	}
}

static int64_t arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	case 3: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, long long);
	}
}

static void convert(struct fmt_out *o, struct fmt_spec *sp, char conv, va_list *ap)
{
	int64_t sv;

	switch (conv) {
	case 'd':
	case 'i':
		sv = arg_signed(sp, ap);
		put_num(o, sp, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10, sv < 0 ? "-" : "", false);
		break;
	case 'u':
		put_num(o, sp, arg_unsigned(sp, ap), 10, "", false);
		break;
	case 'x':
	case 'X':
		put_num(o, sp, arg_unsigned(sp, ap), 16, "", conv == 'X');
		break;
	case 'p':
		put_num(o, sp, (uintptr_t)va_arg(*ap, void *), 16, "0x", false);
		break;
	case 's':
		put_str(o, sp, va_arg(*ap, const char *));
		break;
	case 'c':
		if (!sp->left)
			pad(o, ' ', sp->width - 1);
		put(o, (char)va_arg(*ap, int));
		if (sp->left)
			pad(o, ' ', sp->width - 1);
		break;
	default:	/* "%%" and unknown conversions print as they are */
		put(o, conv);
		break;
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { .buf = buf, .size = size, .len = 0 };
	struct fmt_spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &aq);
		if (!*fmt)
			break;
		convert(&o, &sp, *fmt++, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kstrtou64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (!s || !*s)
		return -E_INVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -E_INVAL;
	}
	for (; *s; s++) {
		d = hex_digit_value(*s);
		if (d < 0 || d >= (int)base)
			return -E_INVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -E_RANGE;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return 0;
}
