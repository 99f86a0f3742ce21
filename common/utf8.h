/* UTF-8 text as Python 3 sees it, for code that must make the same
 * decisions as cloud-init: strict validity, str.isspace(), str.splitlines()
 * and the escaping used in its log messages. */
#ifndef EGS_UTF8_H
#define EGS_UTF8_H

#include <stddef.h>

#include "strbuf.h"

/* 1 when s[0..len) decodes with Python's strict UTF-8 codec (no overlong
 * forms, no surrogates, nothing above U+10FFFF), else 0. */
int utf8_valid(const char *s, size_t len);

/* Number of leading bytes that are whitespace by str.isspace() (ASCII
 * blanks, \x1c-\x1f, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000 encoded in UTF-8). */
size_t utf8_py_space_prefix(const char *s, size_t len);

/* len minus the trailing whitespace (same set), i.e. str.rstrip(). */
size_t utf8_py_rstrip_len(const char *s, size_t len);

/* Length of the first line of s by str.splitlines() (ends at \n, \r,
 * \r\n, \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028, U+2029); *eol_len
 * receives the length of the line break after it (0 at the end). */
size_t utf8_py_line(const char *s, size_t len, size_t *eol_len);

/* Appends text.encode("unicode_escape") of the first line (split at \n)
 * of s, at most maxchars characters. Invalid bytes become U+DC80.. as with
 * errors="surrogateescape" when keep_invalid, else they are dropped (as
 * errors="ignore"). Returns 0 or -1 (ENOMEM). */
int utf8_py_escape_first_line(struct strbuf *out, const char *s, size_t len,
                              size_t maxchars, int keep_invalid);

/* Appends Python's repr() of the bytes s (b'...' or b"..."). */
int utf8_py_bytes_repr(struct strbuf *out, const char *s, size_t len);

#endif
