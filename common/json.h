/* A JSON parser (RFC 8259, as Python's json.loads accepts it) into the
 * ynode tree of yaml.h, and the way back through jsonw.h.
 * Objects become Y_MAP (duplicate keys: last value wins, first position),
 * arrays Y_SEQ, numbers Y_INT (no fraction/exponent) or Y_FLOAT, strings
 * Y_STR (UTF-8; \u escapes decoded, surrogate pairs joined), true/false
 * Y_BOOL, null Y_NULL. Every node keeps its 1-based line/column. */
#ifndef EGS_JSON_H
#define EGS_JSON_H

#include <stddef.h>

#include "jsonw.h"
#include "yaml.h"

/* Parses buf (len bytes). Returns a new document (free with ydoc_free), or
 * NULL with *err filled ("Expecting value" and the like, with line/col;
 * release it with yaml_error_free). Nesting is limited to 1000 levels. */
struct ydoc *json_parse(const char *buf, size_t len, struct yaml_error *err);

/* Writes n as JSON. Y_BYTES are written as strings (invalid UTF-8 becomes
 * U+FFFD), Y_TIME as its text, non-string map keys as their text (ints,
 * floats) or "true"/"false"/"null", as Python's json.dumps does.
 * NaN/inf become NaN/Infinity. Returns jw_error(w). */
int json_write_node(struct jsonw *w, const struct ynode *n);

#endif
