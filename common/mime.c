#include "mime.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"

/* The input as lines, the way Python's feed parser sees it: a line ends
 * after \r\n, \r or \n. A stack of multipart delimiters acts as end of
 * file for nested parts: a line matching any of them is not consumed. */
struct reader {
	const char *buf;
	size_t pos, len;
	const char *seps[MIME_MAX_DEPTH + 1]; /* "--boundary", innermost last */
	size_t seplens[MIME_MAX_DEPTH + 1];
	int nseps;
	int max_depth;
};

/* Length of the line at pos including its line ending. */
static size_t line_len(const struct reader *r, size_t pos)
{
	size_t i = pos;
	while (i < r->len && r->buf[i] != '\n' && r->buf[i] != '\r')
		i++;
	if (i < r->len) {
		if (r->buf[i] == '\r' && i + 1 < r->len && r->buf[i + 1] == '\n')
			i++;
		i++;
	}
	return i - pos;
}

/* Length of the line ending at the end of s[0..n), or 0. */
static size_t eol_len(const char *s, size_t n)
{
	if (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n')
		return 2;
	if (n >= 1 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		return 1;
	return 0;
}

/* Matches Python's '--boundary(--)?[ \t]*(\r\n|\r|\n)?$'. Returns 0 for no
 * match, 1 for a delimiter, 2 for the closing delimiter. */
static int match_sep(const char *line, size_t n, const char *sep, size_t seplen)
{
	if (n < seplen || memcmp(line, sep, seplen) != 0)
		return 0;
	size_t i = seplen;
	int kind = 1;
	if (n - i >= 2 && line[i] == '-' && line[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i + eol_len(line + i, n - i) == n)
		return kind;
	/* the regex backtracks over "--" only to fail on it as whitespace */
	return 0;
}

/* Returns the next line's length, or 0 at end of input or at a line that
 * matches an enclosing delimiter (which is left unread). */
static size_t next_line(const struct reader *r)
{
	if (r->pos >= r->len)
		return 0;
	size_t n = line_len(r, r->pos);
	for (int i = r->nseps - 1; i >= 0; i--)
		if (match_sep(r->buf + r->pos, n, r->seps[i], r->seplens[i]))
			return 0;
	return n;
}

/* Python's headerRE: '^(From |[\041-\071\073-\176]*:|[\t ])'. */
static int is_header_line(const char *s, size_t n)
{
	if (n >= 5 && memcmp(s, "From ", 5) == 0)
		return 1;
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t'))
		return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			return 1;
		if (c < 041 || c > 0176)
			return 0;
	}
	return 0;
}

static int add_header(struct mime_part *p, const char *start, size_t n)
{
	const char *colon = memchr(start, ':', n);
	size_t namelen = (size_t)(colon - start);
	const char *v = colon + 1, *end = start + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	size_t vlen = (size_t)(end - v);
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
		vlen--;
	struct mime_header *h = realloc(p->headers, (p->nheaders + 1) * sizeof(*h));
	if (!h)
		return -1;
	p->headers = h;
	h = &p->headers[p->nheaders];
	h->name = strndup(start, namelen);
	h->value = strndup(v, vlen);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return -1;
	}
	p->nheaders++;
	return 0;
}

/* 1 when the line at pos exists, is not an enclosing delimiter and is a
 * header or continuation line. */
static int header_follows(struct reader *r, size_t pos)
{
	size_t save = r->pos;
	r->pos = pos;
	size_t n = next_line(r);
	r->pos = save;
	return n && is_header_line(r->buf + pos, n);
}

/* Reads the header block as Python's _parsegen + _parse_headers. The
 * lines of one field are contiguous in the input, so a field is kept as
 * the byte range [fstart, fend). A "From " line that ends the block goes
 * back to the body, as Python pushes it back: *from_len gets its length
 * when the blank separator after it was consumed (the body is then that
 * line plus what follows the separator). */
static int parse_headers(struct reader *r, struct mime_part *p, size_t *from_start,
                         size_t *from_len)
{
	size_t fstart = 0, fend = 0, lineno = 0;
	int have = 0;
	*from_len = 0;
	for (;; lineno++) {
		size_t n = next_line(r);
		if (n == 0)
			break;
		const char *line = r->buf + r->pos;
		if (!is_header_line(line, n)) {
			if (eol_len(line, n) == n) /* the blank separator line */
				r->pos += n;
			else
				p->defects |= MIME_DEF_NO_SEPARATOR;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (have)
				fend = r->pos + n;
			else
				p->defects |= MIME_DEF_BAD_HEADER;
			r->pos += n;
			continue;
		}
		if (have && add_header(p, r->buf + fstart, fend - fstart) < 0)
			return -1;
		have = 0;
		if (n >= 5 && memcmp(line, "From ", 5) == 0) {
			if (lineno > 0 && !header_follows(r, r->pos + n)) {
				/* the last header line: it is the body's first */
				size_t after = r->pos + n;
				r->pos = after;
				size_t m = next_line(r);
				if (m && eol_len(r->buf + after, m) == m) {
					*from_start = after - n;
					*from_len = n;
					r->pos = after + m;
				} else {
					r->pos = after - n;
				}
				return 0;
			}
			/* the mbox envelope line, or a misplaced one: ignored */
			if (lineno != 0)
				p->defects |= MIME_DEF_BAD_HEADER;
			r->pos += n;
			continue;
		}
		if (line[0] == ':') {
			p->defects |= MIME_DEF_BAD_HEADER;
			r->pos += n;
			continue;
		}
		have = 1;
		fstart = r->pos;
		fend = r->pos + n;
		r->pos += n;
	}
	if (have && add_header(p, r->buf + fstart, fend - fstart) < 0)
		return -1;
	return 0;
}

const char *mime_header_get(const struct mime_part *part, const char *name)
{
	for (size_t i = 0; i < part->nheaders; i++)
		if (strcasecmp(part->headers[i].name, name) == 0)
			return part->headers[i].value;
	return NULL;
}

/* Python's str.strip() set, as far as single bytes go. */
static int py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static void trim(const char **s, size_t *n)
{
	while (*n && py_space((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && py_space((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Python's get_content_type(): the value before ';', stripped and lower
 * case; anything without exactly one '/' is text/plain. */
static char *content_type_of(const struct mime_part *p)
{
	const char *v = mime_header_get(p, "Content-Type");
	if (!v)
		return strdup("text/plain");
	size_t n = strcspn(v, ";");
	trim(&v, &n);
	size_t slashes = 0;
	for (size_t i = 0; i < n; i++)
		slashes += v[i] == '/';
	if (slashes != 1)
		return strdup("text/plain");
	char *t = strndup(v, n);
	if (t)
		for (char *c = t; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	return t;
}

static struct mime_part *parse_part(struct reader *r, int depth);

static int add_child(struct mime_part *p, struct mime_part *child)
{
	struct mime_part **c = realloc(p->children, (p->nchildren + 1) * sizeof(*c));
	if (!c)
		return -1;
	p->children = c;
	p->children[p->nchildren++] = child;
	return 0;
}

/* Reads the rest (up to an enclosing delimiter) as the body. */
static void read_body(struct reader *r, struct mime_part *p)
{
	size_t start = r->pos, n;
	while ((n = next_line(r)) > 0)
		r->pos += n;
	p->body = r->buf + start;
	p->body_len = r->pos - start;
}

/* RFC 2046: the line ending before a delimiter belongs to it. */
static void strip_eol(struct mime_part *p)
{
	/* Python strips the part parsed last: for message/ the inner one */
	while (p->is_container && strncmp(p->ctype, "message/", 8) == 0 && p->nchildren)
		p = p->children[p->nchildren - 1];
	if (!p->is_container)
		p->body_len -= eol_len(p->body, p->body_len);
}

static int parse_multipart(struct reader *r, struct mime_part *p, int depth)
{
	struct strbuf b = STRBUF_INIT;
	int found = mime_header_param(mime_header_get(p, "Content-Type"), "boundary", &b);
	if (found < 0)
		return -1;
	while (b.len && py_space((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (!found) {
		sb_free(&b);
		p->defects |= MIME_DEF_NO_BOUNDARY;
		read_body(r, p);
		return 0;
	}
	struct strbuf sep = STRBUF_INIT;
	if (sb_puts(&sep, "--") < 0 || sb_append(&sep, b.data ? b.data : "", b.len) < 0) {
		sb_free(&b);
		sb_free(&sep);
		return -1;
	}
	sb_free(&b);
	p->is_container = 1;
	p->body = r->buf + r->pos;
	int started = 0, closed = 0, ret = 0;
	size_t n;
	while ((n = next_line(r)) > 0) {
		int kind = match_sep(r->buf + r->pos, n, sep.data, sep.len);
		if (kind == 0) { /* preamble (after the start only via nesting) */
			r->pos += n;
			continue;
		}
		r->pos += n;
		if (kind == 2) {
			closed = 1;
			break;
		}
		started = 1;
		/* Python skips repeated delimiter lines (closing ones too) */
		while ((n = next_line(r)) > 0 && match_sep(r->buf + r->pos, n, sep.data, sep.len))
			r->pos += n;
		r->seps[r->nseps] = sep.data;
		r->seplens[r->nseps] = sep.len;
		r->nseps++;
		struct mime_part *child = parse_part(r, depth + 1);
		r->nseps--;
		if (!child || add_child(p, child) < 0) {
			mime_free(child);
			ret = -1;
			break;
		}
		strip_eol(child);
	}
	if (!started && ret == 0) {
		p->defects |= MIME_DEF_NO_START;
		p->is_container = 0;
	} else if (!closed) {
		p->defects |= MIME_DEF_NO_CLOSE;
	}
	if (closed) /* the epilogue: read and dropped */
		while ((n = next_line(r)) > 0)
			r->pos += n;
	p->body_len = (size_t)(r->buf + r->pos - p->body);
	/* the tree keeps pointers to sep only while parsing */
	sb_free(&sep);
	return ret;
}

static struct mime_part *parse_part(struct reader *r, int depth)
{
	struct mime_part *p = calloc(1, sizeof(*p));
	size_t from_start = 0, from_len = 0;
	if (!p)
		return NULL;
	if (parse_headers(r, p, &from_start, &from_len) < 0 || !(p->ctype = content_type_of(p)))
		goto fail;
	int too_deep = depth >= r->max_depth;
	if (strncmp(p->ctype, "multipart/", 10) == 0 && !too_deep) {
		if (parse_multipart(r, p, depth) < 0)
			goto fail;
	} else if (strncmp(p->ctype, "message/", 8) == 0 && !too_deep) {
		/* what follows is another message */
		p->body = r->buf + r->pos;
		struct mime_part *inner = parse_part(r, depth + 1);
		if (!inner || add_child(p, inner) < 0) {
			mime_free(inner);
			goto fail;
		}
		p->is_container = 1;
		p->body_len = (size_t)(r->buf + r->pos - p->body);
	} else {
		if (too_deep && (strncmp(p->ctype, "multipart/", 10) == 0 ||
		                 strncmp(p->ctype, "message/", 8) == 0))
			p->defects |= MIME_DEF_TOO_DEEP;
		read_body(r, p);
		if (from_len) { /* the pushed-back "From " line comes first */
			p->owned_body = malloc(from_len + p->body_len + 1);
			if (!p->owned_body)
				goto fail;
			memcpy(p->owned_body, r->buf + from_start, from_len);
			memcpy(p->owned_body + from_len, p->body, p->body_len);
			p->body_len += from_len;
			p->owned_body[p->body_len] = '\0';
			p->body = p->owned_body;
		}
	}
	return p;
fail:
	mime_free(p);
	return NULL;
}

struct mime_part *mime_parse(const char *data, size_t len, int max_depth)
{
	struct reader r;
	memset(&r, 0, sizeof(r));
	r.buf = data ? data : "";
	r.len = data ? len : 0;
	r.max_depth = max_depth > 0 && max_depth <= MIME_MAX_DEPTH ? max_depth : MIME_MAX_DEPTH;
	return parse_part(&r, 0);
}

void mime_free(struct mime_part *part)
{
	if (!part)
		return;
	for (size_t i = 0; i < part->nheaders; i++) {
		free(part->headers[i].name);
		free(part->headers[i].value);
	}
	free(part->headers);
	for (size_t i = 0; i < part->nchildren; i++)
		mime_free(part->children[i]);
	free(part->children);
	free(part->ctype);
	free(part->owned_body);
	free(part);
}

/* ---- parameters -------------------------------------------------------- */

/* Python's utils.unquote: "..." loses its quotes and \\ \" escapes,
 * <...> its brackets. */
static int append_unquoted(struct strbuf *out, const char *v, size_t n)
{
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		for (size_t i = 1; i + 1 < n; i++) {
			if (v[i] == '\\' && i + 2 < n && (v[i + 1] == '\\' || v[i + 1] == '"'))
				i++;
			if (sb_putc(out, v[i]) < 0)
				return -1;
		}
		return 0;
	}
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
		return sb_append(out, v + 1, n - 2);
	return sb_append(out, v, n);
}

/* RFC 2231 charset'lang'%XX..: the charset is not converted (user-data is
 * UTF-8 in practice); a value without two quotes is taken as is. */
static int append_rfc2231(struct strbuf *out, const char *v, size_t n)
{
	const char *q1 = memchr(v, '\'', n);
	const char *q2 = q1 ? memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - v)) : NULL;
	if (!q2)
		return append_unquoted(out, v, n);
	for (const char *s = q2 + 1; s < v + n; s++) {
		int c = (unsigned char)*s;
		if (c == '%' && s + 2 < v + n && hex_digit(s[1]) >= 0 && hex_digit(s[2]) >= 0) {
			c = hex_digit(s[1]) * 16 + hex_digit(s[2]);
			s += 2;
		}
		if (sb_putc(out, (char)c) < 0)
			return -1;
	}
	return 0;
}



/* One pass over the ';'-separated fields of value for name=... (starred:
 * name*=...). Returns 1 found, 0 not, -1 ENOMEM. */
static int find_param(const char *value, const char *param, int starred,
                      struct strbuf *out)
{
	size_t plen = strlen(param);
	const char *s = value;
	while (*s) {
		/* a ';' inside quotes does not end the field */
		const char *e = s;
		int quoted = 0;
		while (*e && (*e != ';' || quoted)) {
			if (*e == '\\' && quoted && e[1])
				e++;
			else if (*e == '"')
				quoted = !quoted;
			e++;
		}
		const char *f = s;
		size_t fn = (size_t)(e - s);
		s = *e ? e + 1 : e;
		const char *eq = memchr(f, '=', fn);
		if (!eq)
			continue;
		const char *name = f, *v = eq + 1;
		size_t namelen = (size_t)(eq - f), vlen = fn - namelen - 1;
		trim(&name, &namelen);
		trim(&v, &vlen);
		if (namelen != plen + (starred ? 1 : 0) || strncasecmp(name, param, plen) != 0)
			continue;
		if (!starred)
			return append_unquoted(out, v, vlen) < 0 ? -1 : 1;
		if (name[plen] == '*')
			return append_rfc2231(out, v, vlen) < 0 ? -1 : 1;
	}
	return 0;
}

int mime_header_param(const char *value, const char *param, struct strbuf *out)
{
	if (!value)
		return 0;
	/* Python lists RFC 2231 parameters after the plain ones */
	int found = find_param(value, param, 0, out);
	return found ? found : find_param(value, param, 1, out);
}

int mime_filename(const struct mime_part *part, struct strbuf *out)
{
	struct strbuf v = STRBUF_INIT;
	int found = mime_header_param(mime_header_get(part, "Content-Disposition"),
	                              "filename", &v);
	if (found == 0)
		found = mime_header_param(mime_header_get(part, "Content-Type"), "name", &v);
	if (found == 1) {
		const char *s = sb_str(&v);
		size_t n = v.len;
		trim(&s, &n);
		if (sb_append(out, s, n) < 0)
			found = -1;
	}
	sb_free(&v);
	return found;
}

/* ---- transfer encodings ------------------------------------------------ */

int mime_decode_qp(struct strbuf *out, const char *in, size_t len)
{
	if (sb_reserve(out, len) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '=') {
			sb_putc(out, in[i]);
			continue;
		}
		if (++i >= len)
			break; /* a final '=' is dropped */
		if (in[i] == '\n' || in[i] == '\r') {
			/* soft line break: skip to after the next \n */
			while (i < len && in[i] != '\n')
				i++;
			continue;
		}
		if (in[i] == '=') {
			sb_putc(out, '=');
			continue;
		}
		if (i + 1 < len && hex_digit(in[i]) >= 0 && hex_digit(in[i + 1]) >= 0) {
			sb_putc(out, (char)(hex_digit(in[i]) * 16 + hex_digit(in[i + 1])));
			i++;
			continue;
		}
		sb_putc(out, '=');
		i--; /* the character after '=' is ordinary */
	}
	return 0;
}

int mime_decode_body(const struct mime_part *part, struct strbuf *out, unsigned *warn)
{
	if (warn)
		*warn = 0;
	/* Python compares the lower-cased value without stripping it */
	const char *cte = mime_header_get(part, "Content-Transfer-Encoding");
	if (cte && strcasecmp(cte, "quoted-printable") == 0)
		return mime_decode_qp(out, part->body, part->body_len);
	if (cte && strcasecmp(cte, "base64") == 0) {
		unsigned fl = 0;
		int rc = base64_decode_lenient(out, part->body, part->body_len, &fl);
		if (rc < 0)
			return -1;
		if (warn)
			*warn = (fl & BASE64_BAD_CHARS ? MIME_WARN_B64_CHARS : 0) |
			        (fl & BASE64_BAD_PADDING ? MIME_WARN_B64_PADDING : 0) |
			        (rc == 1 ? MIME_WARN_B64_LENGTH : 0);
		if (rc == 1) /* undecodable: Python hands back the text with its
		              * line breaks removed */
			for (size_t i = 0; i < part->body_len; i++)
				if (part->body[i] != '\r' && part->body[i] != '\n' &&
				    sb_putc(out, part->body[i]) < 0)
					return -1;
		return 0;
	}
	return sb_append(out, part->body, part->body_len);
}
