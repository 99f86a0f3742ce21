#include "sftp_client_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "sftp_proto.h"
#include "strbuf.h"

/* Responses larger than this are refused (OpenSSH sends at most 256 KiB). */
#define CLIENT_MAX_PACKET (4 * 1024 * 1024)
/* Without limits@openssh.com, stay within what every server accepts. */
#define DEFAULT_XFER 32768

/* ---- errors ------------------------------------------------------------ */

static int status_errno(uint32_t code)
{
	switch (code) {
	case SSH_FX_NO_SUCH_FILE: return ENOENT;
	case SSH_FX_PERMISSION_DENIED: return EACCES;
	case SSH_FX_OP_UNSUPPORTED: return ENOTSUP;
	case SSH_FX_BAD_MESSAGE: return EINVAL;
	case SSH_FX_NO_CONNECTION:
	case SSH_FX_CONNECTION_LOST: return ECONNRESET;
	default: return EIO;
	}
}

/* Records an error message; status is the server's code or -1 (local). */
int sftpc_fail(struct sftp_client *c, int err, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->last_status = status;
	errno = err;
	return -1;
}

/* The stream is unusable from now on (lost sync or closed). */
int sftpc_broken(struct sftp_client *c, int err, const char *what)
{
	c->broken = 1;
	return sftpc_fail(c, err, -1, "sftp: %s", what);
}

int sftpc_oom(struct sftp_client *c)
{
	return sftpc_fail(c, ENOMEM, -1, "sftp: out of memory");
}

/* Fails with the server's status (code != OK): "op path: message". */
int sftpc_status_fail(struct sftp_client *c, uint32_t code, const char *msg, size_t n,
                       const char *op, const char *path)
{
	static const char *const texts[] = {
		"Success", "End of file", "No such file", "Permission denied", "Failure",
		"Bad message", "No connection", "Connection lost", "Operation unsupported",
	};
	char clean[256];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < sizeof(clean); i++) /* no terminal escapes */
		clean[k++] = (msg[i] >= 0x20 && msg[i] != 0x7f) || (msg[i] & 0x80) ? msg[i] : '?';
	clean[k] = '\0';
	if (!k)
		snprintf(clean, sizeof(clean), "%s",
		         code < sizeof(texts) / sizeof(texts[0]) ? texts[code] : "Unknown error");
	return sftpc_fail(c, status_errno(code), (int)code, "%s %s: %s", op, path, clean);
}

const char *sftp_client_error(const struct sftp_client *c)
{
	return c->err;
}

int sftp_client_status(const struct sftp_client *c)
{
	return c->last_status;
}

/* ---- the stream -------------------------------------------------------- */

struct sftp_client *sftp_client_new(int rfd, int wfd)
{
	struct sftp_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->in_cap = 64 * 1024;
	c->in = malloc(c->in_cap);
	if (!c->in) {
		free(c);
		return NULL;
	}
	c->rfd = rfd;
	c->wfd = wfd;
	c->next_id = 1;
	c->max_packet = DEFAULT_XFER + 1024;
	c->max_read = c->max_write = DEFAULT_XFER;
	return c;
}

void sftp_client_free(struct sftp_client *c)
{
	if (!c)
		return;
	free(c->in);
	sb_free(&c->out);
	free(c);
}

int sftp_client_has_ext(const struct sftp_client *c, const char *name)
{
	unsigned bit = !strcmp(name, SFTP_EXT_POSIX_RENAME) ? EXT_POSIX_RENAME
	             : !strcmp(name, SFTP_EXT_FSYNC)        ? EXT_FSYNC
	             : !strcmp(name, SFTP_EXT_LIMITS)       ? EXT_LIMITS
	             : !strcmp(name, SFTP_EXT_STATVFS)      ? EXT_STATVFS
	             : !strcmp(name, SFTP_EXT_HARDLINK)     ? EXT_HARDLINK : 0;
	return (c->exts & bit) != 0;
}

/* Starts a request packet in c->out; *id gets its id. */
int sftpc_req_start(struct sftp_client *c, uint8_t type, uint32_t *id)
{
	if (c->broken)
		return sftpc_fail(c, EPIPE, -1, "sftp: connection is broken (%s)", "earlier error");
	*id = c->next_id++;
	c->pkt_start = ww_packet_begin(&c->out, type);
	if (c->pkt_start == (size_t)-1 || ww_u32(&c->out, *id))
		return sftpc_oom(c);
	return 0;
}

void sftpc_req_end(struct sftp_client *c)
{
	ww_packet_end(&c->out, c->pkt_start);
}

/* Drops a request that was being built (after a local error). */
void sftpc_req_abort(struct sftp_client *c)
{
	sb_truncate(&c->out, c->pkt_start);
}

int sftpc_flush(struct sftp_client *c)
{
	if (!c->out.len)
		return 0;
	int rc = fs_write_all(c->wfd, c->out.data, c->out.len);
	sb_reset(&c->out);
	if (rc < 0)
		return sftpc_broken(c, errno, "writing a request failed (connection closed?)");
	return 0;
}

/* Makes at least need bytes available at in + in_start. */
static int fill(struct sftp_client *c, size_t need)
{
	while (c->in_end - c->in_start < need) {
		if (c->in_start + need > c->in_cap) {
			memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
			c->in_end -= c->in_start;
			c->in_start = 0;
			if (need > c->in_cap) {
				unsigned char *p = realloc(c->in, need);
				if (!p)
					return sftpc_oom(c);
				c->in = p;
				c->in_cap = need;
			}
		}
		ssize_t n = read(c->rfd, c->in + c->in_end, c->in_cap - c->in_end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sftpc_broken(c, errno, "reading a response failed");
		if (n == 0)
			return sftpc_broken(c, ECONNRESET, "connection closed by the server");
		c->in_end += (size_t)n;
	}
	return 0;
}

/* Receives the next packet. *r reads its body after type and id, and stays
 * valid until the next call. For VERSION, *id is the version. */
int sftpc_recv(struct sftp_client *c, uint8_t *type, uint32_t *id, struct wire_reader *r)
{
	if (c->broken)
		return sftpc_fail(c, EPIPE, -1, "sftp: connection is broken (%s)", "earlier error");
	c->in_start += c->consume;
	c->consume = 0;
	if (fill(c, 4) < 0)
		return -1;
	uint32_t len = wire_get_u32(c->in + c->in_start);
	if (len < 5 || len > CLIENT_MAX_PACKET)
		return sftpc_broken(c, EPROTO, "bad response length from the server");
	if (fill(c, 4 + (size_t)len) < 0)
		return -1;
	wr_init(r, c->in + c->in_start + 4, len);
	*type = wr_u8(r);
	*id = wr_u32(r);
	c->consume = 4 + (size_t)len;
	return 0;
}

/* Sends what is queued and receives the response to request id. */
int sftpc_await(struct sftp_client *c, uint32_t id, uint8_t *type, struct wire_reader *r)
{
	uint32_t got;
	if (sftpc_flush(c) < 0 || sftpc_recv(c, type, &got, r) < 0)
		return -1;
	if (got != id)
		return sftpc_broken(c, EPROTO, "response for an unexpected request id");
	return 0;
}

/* For requests answered by a STATUS: 0 if OK, else the failure. */
int sftpc_await_status(struct sftp_client *c, uint32_t id, const char *op, const char *path)
{
	uint8_t type;
	struct wire_reader r;
	if (sftpc_await(c, id, &type, &r) < 0)
		return -1;
	if (type != SSH_FXP_STATUS)
		return sftpc_broken(c, EPROTO, "unexpected response type (wanted STATUS)");
	uint32_t code = wr_u32(&r);
	size_t n;
	const char *msg = wr_string(&r, &n);
	if (code == SSH_FX_OK)
		return 0;
	return sftpc_status_fail(c, code, msg, n, op, path);
}

/* Checks a response of type want; a STATUS instead is the server's error. */
int sftpc_expect(struct sftp_client *c, uint8_t type, struct wire_reader *r,
                       uint8_t want, const char *op, const char *path)
{
	if (type == want)
		return 0;
	if (type == SSH_FXP_STATUS) {
		uint32_t code = wr_u32(r);
		size_t n;
		const char *msg = wr_string(r, &n);
		if (code != SSH_FX_OK)
			return sftpc_status_fail(c, code, msg, n, op, path);
	}
	return sftpc_broken(c, EPROTO, "unexpected response type");
}

int sftp_client_init(struct sftp_client *c)
{
	c->pkt_start = ww_packet_begin(&c->out, SSH_FXP_INIT);
	if (c->pkt_start == (size_t)-1 || ww_u32(&c->out, SFTP_VERSION))
		return sftpc_oom(c);
	sftpc_req_end(c);
	uint8_t type;
	uint32_t version;
	struct wire_reader r;
	if (sftpc_flush(c) < 0 || sftpc_recv(c, &type, &version, &r) < 0)
		return -1;
	if (type != SSH_FXP_VERSION)
		return sftpc_broken(c, EPROTO, "the server did not answer INIT with VERSION");
	if (version != SFTP_VERSION)
		return sftpc_broken(c, EPROTO, "the server does not speak SFTP version 3");
	while (wr_left(&r) && !r.bad) {
		size_t nn, nv;
		const char *name = wr_string(&r, &nn);
		wr_string(&r, &nv);
		if (r.bad)
			break;
		static const struct { const char *name; unsigned bit; } known[] = {
			{SFTP_EXT_POSIX_RENAME, EXT_POSIX_RENAME}, {SFTP_EXT_FSYNC, EXT_FSYNC},
			{SFTP_EXT_LIMITS, EXT_LIMITS}, {SFTP_EXT_STATVFS, EXT_STATVFS},
			{SFTP_EXT_HARDLINK, EXT_HARDLINK},
		};
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (nn == strlen(known[i].name) && !memcmp(name, known[i].name, nn))
				c->exts |= known[i].bit;
	}
	if (!(c->exts & EXT_LIMITS))
		return 0;
	uint32_t id;
	if (sftpc_req_start(c, SSH_FXP_EXTENDED, &id) < 0 || ww_cstring(&c->out, SFTP_EXT_LIMITS))
		return sftpc_oom(c);
	sftpc_req_end(c);
	if (sftpc_await(c, id, &type, &r) < 0 ||
	    sftpc_expect(c, type, &r, SSH_FXP_EXTENDED_REPLY, "limits", "") < 0)
		return -1;
	uint64_t packet = wr_u64(&r), rd = wr_u64(&r), wrl = wr_u64(&r);
	if (r.bad)
		return sftpc_broken(c, EPROTO, "bad limits@openssh.com reply");
	/* 0 means "no limit": keep the conservative default then */
	if (packet)
		c->max_packet = packet;
	if (rd)
		c->max_read = rd;
	if (wrl)
		c->max_write = wrl;
	return 0;
}

/* ---- simple requests ---------------------------------------------------- */

/* Sends one request of type with a path (and optionally a second path and
 * attributes) and waits for its STATUS. */
static int path_call(struct sftp_client *c, uint8_t type, const char *ext, const char *path,
                     const char *path2, const struct sftp_attrs *a, const char *op)
{
	uint32_t id;
	if (sftpc_req_start(c, type, &id) < 0)
		return -1;
	if ((ext && ww_cstring(&c->out, ext)) || ww_cstring(&c->out, path) ||
	    (path2 && ww_cstring(&c->out, path2)) || (a && ww_attrs(&c->out, a))) {
		sftpc_req_abort(c);
		return sftpc_oom(c);
	}
	sftpc_req_end(c);
	return sftpc_await_status(c, id, op, path);
}

static int stat_call(struct sftp_client *c, uint8_t type, const char *path,
                     struct sftp_attrs *out, const char *op)
{
	uint32_t id;
	uint8_t rtype;
	struct wire_reader r;
	if (sftpc_req_start(c, type, &id) < 0)
		return -1;
	if (ww_cstring(&c->out, path)) {
		sftpc_req_abort(c);
		return sftpc_oom(c);
	}
	sftpc_req_end(c);
	if (sftpc_await(c, id, &rtype, &r) < 0 || sftpc_expect(c, rtype, &r, SSH_FXP_ATTRS, op, path) < 0)
		return -1;
	wr_attrs(&r, out);
	if (r.bad)
		return sftpc_broken(c, EPROTO, "bad ATTRS reply");
	return 0;
}

int sftp_stat(struct sftp_client *c, const char *path, struct sftp_attrs *out)
{
	return stat_call(c, SSH_FXP_STAT, path, out, "stat");
}

int sftp_lstat(struct sftp_client *c, const char *path, struct sftp_attrs *out)
{
	return stat_call(c, SSH_FXP_LSTAT, path, out, "lstat");
}

char *sftp_realpath(struct sftp_client *c, const char *path)
{
	uint32_t id;
	uint8_t type;
	struct wire_reader r;
	if (sftpc_req_start(c, SSH_FXP_REALPATH, &id) < 0)
		return NULL;
	if (ww_cstring(&c->out, path)) {
		sftpc_req_abort(c);
		sftpc_oom(c);
		return NULL;
	}
	sftpc_req_end(c);
	if (sftpc_await(c, id, &type, &r) < 0 || sftpc_expect(c, type, &r, SSH_FXP_NAME, "realpath", path) < 0)
		return NULL;
	uint32_t count = wr_u32(&r);
	size_t n;
	const char *name = wr_string(&r, &n);
	if (r.bad || count != 1 || memchr(name, '\0', n)) {
		sftpc_broken(c, EPROTO, "bad REALPATH reply");
		return NULL;
	}
	char *res = strndup(name, n);
	if (!res)
		sftpc_oom(c);
	return res;
}

int sftp_mkdir(struct sftp_client *c, const char *path, uint32_t mode)
{
	struct sftp_attrs a = {.flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = mode & 07777};
	return path_call(c, SSH_FXP_MKDIR, NULL, path, NULL, &a, "mkdir");
}

int sftp_rmdir(struct sftp_client *c, const char *path)
{
	return path_call(c, SSH_FXP_RMDIR, NULL, path, NULL, NULL, "rmdir");
}

int sftp_remove(struct sftp_client *c, const char *path)
{
	return path_call(c, SSH_FXP_REMOVE, NULL, path, NULL, NULL, "remove");
}

int sftp_setstat(struct sftp_client *c, const char *path, const struct sftp_attrs *a)
{
	return path_call(c, SSH_FXP_SETSTAT, NULL, path, NULL, a, "setstat");
}

int sftp_rename(struct sftp_client *c, const char *from, const char *to)
{
	if (c->exts & EXT_POSIX_RENAME)
		return path_call(c, SSH_FXP_EXTENDED, SFTP_EXT_POSIX_RENAME, from, to, NULL, "rename");
	if (path_call(c, SSH_FXP_RENAME, NULL, from, to, NULL, "rename") == 0)
		return 0;
	if (c->broken || c->last_status != SSH_FX_FAILURE)
		return -1;
	/* plain RENAME refuses to replace: make room, then try once more */
	struct sftp_attrs a;
	if (sftp_lstat(c, to, &a) < 0 || (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS &&
	                                   S_ISDIR(a.perm)))
		return path_call(c, SSH_FXP_RENAME, NULL, from, to, NULL, "rename");
	if (sftp_remove(c, to) < 0)
		return -1;
	return path_call(c, SSH_FXP_RENAME, NULL, from, to, NULL, "rename");
}

/* ---- handles ------------------------------------------------------------ */

/* Sends OPEN or OPENDIR for path and stores the returned handle in rh. */
static int open_call(struct sftp_client *c, uint8_t type, const char *path, uint32_t pflags,
                     const struct sftp_attrs *a, struct remote_handle *rh)
{
	uint32_t id;
	uint8_t rtype;
	struct wire_reader r;
	struct sftp_attrs none = {0};
	if (sftpc_req_start(c, type, &id) < 0)
		return -1;
	if (ww_cstring(&c->out, path) ||
	    (type == SSH_FXP_OPEN && (ww_u32(&c->out, pflags) || ww_attrs(&c->out, a ? a : &none)))) {
		sftpc_req_abort(c);
		return sftpc_oom(c);
	}
	sftpc_req_end(c);
	const char *op = type == SSH_FXP_OPEN ? "open" : "opendir";
	if (sftpc_await(c, id, &rtype, &r) < 0 || sftpc_expect(c, rtype, &r, SSH_FXP_HANDLE, op, path) < 0)
		return -1;
	size_t n;
	const char *h = wr_string(&r, &n);
	if (r.bad || n == 0 || n > sizeof(rh->h))
		return sftpc_broken(c, EPROTO, "bad HANDLE reply");
	memcpy(rh->h, h, n);
	rh->len = n;
	rh->path = strdup(path);
	if (!rh->path) {
		sftpc_oom(c);
		return -1; /* the remote handle leaks until the session ends */
	}
	return 0;
}

/* Starts a request whose first field is the handle. */
int sftpc_handle_req(struct sftp_client *c, uint8_t type, const char *ext,
                      const struct remote_handle *rh, uint32_t *id)
{
	if (sftpc_req_start(c, type, id) < 0)
		return -1;
	if ((ext && ww_cstring(&c->out, ext)) || ww_string(&c->out, rh->h, rh->len)) {
		sftpc_req_abort(c);
		return sftpc_oom(c);
	}
	return 0;
}

static int close_handle(struct sftp_client *c, struct remote_handle *rh)
{
	uint32_t id;
	int rc = sftpc_handle_req(c, SSH_FXP_CLOSE, NULL, rh, &id);
	if (rc == 0) {
		sftpc_req_end(c);
		rc = sftpc_await_status(c, id, "close", rh->path);
	}
	free(rh->path);
	rh->path = NULL;
	return rc;
}

struct sftp_file *sftp_open(struct sftp_client *c, const char *path, uint32_t pflags,
                            const struct sftp_attrs *a)
{
	struct sftp_file *f = calloc(1, sizeof(*f));
	if (!f) {
		sftpc_oom(c);
		return NULL;
	}
	if (open_call(c, SSH_FXP_OPEN, path, pflags, a, &f->rh) < 0) {
		free(f);
		return NULL;
	}
	return f;
}

int sftp_close(struct sftp_client *c, struct sftp_file *f)
{
	int rc = close_handle(c, &f->rh);
	free(f);
	return rc;
}

int sftp_fstat(struct sftp_client *c, struct sftp_file *f, struct sftp_attrs *out)
{
	uint32_t id;
	uint8_t type;
	struct wire_reader r;
	if (sftpc_handle_req(c, SSH_FXP_FSTAT, NULL, &f->rh, &id) < 0)
		return -1;
	sftpc_req_end(c);
	if (sftpc_await(c, id, &type, &r) < 0 ||
	    sftpc_expect(c, type, &r, SSH_FXP_ATTRS, "fstat", f->rh.path) < 0)
		return -1;
	wr_attrs(&r, out);
	if (r.bad)
		return sftpc_broken(c, EPROTO, "bad ATTRS reply");
	return 0;
}

int sftp_fsetstat(struct sftp_client *c, struct sftp_file *f, const struct sftp_attrs *a)
{
	uint32_t id;
	if (sftpc_handle_req(c, SSH_FXP_FSETSTAT, NULL, &f->rh, &id) < 0)
		return -1;
	if (ww_attrs(&c->out, a)) {
		sftpc_req_abort(c);
		return sftpc_oom(c);
	}
	sftpc_req_end(c);
	return sftpc_await_status(c, id, "fsetstat", f->rh.path);
}

int sftp_fsync(struct sftp_client *c, struct sftp_file *f)
{
	if (!(c->exts & EXT_FSYNC))
		return sftpc_fail(c, ENOTSUP, SSH_FX_OP_UNSUPPORTED, "fsync %s: not supported by the server",
		            f->rh.path);
	uint32_t id;
	if (sftpc_handle_req(c, SSH_FXP_EXTENDED, SFTP_EXT_FSYNC, &f->rh, &id) < 0)
		return -1;
	sftpc_req_end(c);
	return sftpc_await_status(c, id, "fsync", f->rh.path);
}

/* ---- directories -------------------------------------------------------- */

struct sftp_dir *sftp_opendir(struct sftp_client *c, const char *path)
{
	struct sftp_dir *d = calloc(1, sizeof(*d));
	if (!d) {
		sftpc_oom(c);
		return NULL;
	}
	if (open_call(c, SSH_FXP_OPENDIR, path, 0, NULL, &d->rh) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

/* Fetches the next NAME reply into d->names (or sets d->eof). */
static int fetch_names(struct sftp_client *c, struct sftp_dir *d)
{
	uint32_t id;
	uint8_t type;
	struct wire_reader r;
	if (sftpc_handle_req(c, SSH_FXP_READDIR, NULL, &d->rh, &id) < 0)
		return -1;
	sftpc_req_end(c);
	if (sftpc_await(c, id, &type, &r) < 0)
		return -1;
	if (type == SSH_FXP_STATUS) {
		struct wire_reader peek = r;
		if (wr_u32(&peek) == SSH_FX_EOF && !peek.bad) {
			d->eof = 1;
			return 0;
		}
	}
	if (sftpc_expect(c, type, &r, SSH_FXP_NAME, "readdir", d->rh.path) < 0)
		return -1;
	d->left = wr_u32(&r);
	sb_reset(&d->names);
	if (sb_append(&d->names, r.p + r.pos, wr_left(&r)) < 0)
		return sftpc_oom(c);
	wr_init(&d->r, d->names.data, d->names.len);
	return 0;
}

int sftp_readdir(struct sftp_client *c, struct sftp_dir *d, struct sftp_dirent *e)
{
	for (;;) {
		while (d->left == 0) {
			if (d->eof)
				return 0;
			if (fetch_names(c, d) < 0)
				return -1;
		}
		d->left--;
		size_t nn, nl;
		const char *name = wr_string(&d->r, &nn);
		const char *longname = wr_string(&d->r, &nl);
		wr_attrs(&d->r, &e->attrs);
		if (d->r.bad)
			return sftpc_broken(c, EPROTO, "bad NAME reply");
		if (memchr(name, '\0', nn) || nn == 0)
			continue; /* not a usable file name: skip it */
		sb_reset(&d->name);
		sb_reset(&d->longname);
		if (sb_append(&d->name, name, nn) < 0 || sb_append(&d->longname, longname, nl) < 0)
			return sftpc_oom(c);
		e->name = sb_str(&d->name);
		e->longname = sb_str(&d->longname);
		return 1;
	}
}

int sftp_closedir(struct sftp_client *c, struct sftp_dir *d)
{
	int rc = close_handle(c, &d->rh);
	sb_free(&d->names);
	sb_free(&d->name);
	sb_free(&d->longname);
	free(d);
	return rc;
}
