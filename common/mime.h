/* RFC 822/2045/2046 message parsing as Python's email.message_from_string
 * (compat32 policy) does it, because cloud-init 22.4.2 uses that parser for
 * MIME user-data: the same header rules, the same boundary matching, the
 * same tolerance of broken input. A part's body points into the caller's
 * buffer (which must outlive the tree), except in one rare case noted at
 * owned_body. */
#ifndef EGS_MIME_H
#define EGS_MIME_H

#include <stddef.h>

#include "strbuf.h"

/* Defects found while parsing, per part (bits of mime_part.defects). */
enum {
	MIME_DEF_NO_BOUNDARY = 1 << 0,     /* multipart without boundary param */
	MIME_DEF_NO_START = 1 << 1,        /* boundary never seen: no parts */
	MIME_DEF_NO_CLOSE = 1 << 2,        /* closing delimiter missing */
	MIME_DEF_NO_SEPARATOR = 1 << 3,    /* body began without a blank line */
	MIME_DEF_BAD_HEADER = 1 << 4,      /* a header line was ignored */
	MIME_DEF_TOO_DEEP = 1 << 5,        /* nesting cap hit: kept as a leaf */
};

/* Defects found while decoding a body (mime_decode_body's *warn bits). */
enum {
	MIME_WARN_B64_CHARS = 1 << 0,  /* characters outside base64 dropped */
	MIME_WARN_B64_LENGTH = 1 << 1, /* undecodable base64: body kept raw */
	MIME_WARN_B64_PADDING = 1 << 2,
};

struct mime_header {
	char *name;  /* as written */
	char *value; /* after the colon, leading blanks stripped, continuation
	              * lines kept verbatim, the final line ending removed */
};

struct mime_part {
	struct mime_header *headers;
	size_t nheaders;
	char *ctype;       /* Python's get_content_type(): lower-case
	                    * "type/subtype", "text/plain" when missing/bad */
	const char *body;  /* raw body (before any transfer decoding) */
	size_t body_len;
	struct mime_part **children; /* multipart parts, or the message of a
	                              * message/ type */
	size_t nchildren;
	int is_container;  /* 1: multipart/ or message/ with children parsed */
	unsigned defects;  /* MIME_DEF_* */
	char *owned_body;  /* set when body had to be copied (rare) */
};

#define MIME_MAX_DEPTH 32

/* Parses a whole message. max_depth caps nesting (0: MIME_MAX_DEPTH);
 * deeper containers become leaves flagged MIME_DEF_TOO_DEEP. Never fails
 * on malformed input (defects are recorded instead); returns the root, or
 * NULL only on ENOMEM. */
struct mime_part *mime_parse(const char *data, size_t len, int max_depth);
void mime_free(struct mime_part *part);

/* The value of the first header called name (case-insensitive), or NULL. */
const char *mime_header_get(const struct mime_part *part, const char *name);

/* Looks up parameter param (case-insensitive) of a header value like
 * `attachment; filename="a.txt"`, unquoted, with RFC 2231 `param*=`
 * charset''%XX forms decoded. Appends it to out. Returns 1 when found,
 * 0 when not, -1 on ENOMEM. */
int mime_header_param(const char *value, const char *param, struct strbuf *out);

/* The part's file name as Python's get_filename(): Content-Disposition's
 * filename, else Content-Type's name; surrounding blanks stripped.
 * Returns 1 when found (may be empty), 0 when not, -1 on ENOMEM. */
int mime_filename(const struct mime_part *part, struct strbuf *out);

/* Appends the body decoded by its Content-Transfer-Encoding (base64 and
 * quoted-printable; anything else is passed through) to out, leniently as
 * Python does: undecodable base64 is kept raw. *warn gets MIME_WARN_*
 * bits (may be NULL). Returns 0 or -1 (ENOMEM). */
int mime_decode_body(const struct mime_part *part, struct strbuf *out, unsigned *warn);

/* Quoted-printable decoding as binascii.a2b_qp (soft breaks, =XX, a bad
 * escape kept literally). Appends to out. Returns 0 or -1 (ENOMEM). */
int mime_decode_qp(struct strbuf *out, const char *in, size_t len);

#endif
