/* SSH wire encoding (RFC 4251 §5): uint32, string, mpint. */
#ifndef EGS_SSHWIRE_H
#define EGS_SSHWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Writers append to out; each returns 0 or -1 (ENOMEM). */
int sw_put_u32(struct strbuf *out, uint32_t v);
int sw_put_string(struct strbuf *out, const void *data, size_t len);
int sw_put_cstring(struct strbuf *out, const char *s);
/* mpint from an unsigned big-endian magnitude (leading zeros dropped,
 * a 0x00 prepended when the top bit is set). */
int sw_put_mpint(struct strbuf *out, const unsigned char *be, size_t len);

/* A reader over a byte range; every get fails (returns -1) once the data
 * runs out, and keeps failing, so callers can check once at the end. */
struct sw_reader {
	const unsigned char *p;
	size_t left;
	int bad;
};
void sw_reader_init(struct sw_reader *r, const void *data, size_t len);
int sw_get_u32(struct sw_reader *r, uint32_t *v);
int sw_get_u64(struct sw_reader *r, uint64_t *v);
int sw_get_bool(struct sw_reader *r, int *v);
/* Points *data into the input (no copy); *len is its length. */
int sw_get_string(struct sw_reader *r, const unsigned char **data, size_t *len);

#endif
