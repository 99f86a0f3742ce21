#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jsonw *w, struct strbuf *out, int indent, int ascii_only)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->indent = indent;
	w->ascii_only = ascii_only;
}

static void newline(struct jsonw *w)
{
	if (!w->indent)
		return;
	sb_putc(w->out, '\n');
	for (int i = 0; i < w->depth * w->indent; i++)
		sb_putc(w->out, ' ');
}

/* Called before every value or key: the comma and line break it needs. */
static void before_item(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (w->count[w->depth - 1])
			sb_putc(w->out, ',');
		if (w->count[w->depth - 1] < 255)
			w->count[w->depth - 1]++;
		newline(w);
	}
}

static void open_nest(struct jsonw *w, char c)
{
	before_item(w);
	sb_putc(w->out, c);
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->error = 1;
		return;
	}
	w->count[w->depth++] = 0;
}

static void close_nest(struct jsonw *w, char c)
{
	if (w->depth <= 0 || w->after_key) {
		w->error = 1;
		return;
	}
	int had_items = w->count[w->depth - 1] != 0;
	w->depth--;
	if (had_items)
		newline(w);
	sb_putc(w->out, c);
}

void jw_obj_begin(struct jsonw *w) { open_nest(w, '{'); }
void jw_obj_end(struct jsonw *w) { close_nest(w, '}'); }
void jw_arr_begin(struct jsonw *w) { open_nest(w, '['); }
void jw_arr_end(struct jsonw *w) { close_nest(w, ']'); }

void jw_key(struct jsonw *w, const char *key)
{
	before_item(w);
	if (json_quote(w->out, key, strlen(key), w->ascii_only) < 0)
		w->error = 1;
	sb_puts(w->out, w->indent ? ": " : ":");
	w->after_key = 1;
}

void jw_strn(struct jsonw *w, const char *s, size_t len)
{
	before_item(w);
	if (json_quote(w->out, s, len, w->ascii_only) < 0)
		w->error = 1;
}

void jw_str(struct jsonw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void jw_int(struct jsonw *w, long long v)
{
	before_item(w);
	sb_printf(w->out, "%lld", v);
}

void jw_uint(struct jsonw *w, unsigned long long v)
{
	before_item(w);
	sb_printf(w->out, "%llu", v);
}

void jw_double(struct jsonw *w, double v)
{
	before_item(w);
	if (!isfinite(v)) { /* JSON has no inf/nan; Python writes them anyway */
		sb_puts(w->out, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".eEn")) /* keep it a float, as Python's repr does */
		strcat(buf, ".0");
	sb_puts(w->out, buf);
}

void jw_bool(struct jsonw *w, int v)
{
	before_item(w);
	sb_puts(w->out, v ? "true" : "false");
}

void jw_null(struct jsonw *w)
{
	before_item(w);
	sb_puts(w->out, "null");
}

void jw_raw(struct jsonw *w, const char *json)
{
	before_item(w);
	sb_puts(w->out, json);
}

int jw_error(const struct jsonw *w)
{
	return w->error || w->after_key ? -1 : 0;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n;
	unsigned min;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, *cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, *cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, *cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

int json_quote(struct strbuf *out, const char *s, size_t len, int ascii_only)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = sb_putc(out, '"');
	for (size_t i = 0; i < len && rc == 0;) {
		unsigned c = p[i];
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		}
		if (esc) {
			rc = sb_puts(out, esc);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			rc = sb_printf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			rc = sb_putc(out, (char)c);
			i++;
		} else {
			unsigned cp;
			size_t n = utf8_decode(p + i, len - i, &cp);
			if (!n) {
				cp = 0xfffd;
				n = 1;
			}
			if (!ascii_only && cp != 0xfffd)
				rc = sb_append(out, p + i, n);
			else if (!ascii_only)
				rc = sb_puts(out, "\xef\xbf\xbd");
			else if (cp >= 0x10000)
				rc = sb_printf(out, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
				               0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				rc = sb_printf(out, "\\u%04x", cp);
			i += n;
		}
	}
	if (rc == 0)
		rc = sb_putc(out, '"');
	return rc;
}
