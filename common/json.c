/* JSON text <-> ynode tree. A recursive-descent parser that reports the
 * position of the first problem the way Python's json module words it. */
#include "json.h"
#include "base64.h"

#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 1000

struct jparser {
	const char *buf;
	size_t len, pos;
	struct ydoc *doc;
	struct yaml_error *err;
	int depth;
	int line;          /* line of line_start, 1-based */
	size_t line_start; /* offset of the current line (newlines only occur in whitespace) */
};

static void pos_of(const struct jparser *p, size_t at, int *line, int *col)
{
	int l = p->line, c = 1;
	size_t from = p->line_start <= at ? p->line_start : 0;
	if (from == 0)
		l = 1;
	for (size_t i = from; i < at && i < p->len; i++) {
		if (p->buf[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)p->buf[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Records "msg: line L column C (char N)" as Python does; returns NULL. */
static struct ynode *jerr(struct jparser *p, size_t at, const char *msg)
{
	if (p->err->message)
		return NULL;
	pos_of(p, at, &p->err->line, &p->err->col);
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%s: line %d column %d (char %zu)", msg, p->err->line, p->err->col, at);
	p->err->message = sb_detach(&sb);
	return NULL;
}

static void skip_ws(struct jparser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->buf[p->pos]) && p->buf[p->pos]) {
		if (p->buf[p->pos] == '\n') {
			p->line++;
			p->line_start = p->pos + 1;
		}
		p->pos++;
	}
}

static void set_pos(struct jparser *p, struct ynode *n, size_t at)
{
	pos_of(p, at, &n->line, &n->col);
}

static struct ynode *parse_value(struct jparser *p);

static int read_hex4(struct jparser *p, size_t at, unsigned *out)
{
	if (at + 4 > p->len)
		return -1;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_digit(p->buf[at + i]);
		if (h < 0)
			return -1;
		v = v * 16 + (unsigned)h;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	char b[4];
	if (cp < 0x80) {
		sb_putc(sb, (char)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		sb_append(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sb_append(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sb_append(sb, b, 4);
	}
}

/* Parses the string starting at the opening quote into sb. */
static int parse_string_into(struct jparser *p, struct strbuf *sb)
{
	size_t start = p->pos++;
	for (;;) {
		if (p->pos >= p->len) {
			jerr(p, start, "Unterminated string starting at");
			return -1;
		}
		unsigned char c = (unsigned char)p->buf[p->pos];
		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c < 0x20) {
			jerr(p, p->pos, "Invalid control character at");
			return -1;
		}
		if (c != '\\') {
			sb_putc(sb, (char)c);
			p->pos++;
			continue;
		}
		size_t esc = p->pos;
		if (++p->pos >= p->len) {
			jerr(p, start, "Unterminated string starting at");
			return -1;
		}
		char e = p->buf[p->pos++];
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *hit = e ? strchr(from, e) : NULL;
		if (hit) {
			sb_putc(sb, to[hit - from]);
			continue;
		}
		if (e != 'u') {
			jerr(p, esc, "Invalid \\escape");
			return -1;
		}
		unsigned cp;
		if (read_hex4(p, p->pos, &cp) < 0) {
			jerr(p, esc, "Invalid \\uXXXX escape");
			return -1;
		}
		p->pos += 4;
		if (cp >= 0xD800 && cp <= 0xDBFF && p->pos + 6 <= p->len &&
		    p->buf[p->pos] == '\\' && p->buf[p->pos + 1] == 'u') {
			unsigned lo;
			if (read_hex4(p, p->pos + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p->pos += 6;
			}
		}
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = 0xFFFD; /* a lone surrogate has no UTF-8 form */
		put_utf8(sb, cp);
	}
}

static struct ynode *parse_string(struct jparser *p)
{
	size_t at = p->pos;
	struct strbuf sb = STRBUF_INIT;
	if (parse_string_into(p, &sb) < 0) {
		sb_free(&sb);
		return NULL;
	}
	struct ynode *n = ynode_new_strn(p->doc, sb.data ? sb.data : "", sb.len);
	sb_free(&sb);
	if (!n)
		return jerr(p, at, "Out of memory at");
	set_pos(p, n, at);
	n->style = YS_DOUBLE;
	return n;
}

static struct ynode *parse_number(struct jparser *p)
{
	size_t at = p->pos, i = p->pos;
	const char *b = p->buf;
	int is_float = 0;
	if (i < p->len && b[i] == '-')
		i++;
	if (i < p->len && b[i] == '0') {
		i++;
	} else if (i < p->len && b[i] >= '1' && b[i] <= '9') {
		while (i < p->len && b[i] >= '0' && b[i] <= '9')
			i++;
	} else {
		return jerr(p, at, "Expecting value");
	}
	if (i + 1 < p->len && b[i] == '.' && b[i + 1] >= '0' && b[i + 1] <= '9') {
		is_float = 1;
		i++;
		while (i < p->len && b[i] >= '0' && b[i] <= '9')
			i++;
	}
	if (i < p->len && (b[i] == 'e' || b[i] == 'E')) {
		size_t j = i + 1;
		if (j < p->len && (b[j] == '+' || b[j] == '-'))
			j++;
		if (j < p->len && b[j] >= '0' && b[j] <= '9') {
			is_float = 1;
			i = j;
			while (i < p->len && b[i] >= '0' && b[i] <= '9')
				i++;
		}
	}
	char tmp[64];
	char *text = i - at < sizeof(tmp) ? tmp : malloc(i - at + 1);
	if (!text)
		return jerr(p, at, "Out of memory at");
	memcpy(text, b + at, i - at);
	text[i - at] = 0;
	struct ynode *n;
	if (is_float) {
		n = ynode_new_float(p->doc, strtod(text, NULL));
	} else {
		errno = 0;
		long long v = strtoll(text, NULL, 10);
		n = ynode_new_int(p->doc, v);
		if (n && errno == ERANGE) {
			n->big = 1;
			n->f = strtod(text, NULL);
		}
	}
	if (n) {
		/* keep the literal, like YAML scalars do */
		struct ynode *lit = ynode_new_strn(p->doc, text, i - at);
		if (lit) {
			n->text = lit->text;
			n->text_len = lit->text_len;
		}
		set_pos(p, n, at);
		n->style = YS_PLAIN;
	}
	if (text != tmp)
		free(text);
	p->pos = i;
	return n ? n : jerr(p, at, "Out of memory at");
}

static struct ynode *parse_container(struct jparser *p, int is_obj)
{
	size_t at = p->pos++;
	struct ynode *n = is_obj ? ynode_new_map(p->doc) : ynode_new_seq(p->doc);
	if (!n)
		return jerr(p, at, "Out of memory at");
	set_pos(p, n, at);
	n->style = YS_FLOW;
	if (++p->depth > MAX_DEPTH)
		return jerr(p, at, "Nesting deeper than 1000 levels at");
	skip_ws(p);
	char close = is_obj ? '}' : ']';
	if (p->pos < p->len && p->buf[p->pos] == close) {
		p->pos++;
		p->depth--;
		return n;
	}
	for (;;) {
		skip_ws(p);
		struct ynode *key = NULL;
		if (is_obj) {
			if (p->pos >= p->len || p->buf[p->pos] != '"')
				return jerr(p, p->pos, "Expecting property name enclosed in double quotes");
			key = parse_string(p);
			if (!key)
				return NULL;
			skip_ws(p);
			if (p->pos >= p->len || p->buf[p->pos] != ':')
				return jerr(p, p->pos, "Expecting ':' delimiter");
			p->pos++;
			skip_ws(p);
		}
		struct ynode *v = parse_value(p);
		if (!v)
			return NULL;
		if (is_obj ? ymap_set_node(p->doc, n, key, v) : yseq_append(p->doc, n, v))
			return jerr(p, at, "Out of memory at");
		skip_ws(p);
		if (p->pos < p->len && p->buf[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->buf[p->pos] == close) {
			p->pos++;
			p->depth--;
			return n;
		}
		return jerr(p, p->pos, is_obj ? "Expecting ',' delimiter" : "Expecting ',' delimiter");
	}
}

static struct ynode *parse_value(struct jparser *p)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return jerr(p, p->pos, "Expecting value");
	const char *s = p->buf + p->pos;
	size_t left = p->len - p->pos;
	size_t at = p->pos;
	struct ynode *n = NULL;
	switch (*s) {
	case '{': return parse_container(p, 1);
	case '[': return parse_container(p, 0);
	case '"': return parse_string(p);
	case 't':
		if (left >= 4 && !memcmp(s, "true", 4)) {
			n = ynode_new_bool(p->doc, 1);
			p->pos += 4;
		}
		break;
	case 'f':
		if (left >= 5 && !memcmp(s, "false", 5)) {
			n = ynode_new_bool(p->doc, 0);
			p->pos += 5;
		}
		break;
	case 'n':
		if (left >= 4 && !memcmp(s, "null", 4)) {
			n = ynode_new_null(p->doc);
			p->pos += 4;
		}
		break;
	case 'N':
		if (left >= 3 && !memcmp(s, "NaN", 3)) {
			n = ynode_new_float(p->doc, __builtin_nan(""));
			p->pos += 3;
		}
		break;
	case 'I':
		if (left >= 8 && !memcmp(s, "Infinity", 8)) {
			n = ynode_new_float(p->doc, __builtin_inf());
			p->pos += 8;
		}
		break;
	case '-':
		if (left >= 9 && !memcmp(s, "-Infinity", 9)) {
			n = ynode_new_float(p->doc, -__builtin_inf());
			p->pos += 9;
			break;
		}
		return parse_number(p);
	default:
		if (*s >= '0' && *s <= '9')
			return parse_number(p);
		break;
	}
	if (!n)
		return jerr(p, at, "Expecting value");
	set_pos(p, n, at);
	n->style = YS_PLAIN;
	return n;
}

struct ydoc *json_parse(const char *buf, size_t len, struct yaml_error *err)
{
	struct jparser p = {buf, len, 0, ydoc_new(), err, 0, 1, 0};
	memset(err, 0, sizeof(*err));
	if (!p.doc) {
		err->line = err->col = 1;
		err->message = strdup("out of memory");
		return NULL;
	}
	struct ynode *root = parse_value(&p);
	if (root) {
		skip_ws(&p);
		if (p.pos < p.len)
			root = jerr(&p, p.pos, "Extra data");
	}
	if (!root) {
		ydoc_free(p.doc);
		return NULL;
	}
	ydoc_set_root(p.doc, root);
	return p.doc;
}

int json_write_node(struct jsonw *w, const struct ynode *n)
{
	if (!n) {
		jw_null(w);
		return jw_error(w);
	}
	switch (n->kind) {
	case Y_NULL: jw_null(w); break;
	case Y_BOOL: jw_bool(w, n->b); break;
	case Y_INT:
		if (n->big)
			jw_raw(w, n->text);
		else
			jw_int(w, n->i);
		break;
	case Y_FLOAT: jw_double(w, n->f); break;
	case Y_STR: case Y_BYTES: jw_strn(w, n->str, n->len); break;
	case Y_TIME: jw_str(w, n->text); break;
	case Y_SEQ:
		jw_arr_begin(w);
		for (size_t i = 0; i < n->n; i++)
			json_write_node(w, n->items[i]);
		jw_arr_end(w);
		break;
	case Y_MAP:
		jw_obj_begin(w);
		for (size_t i = 0; i < n->n; i++) {
			const struct ynode *k = n->items[2 * i];
			char num[64];
			const char *key = num;
			switch (k->kind) {
			case Y_STR: case Y_BYTES: key = k->str; break;
			case Y_NULL: key = "null"; break;
			case Y_BOOL: key = k->b ? "true" : "false"; break;
			case Y_INT:
				if (k->big)
					key = k->text;
				else
					snprintf(num, sizeof(num), "%lld", k->i);
				break;
			case Y_FLOAT: snprintf(num, sizeof(num), "%.17g", k->f); break;
			default: key = k->text; break;
			}
			jw_key(w, key);
			json_write_node(w, n->items[2 * i + 1]);
		}
		jw_obj_end(w);
		break;
	}
	return jw_error(w);
}
