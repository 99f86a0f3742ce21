/* Many small files in flight at once: each file is a little state machine
 * (put: [LSTAT] OPEN WRITE.. FSETSTAT CLOSE RENAME | REMOVE; get: OPEN
 * READ.. CLOSE) and up to max_files of them advance together, so the
 * round trips of one file overlap with those of the others. */
#include "sftp_client_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftp_proto.h"
#include "strbuf.h"

#define DEFAULT_FILES 64
#define MAX_FILES 256
/* Admission limits: no new file starts while this much is outstanding, so
 * neither side's pipe fills up with unread replies. */
#define MAX_REQS 512
#define MAX_BYTES (4u << 20)
#define GET_MAX_SIZE (16u << 20)
#define TEMP_CAP (4096 + 64)

enum stage {
	ST_FREE, ST_LSTAT, ST_OPEN, ST_WRITE, ST_RENAME, ST_REMOVE, ST_READ, ST_CLOSE,
};

/* One file in flight. */
struct slot {
	enum stage stage;
	size_t item;
	unsigned pending; /* requests not answered yet */
	uint64_t bytes;   /* put: data bytes not acknowledged */
	struct remote_handle rh;
	int failed;       /* the first error is in the item */
	char tmp[TEMP_CAP];
};

/* One request in flight. */
struct req {
	uint32_t id;
	unsigned slot;
};

struct batch {
	struct sftp_client *c;
	struct sftp_batch_item *items;
	size_t n, next;
	struct slot *slots;
	unsigned nslots, active;
	struct req *reqs;
	size_t nreq, capreq;
	uint64_t bytes; /* put: unacknowledged data bytes */
	uint32_t chunk;
	sftp_batch_fn done;
	void *ctx;
};

static int add_req(struct batch *b, uint32_t id, unsigned slot)
{
	if (b->nreq == b->capreq) {
		size_t cap = b->capreq ? b->capreq * 2 : 256;
		struct req *r = realloc(b->reqs, cap * sizeof(*r));
		if (!r)
			return sftpc_oom(b->c);
		b->reqs = r;
		b->capreq = cap;
	}
	b->reqs[b->nreq++] = (struct req){id, slot};
	b->slots[slot].pending++;
	return 0;
}

/* Finds and removes the request id; its slot number, or -1. */
static long take_req(struct batch *b, uint32_t id)
{
	for (size_t i = 0; i < b->nreq; i++) {
		if (b->reqs[i].id == id) {
			unsigned s = b->reqs[i].slot;
			b->reqs[i] = b->reqs[--b->nreq];
			b->slots[s].pending--;
			return (long)s;
		}
	}
	return -1;
}

/* Records the item's first error from the client's last failure. */
static void item_fail(struct batch *b, struct slot *s)
{
	struct sftp_batch_item *it = &b->items[s->item];
	if (s->failed)
		return;
	s->failed = 1;
	it->err = errno ? errno : EIO;
	snprintf(it->msg, sizeof(it->msg), "%s", b->c->err);
}

static void finish(struct batch *b, struct slot *s)
{
	struct sftp_batch_item *it = &b->items[s->item];
	if (!s->failed)
		it->err = 0;
	free(s->rh.path);
	s->rh.path = NULL;
	b->bytes -= s->bytes;
	s->bytes = 0;
	s->stage = ST_FREE;
	b->active--;
	if (b->done)
		b->done(b->ctx, it);
}

/* The request builders: each sends one request for slot si. */
static int send_path(struct batch *b, unsigned si, uint8_t type, const char *ext,
                     const char *path, const char *path2)
{
	uint32_t id;
	if (sftpc_req_start(b->c, type, &id) < 0)
		return -1;
	if ((ext && ww_cstring(&b->c->out, ext)) || ww_cstring(&b->c->out, path) ||
	    (path2 && ww_cstring(&b->c->out, path2))) {
		sftpc_req_abort(b->c);
		return sftpc_oom(b->c);
	}
	sftpc_req_end(b->c);
	return add_req(b, id, si);
}

static int send_open(struct batch *b, unsigned si, const char *path, uint32_t pflags,
                     const struct sftp_attrs *a)
{
	uint32_t id;
	if (sftpc_req_start(b->c, SSH_FXP_OPEN, &id) < 0)
		return -1;
	if (ww_cstring(&b->c->out, path) || ww_u32(&b->c->out, pflags) || ww_attrs(&b->c->out, a)) {
		sftpc_req_abort(b->c);
		return sftpc_oom(b->c);
	}
	sftpc_req_end(b->c);
	return add_req(b, id, si);
}

/* A handle request: CLOSE, FSETSTAT (a), WRITE (data at off), READ (len at off). */
static int send_handle(struct batch *b, unsigned si, uint8_t type, const struct sftp_attrs *a,
                       uint64_t off, const void *data, uint32_t len)
{
	struct sftp_client *c = b->c;
	uint32_t id;
	if (sftpc_handle_req(c, type, NULL, &b->slots[si].rh, &id) < 0)
		return -1;
	int bad = 0;
	if (type == SSH_FXP_FSETSTAT)
		bad = ww_attrs(&c->out, a);
	else if (type == SSH_FXP_WRITE)
		bad = ww_u64(&c->out, off) || ww_string(&c->out, data, len);
	else if (type == SSH_FXP_READ)
		bad = ww_u64(&c->out, off) || ww_u32(&c->out, len);
	if (bad) {
		sftpc_req_abort(c);
		return sftpc_oom(c);
	}
	sftpc_req_end(c);
	return add_req(b, id, si);
}

/* ---- put ---------------------------------------------------------------- */

static int put_open(struct batch *b, unsigned si)
{
	struct slot *s = &b->slots[si];
	struct sftp_attrs create = {.flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0600};
	if (sftp_temp_name(b->items[s->item].remote_path, s->tmp, sizeof(s->tmp)) < 0) {
		sftpc_fail(b->c, EINVAL, -1, "upload %s: not a file path", b->items[s->item].remote_path);
		item_fail(b, s);
		finish(b, s);
		return 0;
	}
	s->stage = ST_OPEN;
	return send_open(b, si, s->tmp, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_EXCL, &create);
}

static int put_start(struct batch *b, unsigned si)
{
	struct slot *s = &b->slots[si];
	struct sftp_batch_item *it = &b->items[s->item];
	if (it->no_replace) {
		s->stage = ST_LSTAT;
		return send_path(b, si, SSH_FXP_LSTAT, NULL, it->remote_path, NULL);
	}
	return put_open(b, si);
}

/* The temporary file is open: all of the data, the attributes, CLOSE. */
static int put_write(struct batch *b, unsigned si)
{
	struct slot *s = &b->slots[si];
	struct sftp_batch_item *it = &b->items[s->item];
	s->stage = ST_WRITE;
	for (size_t off = 0; off < it->data.len; off += b->chunk) {
		uint32_t len = it->data.len - off < b->chunk ? (uint32_t)(it->data.len - off) : b->chunk;
		if (send_handle(b, si, SSH_FXP_WRITE, NULL, off, it->data.data + off, len) < 0)
			return -1;
	}
	struct sftp_attrs a = it->attrs;
	a.flags &= SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME |
	           SSH_FILEXFER_ATTR_UIDGID;
	if (a.flags && send_handle(b, si, SSH_FXP_FSETSTAT, &a, 0, NULL, 0) < 0)
		return -1;
	return send_handle(b, si, SSH_FXP_CLOSE, NULL, 0, NULL, 0);
}

/* The code of a STATUS reply without consuming it (-1: too short). */
static long peek_code(const struct wire_reader *r)
{
	return wr_left(r) >= 4 ? (long)wire_get_u32(r->p + r->pos) : -1;
}

/* The status of a STATUS reply: 0 for OK, else the failure recorded. */
static int status_of(struct batch *b, struct slot *s, uint8_t type, struct wire_reader *r,
                     const char *op, const char *path)
{
	if (type != SSH_FXP_STATUS)
		return sftpc_broken(b->c, EPROTO, "unexpected response type (wanted STATUS)");
	uint32_t code = wr_u32(r);
	size_t n;
	const char *msg = wr_string(r, &n);
	if (code == SSH_FX_OK)
		return 0;
	sftpc_status_fail(b->c, code, msg, n, op, path);
	item_fail(b, s);
	return 1;
}

/* Stores a HANDLE reply in s->rh: 0, 1 when the reply was a failure. */
static int take_handle(struct batch *b, struct slot *s, uint8_t type, struct wire_reader *r,
                       const char *path)
{
	if (type == SSH_FXP_STATUS)
		return status_of(b, s, type, r, "open", path) == 0 ? -1 : 1;
	size_t n;
	const char *h = wr_string(r, &n);
	if (type != SSH_FXP_HANDLE || r->bad || n == 0 || n > sizeof(s->rh.h))
		return sftpc_broken(b->c, EPROTO, "bad HANDLE reply");
	memcpy(s->rh.h, h, n);
	s->rh.len = n;
	s->rh.path = strdup(path);
	return s->rh.path ? 0 : sftpc_oom(b->c);
}

static int put_reply(struct batch *b, unsigned si, uint8_t type, struct wire_reader *r)
{
	struct slot *s = &b->slots[si];
	struct sftp_batch_item *it = &b->items[s->item];
	int rc;
	switch (s->stage) {
	case ST_LSTAT:
		if (type == SSH_FXP_ATTRS) {
			sftpc_fail(b->c, EEXIST, -1, "%s already exists", it->remote_path);
			item_fail(b, s);
			finish(b, s);
			return 0;
		}
		if (type != SSH_FXP_STATUS)
			return sftpc_broken(b->c, EPROTO, "unexpected response to LSTAT");
		if (peek_code(r) == SSH_FX_NO_SUCH_FILE)
			return put_open(b, si);
		if (status_of(b, s, type, r, "lstat", it->remote_path) < 0)
			return -1;
		finish(b, s);
		return 0;
	case ST_OPEN:
		rc = take_handle(b, s, type, r, s->tmp);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			finish(b, s);
			return 0;
		}
		return put_write(b, si);
	case ST_WRITE:
		if (status_of(b, s, type, r, "write", s->tmp) < 0)
			return -1;
		if (s->pending)
			return 0;
		if (s->failed) {
			s->stage = ST_REMOVE;
			return send_path(b, si, SSH_FXP_REMOVE, NULL, s->tmp, NULL);
		}
		s->stage = ST_RENAME;
		return send_path(b, si, SSH_FXP_EXTENDED, SFTP_EXT_POSIX_RENAME, s->tmp,
		                 it->remote_path);
	case ST_RENAME:
		rc = status_of(b, s, type, r, "rename", it->remote_path);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			s->stage = ST_REMOVE;
			return send_path(b, si, SSH_FXP_REMOVE, NULL, s->tmp, NULL);
		}
		finish(b, s);
		return 0;
	case ST_REMOVE: /* best effort: the first error stays */
		finish(b, s);
		return 0;
	default:
		return sftpc_broken(b->c, EPROTO, "response in an unexpected state");
	}
}

/* ---- get ---------------------------------------------------------------- */

static int get_start(struct batch *b, unsigned si)
{
	struct slot *s = &b->slots[si];
	struct sftp_attrs none = {0};
	sb_reset(&b->items[s->item].data);
	s->stage = ST_OPEN;
	return send_open(b, si, b->items[s->item].remote_path, SSH_FXF_READ, &none);
}

static int get_reply(struct batch *b, unsigned si, uint8_t type, struct wire_reader *r)
{
	struct slot *s = &b->slots[si];
	struct sftp_batch_item *it = &b->items[s->item];
	int rc;
	switch (s->stage) {
	case ST_OPEN:
		rc = take_handle(b, s, type, r, it->remote_path);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			finish(b, s);
			return 0;
		}
		s->stage = ST_READ;
		return send_handle(b, si, SSH_FXP_READ, NULL, 0, NULL, b->chunk);
	case ST_READ:
		if (type == SSH_FXP_DATA) {
			size_t n;
			const char *data = wr_string(r, &n);
			if (r->bad || n > b->chunk)
				return sftpc_broken(b->c, EPROTO, "bad response to READ");
			if (it->data.len + n > GET_MAX_SIZE) {
				sftpc_fail(b->c, EFBIG, -1, "read %s: too large for a batch", it->remote_path);
				item_fail(b, s);
			} else if (sb_append(&it->data, data, n) < 0) {
				sftpc_oom(b->c);
				item_fail(b, s);
			}
			/* a short read at the size the listing gave is the end */
			int known_end = (it->attrs.flags & SSH_FILEXFER_ATTR_SIZE) && n < b->chunk &&
			                it->data.len >= it->attrs.size;
			if (!s->failed && n && !known_end)
				return send_handle(b, si, SSH_FXP_READ, NULL, it->data.len, NULL, b->chunk);
		} else if (type == SSH_FXP_STATUS && peek_code(r) == SSH_FX_EOF) {
			/* the end */
		} else if (status_of(b, s, type, r, "read", it->remote_path) < 0) {
			return -1;
		}
		s->stage = ST_CLOSE;
		return send_handle(b, si, SSH_FXP_CLOSE, NULL, 0, NULL, 0);
	case ST_CLOSE:
		if (status_of(b, s, type, r, "close", it->remote_path) < 0)
			return -1;
		finish(b, s);
		return 0;
	default:
		return sftpc_broken(b->c, EPROTO, "response in an unexpected state");
	}
}

/* ---- the loop ----------------------------------------------------------- */

/* 1 when a whole response is already buffered (no need to flush first). */
static int reply_buffered(const struct sftp_client *c)
{
	size_t at = c->in_start + c->consume;
	if (c->in_end - at < 4)
		return 0;
	return c->in_end - at >= 4 + (size_t)wire_get_u32(c->in + at);
}

static int run(struct sftp_client *c, struct sftp_batch_item *items, size_t n,
               unsigned max_files, sftp_batch_fn done, void *ctx, int put)
{
	struct batch b = {.c = c, .items = items, .n = n, .done = done, .ctx = ctx};
	b.nslots = max_files ? max_files : DEFAULT_FILES;
	if (b.nslots > MAX_FILES)
		b.nslots = MAX_FILES;
	uint64_t limit = put ? c->max_write : c->max_read;
	uint64_t head = 1 + 4 + 4 + SFTP_MAX_HANDLE + 8 + 4;
	b.chunk = limit > SFTP_MAX_DATA ? SFTP_MAX_DATA : (uint32_t)limit;
	if (c->max_packet > head && b.chunk > c->max_packet - head)
		b.chunk = (uint32_t)(c->max_packet - head);
	for (size_t i = 0; i < n; i++) {
		items[i].err = EINPROGRESS;
		items[i].msg[0] = '\0';
	}
	if (put && !(c->exts & EXT_POSIX_RENAME))
		return sftpc_fail(c, ENOTSUP, -1, "sftp: the server has no %s", SFTP_EXT_POSIX_RENAME);
	b.slots = calloc(b.nslots, sizeof(*b.slots));
	if (!b.slots)
		return sftpc_oom(c);
	int rc = 0;
	for (;;) {
		/* admit new files while there is room */
		for (unsigned si = 0; si < b.nslots && b.next < n && b.nreq < MAX_REQS &&
		                      b.bytes < MAX_BYTES; si++) {
			struct slot *s = &b.slots[si];
			if (s->stage != ST_FREE)
				continue;
			memset(s, 0, sizeof(*s));
			s->item = b.next++;
			s->stage = ST_LSTAT; /* not free any more */
			b.active++;
			if (put) {
				s->bytes = items[s->item].data.len;
				b.bytes += s->bytes;
			}
			if ((put ? put_start(&b, si) : get_start(&b, si)) < 0) {
				rc = -1;
				break;
			}
		}
		if (rc < 0 || !b.active)
			break;
		uint8_t type;
		uint32_t id;
		struct wire_reader r;
		if ((!reply_buffered(c) && sftpc_flush(c) < 0) || sftpc_recv(c, &type, &id, &r) < 0) {
			rc = -1;
			break;
		}
		long si = take_req(&b, id);
		if (si < 0) {
			rc = sftpc_broken(c, EPROTO, "response for an unexpected request id");
			break;
		}
		struct slot *s = &b.slots[si];
		if ((put ? put_reply(&b, (unsigned)si, type, &r) : get_reply(&b, (unsigned)si, type, &r)) < 0) {
			rc = -1;
			break;
		}
		if (s->bytes && s->stage != ST_LSTAT && s->stage != ST_OPEN && s->stage != ST_WRITE) {
			b.bytes -= s->bytes; /* its writes are answered (or never sent) */
			s->bytes = 0;
		}
	}
	if (rc < 0) { /* the stream is gone: every unfinished item fails */
		char msg[sizeof(c->err)];
		memcpy(msg, c->err, sizeof(msg));
		int e = errno;
		for (size_t i = 0; i < n; i++) {
			if (items[i].err != EINPROGRESS)
				continue;
			items[i].err = e ? e : EIO;
			snprintf(items[i].msg, sizeof(items[i].msg), "%s", msg);
		}
		for (unsigned si = 0; si < b.nslots; si++)
			free(b.slots[si].rh.path);
		errno = e;
	}
	free(b.slots);
	free(b.reqs);
	return rc;
}

int sftp_put_batch(struct sftp_client *c, struct sftp_batch_item *items, size_t n,
                   unsigned max_files, sftp_batch_fn done, void *ctx)
{
	return run(c, items, n, max_files, done, ctx, 1);
}

int sftp_get_batch(struct sftp_client *c, struct sftp_batch_item *items, size_t n,
                   unsigned max_files, sftp_batch_fn done, void *ctx)
{
	return run(c, items, n, max_files, done, ctx, 0);
}
