/* Python repr() for ynodes. */
#include "pyrepr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (left bytes). Returns its length, or 0
 * (invalid: *cp is the byte). */
static size_t utf8_next(const unsigned char *s, size_t left, unsigned *cp)
{
	unsigned c = s[0];
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		c &= 0x07;
	} else {
		*cp = c;
		return 0;
	}
	if (n > left) {
		*cp = s[0];
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = s[0];
			return 0;
		}
		c = c << 6 | (s[i] & 0x3F);
	}
	*cp = c;
	return n;
}

/* Python's str.isprintable() for the code points that matter here. */
static int printable(unsigned cp)
{
	if (cp < 0x20 || cp == 0x7F)
		return 0;
	if (cp >= 0x80 && cp < 0xA0)
		return 0;
	if (cp == 0xA0 || cp == 0xAD || (cp >= 0x2028 && cp <= 0x2029) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFEFF || (cp >= 0x200B && cp <= 0x200F))
		return 0;
	return 1;
}

static int repr_text(struct strbuf *out, const char *s, size_t len, int bytes)
{
	char quote = '\'';
	if (memchr(s, '\'', len) && !memchr(s, '"', len))
		quote = '"';
	if (bytes)
		sb_putc(out, 'b');
	sb_putc(out, quote);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned c = u[i];
		if (c == (unsigned char)quote || c == '\\') {
			sb_putc(out, '\\');
			sb_putc(out, (char)c);
			i++;
		} else if (c == '\n') {
			sb_puts(out, "\\n"), i++;
		} else if (c == '\r') {
			sb_puts(out, "\\r"), i++;
		} else if (c == '\t') {
			sb_puts(out, "\\t"), i++;
		} else if (c < 0x20 || c == 0x7F || (bytes && c >= 0x80)) {
			sb_printf(out, "\\x%02x", c), i++;
		} else if (c < 0x80) {
			sb_putc(out, (char)c), i++;
		} else {
			unsigned cp;
			size_t n = utf8_next(u + i, len - i, &cp);
			if (!n) {
				sb_printf(out, "\\udc%02x", c); /* surrogateescape */
				i++;
			} else if (!printable(cp)) {
				if (cp < 0x100)
					sb_printf(out, "\\x%02x", cp);
				else if (cp < 0x10000)
					sb_printf(out, "\\u%04x", cp);
				else
					sb_printf(out, "\\U%08x", cp);
				i += n;
			} else {
				sb_append(out, s + i, n);
				i += n;
			}
		}
	}
	return sb_putc(out, quote);
}

int py_repr_str(struct strbuf *out, const char *s, size_t len)
{
	return repr_text(out, s, len, 0);
}

int py_repr_float(struct strbuf *out, double f)
{
	if (isnan(f))
		return sb_puts(out, "nan");
	if (isinf(f))
		return sb_puts(out, f > 0 ? "inf" : "-inf");
	char buf[40];
	int prec;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
		if (strtod(buf, NULL) == f)
			break;
	}
	/* buf: d.ddde[+-]XX with prec significant digits; lay it out as repr */
	int exp = atoi(strchr(buf, 'e') + 1);
	if (exp < -4 || exp >= 16) {
		char mant[32];
		size_t m = (size_t)(strchr(buf, 'e') - buf);
		memcpy(mant, buf, m);
		mant[m] = 0;
		/* drop trailing zeros and a bare dot */
		if (strchr(mant, '.')) {
			while (m > 0 && mant[m - 1] == '0')
				mant[--m] = 0;
			if (m > 0 && mant[m - 1] == '.')
				mant[--m] = 0;
		}
		return sb_printf(out, "%se%c%02d", mant, exp < 0 ? '-' : '+', abs(exp));
	}
	int decimals = prec - 1 - exp;
	if (decimals < 1)
		decimals = 1;
	snprintf(buf, sizeof(buf), "%.*f", decimals, f);
	return sb_puts(out, buf);
}

/* Writes the calendar fields of a YAML timestamp text as datetime's repr. */
static int repr_time(struct strbuf *out, const char *t)
{
	int v[7] = {0};
	int n = 0;
	const char *p = t;
	while (*p && n < 7) {
		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (!*p)
			break;
		if (n == 6) { /* fraction: microseconds, 6 digits */
			if (p[-1] != '.')
				break;
			int us = 0, digits = 0;
			while (*p >= '0' && *p <= '9') {
				if (digits < 6)
					us = us * 10 + (*p - '0'), digits++;
				p++;
			}
			while (digits++ < 6)
				us *= 10;
			v[n++] = us;
			break;
		}
		v[n++] = (int)strtol(p, (char **)&p, 10);
	}
	if (n <= 3)
		return sb_printf(out, "datetime.date(%d, %d, %d)", v[0], v[1], v[2]);
	sb_printf(out, "datetime.datetime(%d, %d, %d, %d, %d", v[0], v[1], v[2], v[3], v[4]);
	if (v[5] || v[6])
		sb_printf(out, ", %d", v[5]);
	if (v[6])
		sb_printf(out, ", %d", v[6]);
	return sb_putc(out, ')');
}

static int repr(struct strbuf *out, const struct ynode *n, size_t max)
{
	if (max && out->len > max)
		return 0;
	switch (n->kind) {
	case Y_NULL: return sb_puts(out, "None");
	case Y_BOOL: return sb_puts(out, n->b ? "True" : "False");
	case Y_INT:
		if (n->big) {
			/* a base-10 literal prints exactly; others approximately */
			const char *t = n->text;
			int neg = *t == '-';
			if (*t == '-' || *t == '+')
				t++;
			if (t[0] >= '1' && t[0] <= '9' && strspn(t, "0123456789_") == strlen(t)) {
				if (neg)
					sb_putc(out, '-');
				for (; *t; t++)
					if (*t != '_')
						sb_putc(out, *t);
				return 0;
			}
			return sb_printf(out, "%.0f", n->f);
		}
		return sb_printf(out, "%lld", n->i);
	case Y_FLOAT: return py_repr_float(out, n->f);
	case Y_STR: return repr_text(out, n->str, n->len, 0);
	case Y_BYTES: return repr_text(out, n->str, n->len, 1);
	case Y_TIME: return repr_time(out, n->text);
	case Y_SEQ:
		sb_putc(out, '[');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sb_puts(out, ", ");
			repr(out, n->items[i], max);
		}
		return sb_putc(out, ']');
	case Y_MAP:
		sb_putc(out, '{');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sb_puts(out, ", ");
			repr(out, n->items[2 * i], max);
			sb_puts(out, ": ");
			repr(out, n->items[2 * i + 1], max);
		}
		return sb_putc(out, '}');
	}
	return 0;
}

int py_repr(struct strbuf *out, const struct ynode *n, size_t max)
{
	if (!n)
		return sb_puts(out, "None");
	size_t start = out->len;
	int rc = repr(out, n, max);
	if (max && out->len - start > max) {
		out->len = start + max;
		out->data[out->len] = 0;
		rc = sb_puts(out, "...");
	}
	return rc;
}
