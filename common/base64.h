/* Base64 (RFC 4648, standard alphabet with padding), and the value of a
 * base16 (hex) digit. */
#ifndef EGS_BASE64_H
#define EGS_BASE64_H

#include <stddef.h>

#include "strbuf.h"

/* Appends the encoding of data to out. Returns 0 or -1 (ENOMEM). */
int base64_encode(struct strbuf *out, const void *data, size_t len);
/* Appends the decoded bytes to out. Whitespace (space, tab, CR, LF) is
 * skipped, as MIME and YAML block scalars need; padding is optional at the
 * very end. Returns 0, or -1 on a character outside the alphabet, data
 * after padding, or a dangling single character (out is then unchanged). */
int base64_decode(struct strbuf *out, const char *in, size_t len);

/* base64_decode_lenient's *flags bits. */
enum { BASE64_BAD_CHARS = 1, BASE64_BAD_PADDING = 2 };
/* Decodes as Python's email package does for MIME bodies: characters
 * outside the alphabet are dropped (flag BASE64_BAD_CHARS), decoding stops
 * at complete padding, missing padding is tolerated (BASE64_BAD_PADDING).
 * Returns 0; 1 when the data characters are one more than a multiple of
 * four, which nothing can decode (out is then unchanged); -1 on ENOMEM.
 * flags may be NULL. */
int base64_decode_lenient(struct strbuf *out, const char *in, size_t len,
                          unsigned *flags);

/* 0..15 for a hex digit (either case), -1 for anything else. */
int hex_digit(int c);

#endif
