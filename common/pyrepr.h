/* Python's repr() of a ynode, as the values appear in cloud-init's and
 * jsonschema's messages: 'str', b'bytes', None, True, 1.5, [1, 'a'],
 * {'k': 'v'}, datetime.date(2024, 1, 2). */
#ifndef EGS_PYREPR_H
#define EGS_PYREPR_H

#include <stddef.h>

#include "strbuf.h"
#include "yaml.h"

/* Appends repr(n) to out. Output longer than max bytes (0: no limit) is cut
 * with "...". Returns 0 or -1 (ENOMEM). */
int py_repr(struct strbuf *out, const struct ynode *n, size_t max);
/* Appends repr() of a Python str (UTF-8 s, len bytes). */
int py_repr_str(struct strbuf *out, const char *s, size_t len);
/* Appends repr() of a Python float. */
int py_repr_float(struct strbuf *out, double f);

#endif
