/* A JSON writer onto a strbuf: compact (separators "," and ":", as
 * Python's json.dumps(separators=(',', ':'))) or indented by N spaces.
 * Commas and indentation are tracked here, so callers only say what comes
 * next. Nesting deeper than JSONW_MAX_DEPTH is reported by jw_error(). */
#ifndef EGS_JSONW_H
#define EGS_JSONW_H

#include <stddef.h>

#include "strbuf.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
	struct strbuf *out;
	int indent;     /* 0: compact */
	int ascii_only; /* escape non-ASCII as \uXXXX (Python's ensure_ascii) */
	int depth;
	int error;      /* set on ENOMEM, bad nesting or invalid UTF-8 */
	unsigned char count[JSONW_MAX_DEPTH]; /* items so far (saturating) */
	int after_key;
};

void jw_init(struct jsonw *w, struct strbuf *out, int indent, int ascii_only);
void jw_obj_begin(struct jsonw *w);
void jw_obj_end(struct jsonw *w);
void jw_arr_begin(struct jsonw *w);
void jw_arr_end(struct jsonw *w);
void jw_key(struct jsonw *w, const char *key);
void jw_str(struct jsonw *w, const char *s);
void jw_strn(struct jsonw *w, const char *s, size_t len);
void jw_int(struct jsonw *w, long long v);
void jw_uint(struct jsonw *w, unsigned long long v);
void jw_double(struct jsonw *w, double v); /* shortest round-trip form */
void jw_bool(struct jsonw *w, int v);
void jw_null(struct jsonw *w);
/* Appends already-encoded JSON as one value. */
void jw_raw(struct jsonw *w, const char *json);
/* 0 if everything written so far is well-formed, else -1. */
int jw_error(const struct jsonw *w);

/* Appends s (len bytes, UTF-8) as a quoted JSON string. Invalid UTF-8
 * bytes become U+FFFD. Returns 0 or -1 (ENOMEM). */
int json_quote(struct strbuf *out, const char *s, size_t len, int ascii_only);

#endif
