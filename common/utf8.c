#include "utf8.h"

#include <stdint.h>
#include <stdio.h>

/* Decodes one strict UTF-8 character at s. Returns its length and sets
 * *cp, or returns 0 for an invalid sequence. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	if (!len)
		return 0;
	unsigned c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = decode(p + i, len - i, &cp);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

static int is_space(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) ||
	       c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

size_t utf8_py_space_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		size_t n = decode(p + i, len - i, &cp);
		if (!n || !is_space(cp))
			break;
		i += n;
	}
	return i;
}

size_t utf8_py_rstrip_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	while (len) {
		/* find the start of the last character (at most 4 bytes back) */
		size_t start = len - 1, n = 0;
		uint32_t cp;
		while (start > 0 && len - start < 4 && (p[start] & 0xc0) == 0x80)
			start--;
		n = decode(p + start, len - start, &cp);
		if (n != len - start || !is_space(cp))
			break;
		len = start;
	}
	return len;
}

static int is_line_break(uint32_t c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e) ||
	       c == 0x85 || c == 0x2028 || c == 0x2029;
}

size_t utf8_py_line(const char *s, size_t len, size_t *eol_len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	while (i < len) {
		size_t n = decode(p + i, len - i, &cp);
		if (!n) {
			i++;
			continue;
		}
		if (is_line_break(cp)) {
			if (cp == '\r' && i + 1 < len && p[i + 1] == '\n')
				n = 2;
			*eol_len = n;
			return i;
		}
		i += n;
	}
	*eol_len = 0;
	return len;
}

static int escape_char(struct strbuf *out, uint32_t c)
{
	if (c == '\t')
		return sb_puts(out, "\\t");
	if (c == '\n')
		return sb_puts(out, "\\n");
	if (c == '\r')
		return sb_puts(out, "\\r");
	if (c == '\\')
		return sb_puts(out, "\\\\");
	if (c >= 0x10000)
		return sb_printf(out, "\\U%08x", (unsigned)c);
	if (c >= 0x100)
		return sb_printf(out, "\\u%04x", (unsigned)c);
	if (c < 0x20 || c >= 0x7f)
		return sb_printf(out, "\\x%02x", (unsigned)c);
	return sb_putc(out, (char)c);
}

int utf8_py_escape_first_line(struct strbuf *out, const char *s, size_t len,
                              size_t maxchars, int keep_invalid)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;
	while (i < len && chars < maxchars) {
		uint32_t cp;
		size_t n = decode(p + i, len - i, &cp);
		if (!n) {
			n = 1;
			if (!keep_invalid) {
				i++;
				continue;
			}
			cp = 0xdc00 + p[i];
		}
		if (cp == '\n')
			break;
		if (escape_char(out, cp) < 0)
			return -1;
		chars++;
		i += n;
	}
	return 0;
}

int utf8_py_bytes_repr(struct strbuf *out, const char *s, size_t len)
{
	int has_single = 0, has_double = 0;
	for (size_t i = 0; i < len; i++) {
		has_single |= s[i] == '\'';
		has_double |= s[i] == '"';
	}
	char q = has_single && !has_double ? '"' : '\'';
	if (sb_putc(out, 'b') < 0 || sb_putc(out, q) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc;
		if (c == '\\' || c == (unsigned char)q)
			rc = sb_putc(out, '\\') < 0 ? -1 : sb_putc(out, (char)c);
		else if (c == '\t')
			rc = sb_puts(out, "\\t");
		else if (c == '\n')
			rc = sb_puts(out, "\\n");
		else if (c == '\r')
			rc = sb_puts(out, "\\r");
		else if (c < 0x20 || c >= 0x7f)
			rc = sb_printf(out, "\\x%02x", c);
		else
			rc = sb_putc(out, (char)c);
		if (rc < 0)
			return -1;
	}
	return sb_putc(out, q);
}
