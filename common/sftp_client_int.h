/* Internals shared by the SFTP client's two files:
 *   sftp_client.c    the request/response stream and the simple requests
 *   sftp_transfer.c  pipelined transfers, atomic upload, temp cleaning
 *   sftp_batch.c     many small files in flight at once
 * Not for use outside the client. */
#ifndef EGS_SFTP_CLIENT_INT_H
#define EGS_SFTP_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sftp_client.h"
#include "sftp_proto.h"
#include "sftp_wire.h"
#include "strbuf.h"

enum {
	EXT_POSIX_RENAME = 1, EXT_FSYNC = 2, EXT_LIMITS = 4, EXT_STATVFS = 8,
	EXT_HARDLINK = 16,
};

struct sftp_client {
	int rfd, wfd;
	uint32_t next_id;
	unsigned exts;
	uint64_t max_packet, max_read, max_write;
	unsigned char *in; /* received: in[in_start..in_end) */
	size_t in_start, in_end, in_cap, consume;
	struct strbuf out; /* requests not yet written */
	size_t pkt_start;
	int broken;
	int last_status;
	char err[512];
};

struct remote_handle {
	unsigned char h[SFTP_MAX_HANDLE];
	size_t len;
	char *path; /* for messages */
};

struct sftp_file {
	struct remote_handle rh;
};

struct sftp_dir {
	struct remote_handle rh;
	struct strbuf names;  /* the last NAME reply's body */
	struct wire_reader r; /* position within names */
	uint32_t left;        /* entries not returned yet */
	int eof;
	struct strbuf name, longname;
};

/* Each of these returns -1 (convenient in `return sftpc_...;`) after
 * recording errno, the status (-1: local) and the message. */
int sftpc_fail(struct sftp_client *c, int err, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* ... and marks the stream unusable (lost sync, closed, I/O error). */
int sftpc_broken(struct sftp_client *c, int err, const char *what);
int sftpc_oom(struct sftp_client *c);
/* The server's failure status code with its message (msg, n bytes) as
 * "op path: message". */
int sftpc_status_fail(struct sftp_client *c, uint32_t code, const char *msg, size_t n,
                      const char *op, const char *path);

/* Starts a request packet of type in c->out; *id gets its id. */
int sftpc_req_start(struct sftp_client *c, uint8_t type, uint32_t *id);
/* Starts a request whose first fields are ext (if not NULL) and the handle. */
int sftpc_handle_req(struct sftp_client *c, uint8_t type, const char *ext,
                     const struct remote_handle *rh, uint32_t *id);
/* Completes the packet being built (patches its length). */
void sftpc_req_end(struct sftp_client *c);
/* Drops the packet being built. */
void sftpc_req_abort(struct sftp_client *c);
/* Writes all queued requests. */
int sftpc_flush(struct sftp_client *c);
/* Receives the next packet; *r reads the body after type and id and stays
 * valid until the next call. */
int sftpc_recv(struct sftp_client *c, uint8_t *type, uint32_t *id, struct wire_reader *r);
/* Flushes, then receives the response to request id (which must be next). */
int sftpc_await(struct sftp_client *c, uint32_t id, uint8_t *type, struct wire_reader *r);
/* Like sftpc_await for a STATUS reply: 0 if OK, else the failure. */
int sftpc_await_status(struct sftp_client *c, uint32_t id, const char *op, const char *path);
/* 0 if type is want; a failure STATUS becomes the error; else protocol error. */
int sftpc_expect(struct sftp_client *c, uint8_t type, struct wire_reader *r, uint8_t want,
                 const char *op, const char *path);

#endif
