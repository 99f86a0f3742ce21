/* The "uri" format as python3-rfc3987 checks it (rule "URI", RFC 3986):
 * scheme ":" hier-part [ "?" query ] [ "#" fragment ]. */
#include <string.h>

#include "schema_int.h"

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_unreserved(char c) { return is_alpha(c) || is_digit(c) || (c && strchr("-._~", c)); }
static int is_subdelim(char c) { return c && strchr("!$&'()*+,;=", c); }

/* Checks s[0..len) holds only unreserved, sub-delims, %XX and extra. */
static int chars_ok(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return 0;
			if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return 0;
			i += 2;
		} else if (!is_unreserved(c) && !is_subdelim(c) && !(c && strchr(extra, c))) {
			return 0;
		}
	}
	return 1;
}

static int ip_literal_ok(const char *s, size_t len)
{
	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return 0;
	s++;
	len -= 2;
	if (len && (s[0] == 'v' || s[0] == 'V')) {
		size_t i = 1;
		while (i < len && is_hex(s[i]))
			i++;
		if (i == 1 || i >= len || s[i] != '.' || i + 1 >= len)
			return 0;
		return chars_ok(s + i + 1, len - i - 1, ":");
	}
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.')
			return 0;
	return memchr(s, ':', len) != NULL;
}

static int authority_ok(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	if (at) {
		if (!chars_ok(s, (size_t)(at - s), ":"))
			return 0;
		len -= (size_t)(at - s) + 1;
		s = at + 1;
	}
	size_t hostlen = len;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return 0;
		hostlen = (size_t)(close - s) + 1;
		if (!ip_literal_ok(s, hostlen))
			return 0;
	} else {
		const char *colon = memchr(s, ':', len);
		hostlen = colon ? (size_t)(colon - s) : len;
		if (!chars_ok(s, hostlen, ""))
			return 0;
	}
	if (hostlen < len) {
		if (s[hostlen] != ':')
			return 0;
		for (size_t i = hostlen + 1; i < len; i++)
			if (!is_digit(s[i]))
				return 0;
	}
	return 1;
}

int schema_uri_valid(const char *s)
{
	if (!is_alpha(s[0]))
		return 0;
	size_t i = 1;
	while (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	if (s[i] != ':')
		return 0;
	const char *h = s + i + 1;
	size_t hlen = strcspn(h, "?#");
	const char *rest = h + hlen;
	if (hlen >= 2 && h[0] == '/' && h[1] == '/') {
		size_t alen = strcspn(h + 2, "/");
		if (alen > hlen - 2)
			alen = hlen - 2;
		if (!authority_ok(h + 2, alen))
			return 0;
		if (!chars_ok(h + 2 + alen, hlen - 2 - alen, ":@/"))
			return 0;
	} else {
		if (hlen && h[0] == '/' && hlen > 1 && h[1] == '/')
			return 0;
		if (!chars_ok(h, hlen, ":@/"))
			return 0;
	}
	if (*rest == '?') {
		size_t qlen = strcspn(rest + 1, "#");
		if (!chars_ok(rest + 1, qlen, ":@/?"))
			return 0;
		rest += 1 + qlen;
	}
	if (*rest == '#' && !chars_ok(rest + 1, strlen(rest + 1), ":@/?"))
		return 0;
	return 1;
}
