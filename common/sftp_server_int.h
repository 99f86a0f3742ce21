/* Internals of the SFTP server shared by its three files:
 *   sftp_server.c        the I/O loop, the handle table, sftp_serve()
 *   sftp_server_reply.c  building responses, errno -> SSH_FX_* status
 *   sftp_server_ops.c    one function per request type, and dispatch
 * Not for use outside the server. */
#ifndef EGS_SFTP_SERVER_INT_H
#define EGS_SFTP_SERVER_INT_H

#include <dirent.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sftp_server.h"
#include "sftp_wire.h"
#include "strbuf.h"

#define SFTPS_LOG_SRC "egs.sftp-server"
/* Handles are 8 bytes on the wire: table index and generation. */
#define SFTPS_HANDLE_LEN 8

enum handle_kind { H_FREE, H_FILE, H_DIR };

struct handle {
	enum handle_kind kind;
	uint32_t gen;      /* changes on every reuse, so stale handles fail */
	int fd;            /* H_FILE */
	DIR *dir;          /* H_DIR */
	char *path;        /* for log lines */
	uint64_t bytes_read, bytes_written;
};

struct server {
	int in_fd, out_fd;
	const struct sftp_server_opts *opts;
	unsigned char *in; /* received bytes in[in_start..in_end) */
	size_t in_start, in_end;
	int in_eof;
	struct strbuf out; /* responses; out.data[out_off..out.len) unsent */
	size_t out_off;
	int out_blocked;   /* the last write hit EAGAIN: wait for POLLOUT */
	struct handle *handles;
	size_t nhandles, max_handles;
	uint32_t next_gen;
	int init_done;
	int fatal;         /* stop serving: protocol violation or no memory */
	/* scratch space reused by every request (no allocation per request) */
	char path1[PATH_MAX], path2[PATH_MAX], resolved[PATH_MAX];
	struct strbuf scratch;
};

/* ---- sftp_server.c: handles ---- */

/* A free slot of kind for path (copied); its index, or -1 with errno. */
long sftps_alloc_handle(struct server *s, enum handle_kind kind, const char *path);
/* Forgets a handle (the caller closed its fd or DIR). */
void sftps_free_handle(struct handle *h);
/* Reads a handle string and finds a live handle of the given kind
 * (H_FREE: either kind). NULL when unknown, stale or of another kind. */
struct handle *sftps_get_handle(struct server *s, struct wire_reader *r, enum handle_kind kind);

/* ---- sftp_server_reply.c: responses ----
 * Each appends one response packet to s->out and returns 0 (so handlers
 * can `return sftps_status(...)`). Running out of memory sets s->fatal:
 * the client would otherwise wait forever for that reply. */

int sftps_oom(struct server *s);
int sftps_status_msg(struct server *s, uint32_t id, uint32_t code, const char *msg);
/* A status with OpenSSH's fixed message for code ("No such file", ...). */
int sftps_status(struct server *s, uint32_t id, uint32_t code);
/* The status for errno err, as OpenSSH's errno_to_portable() maps it. */
int sftps_errno(struct server *s, uint32_t id, int err);
/* OK when rc >= 0, else the status for err. */
int sftps_result(struct server *s, uint32_t id, int rc, int err);
int sftps_handle(struct server *s, uint32_t id, size_t index);
int sftps_attrs(struct server *s, uint32_t id, const struct stat *st);
/* A NAME reply with one entry whose long name is the name itself and
 * whose attributes are empty (REALPATH, READLINK, expand-path). */
int sftps_one_name(struct server *s, uint32_t id, const char *name);

/* ---- sftp_server_ops.c ---- */

/* Handles one packet (p: type onwards, len bytes): appends its response,
 * or sets s->fatal (request before INIT, no request id). */
int sftps_handle_packet(struct server *s, const unsigned char *p, size_t len);

#endif
