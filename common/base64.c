#include "base64.h"

#include <errno.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(struct strbuf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (sb_reserve(out, (len + 2) / 3 * 4) < 0)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
		             i + 1 < len ? alphabet[(v >> 6) & 63] : '=',
		             i + 2 < len ? alphabet[v & 63] : '='};
		sb_append(out, q, 4); /* cannot fail: reserved above */
	}
	return 0;
}

static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct strbuf *out, const char *in, size_t len)
{
	size_t start = out->len;
	unsigned v = 0;
	int bits = 0, pad = 0;
	if (sb_reserve(out, len / 4 * 3 + 3) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int s = sextet(c);
		if (s < 0 || pad)
			goto bad;
		v = (v << 6) | (unsigned)s;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sb_putc(out, (char)((v >> bits) & 0xff));
		}
	}
	if (bits >= 6 || pad > 2) /* one leftover character carries no byte */
		goto bad;
	return 0;
bad:
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	errno = EINVAL;
	return -1;
}

int base64_decode_lenient(struct strbuf *out, const char *in, size_t len,
                          unsigned *flags)
{
	size_t start = out->len;
	unsigned v = 0, fl = 0;
	int quad = 0, pads = 0;
	if (sb_reserve(out, len / 4 * 3 + 3) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=') {
			/* complete padding ends the data, as binascii does */
			if (quad >= 2 && quad + ++pads >= 4) {
				quad = 0;
				break;
			}
			continue;
		}
		int s = sextet(c);
		if (s < 0) {
			if (c != '\r' && c != '\n')
				fl |= BASE64_BAD_CHARS;
			continue;
		}
		pads = 0;
		v = (v << 6) | (unsigned)s;
		if (quad > 0) /* every character after the first completes a byte */
			sb_putc(out, (char)((v >> (6 - 2 * quad)) & 0xff));
		quad = (quad + 1) & 3;
	}
	if (quad == 1) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		if (flags)
			*flags = fl;
		return 1;
	}
	if (quad)
		fl |= BASE64_BAD_PADDING;
	if (flags)
		*flags = fl;
	return 0;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
