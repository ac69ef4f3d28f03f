/* Formatted output without libc: the C99 printf subset documented in
 * include/hv/format.h.  No floating point (the image is built with
 * -mgeneral-regs-only) and no allocation: output goes straight into the
 * caller's buffer, and characters that do not fit are only counted so the
 * return value is the length the full output would have had (as C99).
 *
 * Choices where C99 leaves room or we differ on purpose:
 *  - %p prints "0x" and lowercase hex digits, also for NULL ("0x0");
 *  - %s of NULL prints "(null)";
 *  - an unknown conversion is copied through verbatim ("%q" -> "%q"), and
 *    a lone '%' at the end of the format prints '%';
 *  - widths and precisions are clamped to FMT_MAX_FIELD so a silly field
 *    cannot overflow int arithmetic or spin for billions of iterations. */
#include <hv/format.h>
#include <hv/types.h>

#define FMT_MAX_FIELD (1 << 20)

enum {
	F_LEFT = 1 << 0,   /* '-' */
	F_ZERO = 1 << 1,   /* '0' */
	F_PLUS = 1 << 2,   /* '+' */
	F_SPACE = 1 << 3,  /* ' ' */
	F_ALT = 1 << 4,    /* '#' */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z };

/* The destination buffer and how much output has been produced so far. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

/* One parsed conversion specification. */
struct spec {
	unsigned flags;
	int width;
	int prec;          /* -1: no precision given */
	enum length length;
	char conv;
};

static void out_char(struct out *o, char c)
{
	/* Keep the last byte for the terminator; count everything. */
	if (o->size && o->len < o->size - 1)
		o->buf[o->len] = c;
	o->len++;
}

static void out_repeat(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_mem(struct out *o, const char *s, int n)
{
	for (int i = 0; i < n; i++)
		out_char(o, s[i]);
}

/* Decimal digits at *fmt, saturating at FMT_MAX_FIELD. */
static int parse_num(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		v = v * 10 + (**fmt - '0');
		if (v > FMT_MAX_FIELD)
			v = FMT_MAX_FIELD;
		(*fmt)++;
	}
	return v;
}

static void parse_flags(const char **fmt, struct spec *s)
{
	for (;; (*fmt)++) {
		switch (**fmt) {
		case '-': s->flags |= F_LEFT; break;
		case '0': s->flags |= F_ZERO; break;
		case '+': s->flags |= F_PLUS; break;
		case ' ': s->flags |= F_SPACE; break;
		case '#': s->flags |= F_ALT; break;
		default: return;
		}
	}
}

/* A '*' width is an int argument; a negative one means '-' (C99 7.19.6.1). */
static void parse_width(const char **fmt, struct spec *s, va_list *ap)
{
	if (**fmt != '*') {
		s->width = parse_num(fmt);
		return;
	}
	(*fmt)++;
	long long w = va_arg(*ap, int);
	if (w < 0) {
		s->flags |= F_LEFT;
		w = -w;
	}
	s->width = (int)MIN(w, (long long)FMT_MAX_FIELD);
}

/* A negative '*' precision is taken as if it were omitted (C99). */
static void parse_prec(const char **fmt, struct spec *s, va_list *ap)
{
	s->prec = -1;
	if (**fmt != '.')
		return;
	(*fmt)++;
	if (**fmt != '*') {
		s->prec = parse_num(fmt);
		return;
	}
	(*fmt)++;
	int p = va_arg(*ap, int);
	s->prec = p < 0 ? -1 : MIN(p, FMT_MAX_FIELD);
}

static void parse_length(const char **fmt, struct spec *s)
{
	s->length = LEN_NONE;
	switch (**fmt) {
	case 'h':
		(*fmt)++;
		s->length = LEN_H;
		if (**fmt == 'h') {
			(*fmt)++;
			s->length = LEN_HH;
		}
		return;
	case 'l':
		(*fmt)++;
		s->length = LEN_L;
		if (**fmt == 'l') {
			(*fmt)++;
			s->length = LEN_LL;
		}
		return;
	case 'z':
		(*fmt)++;
		s->length = LEN_Z;
		return;
	}
}

/* Fetch a signed argument; narrower types are promoted to int by the
 * caller, so hh/h convert back to get the intended value. */
static int64_t arg_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H: return (short)va_arg(*ap, int);
	case LEN_L: return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z: return (int64_t)va_arg(*ap, size_t); /* %zd: signed size_t */
	case LEN_NONE: break;
	}
	return va_arg(*ap, int);
}

static uint64_t arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L: return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z: return va_arg(*ap, size_t);
	case LEN_NONE: break;
	}
	return va_arg(*ap, unsigned int);
}

/* Digits of u in base, most significant first; returns their count.
 * 22 bytes hold the longest case, a 64-bit value in octal. */
static int to_digits(char *tmp, uint64_t u, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[22];
	int n = 0;

	do {
		rev[n++] = digits[u % base];
		u /= base;
	} while (u);
	for (int i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

/* Emit a converted integer: [spaces][sign/prefix][zeros][digits][spaces]. */
static void fmt_integer(struct out *o, const struct spec *s, uint64_t u, bool neg)
{
	unsigned base = s->conv == 'o' ? 8 : (s->conv == 'x' || s->conv == 'X' || s->conv == 'p') ? 16 : 10;
	bool is_signed = s->conv == 'd' || s->conv == 'i';
	char digits[22];
	char prefix[2];
	int ndigits = 0, nprefix = 0;

	/* C99: precision 0 with value 0 produces no digits at all. */
	if (!(u == 0 && s->prec == 0))
		ndigits = to_digits(digits, u, base, s->conv == 'X');
	int zeros = s->prec > ndigits ? s->prec - ndigits : 0;

	/* '#' with o: the first digit must be 0. */
	if ((s->flags & F_ALT) && base == 8 && zeros == 0 && (u != 0 || ndigits == 0))
		zeros = 1;

	if (is_signed && neg)
		prefix[nprefix++] = '-';
	else if (is_signed && (s->flags & F_PLUS))
		prefix[nprefix++] = '+';
	else if (is_signed && (s->flags & F_SPACE))
		prefix[nprefix++] = ' ';
	else if (s->conv == 'p' || ((s->flags & F_ALT) && base == 16 && u != 0)) {
		prefix[nprefix++] = '0';
		prefix[nprefix++] = s->conv == 'X' ? 'X' : 'x';
	}

	int total = nprefix + zeros + ndigits;
	int pad = s->width > total ? s->width - total : 0;

	/* '0' pads between prefix and digits, but is ignored with '-' or a
	 * precision (C99 7.19.6.1). */
	if (!(s->flags & F_LEFT) && (s->flags & F_ZERO) && s->prec < 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(s->flags & F_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, prefix, nprefix);
	out_repeat(o, '0', zeros);
	out_mem(o, digits, ndigits);
	if (s->flags & F_LEFT)
		out_repeat(o, ' ', pad);
}

/* Emit n bytes of str padded to the field width with spaces. */
static void fmt_padded(struct out *o, const struct spec *s, const char *str, int n)
{
	int pad = s->width > n ? s->width - n : 0;

	if (!(s->flags & F_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, str, n);
	if (s->flags & F_LEFT)
		out_repeat(o, ' ', pad);
}

static void fmt_string(struct out *o, const struct spec *s, const char *str)
{
	int n = 0;

	if (!str)
		str = "(null)";
	/* With a precision, never read past it: the array need not be
	 * NUL-terminated (C99 7.19.6.1p8). */
	while ((s->prec < 0 || n < s->prec) && str[n])
		n++;
	fmt_padded(o, s, str, n);
}

/* Handle one conversion whose spec has been parsed. */
static void convert(struct out *o, struct spec *s, va_list *ap)
{
	switch (s->conv) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(ap, s->length);
		/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
		uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		fmt_integer(o, s, u, v < 0);
		return;
	}
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		fmt_integer(o, s, arg_unsigned(ap, s->length), false);
		return;
	case 'p':
		fmt_integer(o, s, (uintptr_t)va_arg(*ap, void *), false);
		return;
	case 'c': {
		char c = (char)va_arg(*ap, int);
		fmt_padded(o, s, &c, 1);
		return;
	}
	case 's':
		fmt_string(o, s, va_arg(*ap, const char *));
		return;
	case '%':
		out_char(o, '%');
		return;
	}
}

static bool known_conv(char c)
{
	switch (c) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
	case 'c': case 's': case 'p': case '%':
		return true;
	}
	return false;
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	/* A copy we can pass by pointer: helpers then consume arguments in
	 * order, which passing a va_list by value would not guarantee. */
	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		const char *start = fmt++;
		struct spec s = { 0 };
		parse_flags(&fmt, &s);
		parse_width(&fmt, &s, &aq);
		parse_prec(&fmt, &s, &aq);
		parse_length(&fmt, &s);
		s.conv = *fmt;
		if (!known_conv(s.conv)) {
			/* Copy the bad specification through so it is visible. */
			if (*fmt)
				fmt++;
			out_mem(&o, start, (int)(fmt - start));
			continue;
		}
		fmt++;
		convert(&o, &s, &aq);
	}
	va_end(aq);

	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int hv_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
