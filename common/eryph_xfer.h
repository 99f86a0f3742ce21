/* The server side of the original's three file-transfer channel requests
 * (egs-compat §5): upload-file@eryph.io, download-file@eryph.io and
 * list-directory@eryph.io. The Dropbear glue runs eryph_request() in a
 * forked child whose in_fd carries the channel data from the client and
 * whose out_fd carries channel data to the client, then turns the result
 * into the channel's end: plain close (ERYPH_OK), exit-status (ERYPH_STATUS)
 * or exit-signal "exception@eryph.io" (ERYPH_EXCEPTION).
 *
 * Deliberate differences from the original (see README):
 * - uploads go to a temporary file next to the target that is renamed into
 *   place only once all `length` bytes have arrived; a short stream leaves
 *   the target untouched and ends in an exception instead of success;
 * - exactly `length` bytes are written (the original also writes extra
 *   bytes that arrive in the last chunk);
 * - download-file only serves regular files (a device or fifo is
 *   FileNotFound), so it cannot stream forever. */
#ifndef EGS_ERYPH_XFER_H
#define EGS_ERYPH_XFER_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define ERYPH_REQ_UPLOAD   "upload-file@eryph.io"
#define ERYPH_REQ_DOWNLOAD "download-file@eryph.io"
#define ERYPH_REQ_LIST     "list-directory@eryph.io"
/* The exit-signal name for ERYPH_EXCEPTION. */
#define ERYPH_SIGNAL_EXCEPTION "exception@eryph.io"

#define ERYPH_FILE_EXISTS    0xA0020001u
#define ERYPH_FILE_NOT_FOUND 0xA0020002u

enum eryph_result_kind { ERYPH_OK, ERYPH_STATUS, ERYPH_EXCEPTION };

struct eryph_result {
	enum eryph_result_kind kind;
	uint32_t status;      /* ERYPH_STATUS: ERYPH_FILE_EXISTS, ERYPH_FILE_NOT_FOUND */
	char message[512];    /* ERYPH_EXCEPTION: the text for exit-signal "exception@eryph.io" */
};

/* 1 when type is one of the three request names above, else 0. */
int eryph_request_known(const char *type);

/* Parses the request payload that follows the want_reply byte (the SSH
 * wire fields of egs-compat §5.2-§5.4) and performs the request, reading
 * upload data from in_fd and writing download/list output to out_fd. Never
 * exits; fills *res. type is "upload-file@eryph.io" etc. Returns 0 when
 * the request was recognised (res says how it ended), -1 when type is
 * unknown or the payload is malformed (res->kind = ERYPH_EXCEPTION with a
 * message naming the field). Bytes after the last field are ignored.
 * Reads the umask with umask(2) (not thread-safe; the glue runs this in a
 * single-threaded child). Writes to out_fd may raise SIGPIPE if the reader
 * is gone: the caller decides whether SIGPIPE is ignored. Closing in_fd's
 * writer (EOF) is how the glue tells an upload that the channel closed;
 * killing the child instead would leave the temporary file behind. */
int eryph_request(const char *type, const unsigned char *payload, size_t len,
                  int in_fd, int out_fd, struct eryph_result *res);

/* Encodes res for the status pipe the glue reads back: one line
 * "ok\n" | "status <decimal u32>\n" | "exception <message>\n" (message with
 * CR and LF replaced by spaces). Appends to out; returns 0 or -1 (ENOMEM,
 * or an unknown kind). */
int eryph_result_encode(const struct eryph_result *res, struct strbuf *out);
/* Parses one such line (len bytes, the trailing "\n" optional; NUL bytes
 * are not allowed). A message longer than the buffer is truncated.
 * Returns 0, or -1 when the line is not in the format above. */
int eryph_result_decode(const char *line, size_t len, struct eryph_result *res);

#endif
