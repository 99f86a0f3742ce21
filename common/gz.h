/* gzip and zlib inflation on zlib, always with an output size cap, for
 * user-data (gzip blobs and parts) and embedded deflated data. */
#ifndef EGS_GZ_H
#define EGS_GZ_H

#include <stddef.h>

#include "strbuf.h"

/* 1 when data starts with the gzip magic bytes 1f 8b, else 0. */
int gz_is_gzip(const void *data, size_t len);

/* Decompresses a gzip file as Python's gzip module does: one or more
 * members back to back, optionally followed by NUL padding; anything else
 * after a member is an error; empty input is empty output. Appends the result to out. max caps the
 * output (0: no cap). Returns 0, or -1 with *err (when err is not NULL)
 * set to a static message ("not a gzip file", "truncated gzip data",
 * "output larger than the limit", ...); out is then left as it was. */
int gz_gunzip(struct strbuf *out, const void *data, size_t len, size_t max,
              const char **err);

/* Same for one zlib stream (RFC 1950); trailing bytes are an error. */
int gz_inflate_zlib(struct strbuf *out, const void *data, size_t len, size_t max,
                    const char **err);

#endif
