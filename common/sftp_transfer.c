/* Pipelined transfers, the atomic upload and the cleaning of leftover
 * temporary files, on top of sftp_client.c's stream. */
#include "sftp_client_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "sftp_proto.h"
#include "strbuf.h"

#define DEFAULT_CHUNK (256 * 1024)
#define DEFAULT_INFLIGHT 64
#define MAX_INFLIGHT 1024
/* Pipelined requests are written in batches of about this many bytes. */
#define SEND_BATCH (1024 * 1024)
#define TEMP_MARK ".egs-tmp-"
#define TEMP_RANDOM 6

/* One request in flight. */
struct pending {
	uint32_t id;
	uint32_t len;
	uint64_t off;
};

static unsigned inflight_limit(const struct sftp_xfer_opts *o)
{
	unsigned n = o && o->max_inflight ? o->max_inflight : DEFAULT_INFLIGHT;
	return n > MAX_INFLIGHT ? MAX_INFLIGHT : n;
}

/* Bytes per READ or WRITE: the caller's wish within the server's limits,
 * leaving room in the packet for the headers around the data. */
static uint32_t chunk_size(const struct sftp_client *c, const struct sftp_xfer_opts *o,
                           int writing, size_t handle_len)
{
	uint64_t n = o && o->chunk ? o->chunk : DEFAULT_CHUNK;
	uint64_t limit = writing ? c->max_write : c->max_read;
	uint64_t head = writing ? 1 + 4 + 4 + handle_len + 8 + 4 : 1 + 4 + 4;
	if (n > limit)
		n = limit;
	if (c->max_packet > head && n > c->max_packet - head)
		n = c->max_packet - head;
	if (n > SFTP_MAX_DATA * 4)
		n = SFTP_MAX_DATA * 4;
	return n < 512 ? 512 : (uint32_t)n;
}

/* Removes the entry for id from p[0..*n); 0, or -1 if there is none. */
static int take_pending(struct pending *p, unsigned *n, uint32_t id, struct pending *out)
{
	for (unsigned i = 0; i < *n; i++) {
		if (p[i].id == id) {
			*out = p[i];
			p[i] = p[--*n];
			return 0;
		}
	}
	return -1;
}

static void report(const struct sftp_xfer_opts *o, uint64_t done, uint64_t total)
{
	if (o && o->progress)
		o->progress(o->ctx, done, total);
}

/* Reads up to len bytes of local_fd into the request being built. */
static ssize_t read_local(int fd, struct strbuf *out, size_t len)
{
	ssize_t n;
	do
		n = read(fd, out->data + out->len, len);
	while (n < 0 && errno == EINTR);
	return n;
}

int sftp_write_from_fd(struct sftp_client *c, struct sftp_file *f, int local_fd,
                       const struct sftp_xfer_opts *o, uint64_t *written)
{
	unsigned max = inflight_limit(o), n_in = 0;
	uint32_t chunk = chunk_size(c, o, 1, f->rh.len);
	struct pending *p = calloc(max, sizeof(*p));
	if (!p)
		return sftpc_oom(c);
	struct stat st;
	uint64_t total = 0, off = 0, acked = 0;
	if (fstat(local_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t pos = lseek(local_fd, 0, SEEK_CUR);
		total = (uint64_t)st.st_size - (pos > 0 && pos <= st.st_size ? (uint64_t)pos : 0);
	}
	int eof = 0, failed = 0, saved_errno = 0;
	for (;;) {
		while (!eof && !failed && n_in < max) {
			uint32_t id;
			if (sftpc_handle_req(c, SSH_FXP_WRITE, NULL, &f->rh, &id) < 0) {
				failed = 1;
				saved_errno = errno;
				break;
			}
			if (ww_u64(&c->out, off) || ww_u32(&c->out, 0) || sb_reserve(&c->out, chunk) < 0) {
				sftpc_req_abort(c);
				failed = 1;
				saved_errno = ENOMEM;
				sftpc_oom(c);
				break;
			}
			ssize_t n = read_local(local_fd, &c->out, chunk);
			if (n <= 0) {
				if (n < 0) {
					saved_errno = errno;
					sftpc_fail(c, errno, -1, "write %s: reading the local file: %s",
					           f->rh.path, strerror(errno));
					failed = 1;
				}
				sftpc_req_abort(c);
				eof = 1;
				break;
			}
			wire_put_u32_at(c->out.data + c->out.len - 4, (uint32_t)n);
			c->out.len += (size_t)n;
			c->out.data[c->out.len] = '\0';
			sftpc_req_end(c);
			p[n_in++] = (struct pending){id, (uint32_t)n, off};
			off += (uint64_t)n;
			if (c->out.len >= SEND_BATCH && sftpc_flush(c) < 0)
				break;
		}
		if (c->broken || (!n_in && (eof || failed)))
			break;
		uint8_t type;
		uint32_t id;
		struct wire_reader r;
		struct pending done;
		if (sftpc_flush(c) < 0 || sftpc_recv(c, &type, &id, &r) < 0)
			break;
		if (type != SSH_FXP_STATUS || take_pending(p, &n_in, id, &done) < 0) {
			sftpc_broken(c, EPROTO, "unexpected response to WRITE");
			break;
		}
		uint32_t code = wr_u32(&r);
		size_t mlen;
		const char *msg = wr_string(&r, &mlen);
		if (code != SSH_FX_OK) {
			if (!failed) {
				sftpc_status_fail(c, code, msg, mlen, "write", f->rh.path);
				saved_errno = errno;
			}
			failed = 1;
			continue;
		}
		acked += done.len;
		report(o, acked, total);
	}
	free(p);
	if (written)
		*written = acked;
	if (c->broken)
		return -1;
	if (failed) {
		errno = saved_errno;
		return -1;
	}
	return 0;
}

/* Writes all of data at off in local_fd. */
static int pwrite_all(int fd, const char *data, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, data, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int sftp_read_to_fd(struct sftp_client *c, struct sftp_file *f, int local_fd,
                    const struct sftp_xfer_opts *o, uint64_t *nread)
{
	unsigned max = inflight_limit(o), n_in = 0, n_retry = 0;
	uint32_t chunk = chunk_size(c, o, 0, f->rh.len);
	/* short reads leave a remainder to ask for again; each one replaces a
	 * finished request, so there are never more than max of them */
	struct pending *p = calloc(2 * (size_t)max, sizeof(*p));
	if (!p)
		return sftpc_oom(c);
	struct pending *retry = p + max;
	struct sftp_attrs a;
	uint64_t total = 0;
	if (sftp_fstat(c, f, &a) == 0 && (a.flags & SSH_FILEXFER_ATTR_SIZE))
		total = a.size;
	else if (c->broken) {
		free(p);
		return -1;
	}
	uint64_t next = 0, eof_at = UINT64_MAX, got = 0, end = 0;
	int eof_seen = 0, failed = 0, saved_errno = 0;
	for (;;) {
		while (!failed && n_in < max) {
			struct pending rq;
			if (n_retry) {
				rq = retry[--n_retry];
				if (rq.off >= eof_at)
					continue;
			} else if (!eof_seen) {
				rq = (struct pending){0, chunk, next};
				next += chunk;
			} else {
				break;
			}
			if (sftpc_handle_req(c, SSH_FXP_READ, NULL, &f->rh, &rq.id) < 0) {
				failed = 1;
				saved_errno = errno;
				break;
			}
			if (ww_u64(&c->out, rq.off) || ww_u32(&c->out, rq.len)) {
				sftpc_req_abort(c);
				failed = 1;
				saved_errno = ENOMEM;
				sftpc_oom(c);
				break;
			}
			sftpc_req_end(c);
			p[n_in++] = rq;
		}
		if (c->broken || !n_in)
			break;
		uint8_t type;
		uint32_t id;
		struct wire_reader r;
		struct pending done;
		if (sftpc_flush(c) < 0 || sftpc_recv(c, &type, &id, &r) < 0)
			break;
		if (take_pending(p, &n_in, id, &done) < 0) {
			sftpc_broken(c, EPROTO, "unexpected response to READ");
			break;
		}
		if (type == SSH_FXP_STATUS) {
			uint32_t code = wr_u32(&r);
			size_t mlen;
			const char *msg = wr_string(&r, &mlen);
			if (code == SSH_FX_EOF) {
				eof_seen = 1;
				if (done.off < eof_at)
					eof_at = done.off;
			} else if (!failed) {
				sftpc_status_fail(c, code, msg, mlen, "read", f->rh.path);
				saved_errno = errno;
				failed = 1;
			}
			continue;
		}
		size_t n;
		const char *data = wr_string(&r, &n);
		if (type != SSH_FXP_DATA || r.bad || n > done.len) {
			sftpc_broken(c, EPROTO, "bad response to READ");
			break;
		}
		if (failed)
			continue;
		if (n == 0) { /* treat an empty DATA as the end, or we would loop */
			eof_seen = 1;
			if (done.off < eof_at)
				eof_at = done.off;
			continue;
		}
		if (pwrite_all(local_fd, data, n, done.off) < 0) {
			saved_errno = errno;
			sftpc_fail(c, errno, -1, "read %s: writing the local file: %s", f->rh.path,
			           errno == ESPIPE ? "output is not seekable" : strerror(errno));
			failed = 1;
			continue;
		}
		got += n;
		if (done.off + n > end)
			end = done.off + n;
		if (n < done.len)
			retry[n_retry++] = (struct pending){0, done.len - (uint32_t)n, done.off + n};
		report(o, got, total);
	}
	free(p);
	if (nread)
		*nread = got;
	if (c->broken)
		return -1;
	if (failed) {
		errno = saved_errno;
		return -1;
	}
	if (ftruncate(local_fd, (off_t)end) < 0) {
		struct stat st; /* a character device cannot be truncated: fine */
		if (fstat(local_fd, &st) < 0 || S_ISREG(st.st_mode))
			return sftpc_fail(c, errno, -1, "read %s: truncating the local file: %s",
			                  f->rh.path, strerror(errno));
	}
	return 0;
}

int sftp_download(struct sftp_client *c, const char *remote_path, int local_fd,
                  const struct sftp_xfer_opts *o)
{
	struct sftp_file *f = sftp_open(c, remote_path, SSH_FXF_READ, NULL);
	if (!f)
		return -1;
	int rc = sftp_read_to_fd(c, f, local_fd, o, NULL);
	if (rc < 0) {
		int e = errno;
		char msg[sizeof(c->err)];
		memcpy(msg, c->err, sizeof(msg));
		int status = c->last_status;
		sftp_close(c, f); /* keep the first error */
		memcpy(c->err, msg, sizeof(msg));
		c->last_status = status;
		errno = e;
		return -1;
	}
	return sftp_close(c, f);
}

/* ---- temporary names ---------------------------------------------------- */

static int is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

int sftp_is_temp_name(const char *name)
{
	size_t n = strlen(name), mark = strlen(TEMP_MARK);
	if (n < 1 + mark + TEMP_RANDOM + 1 || name[0] != '.')
		return 0;
	const char *tail = name + n - TEMP_RANDOM;
	if (memcmp(tail - mark, TEMP_MARK, mark) != 0)
		return 0;
	for (int i = 0; i < TEMP_RANDOM; i++)
		if (!is_name_char(tail[i]))
			return 0;
	return 1;
}

int sftp_temp_name(const char *remote, char *out, size_t cap)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	const char *slash = strrchr(remote, '/');
	const char *base = slash ? slash + 1 : remote;
	size_t dirlen = (size_t)(base - remote), baselen = strlen(base);
	if (!baselen || !strcmp(base, ".") || !strcmp(base, ".."))
		return -1;
	size_t room = 255 - 1 - strlen(TEMP_MARK) - TEMP_RANDOM;
	if (baselen > room) {
		baselen = room;
		while (baselen && ((unsigned char)base[baselen] & 0xc0) == 0x80)
			baselen--;
	}
	unsigned char rnd[TEMP_RANDOM];
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts; /* no entropy yet: uniqueness is all we need */
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec;
		for (int i = 0; i < TEMP_RANDOM; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
			rnd[i] = (unsigned char)(x >> 56);
	}
	char tail[TEMP_RANDOM + 1];
	for (int i = 0; i < TEMP_RANDOM; i++)
		tail[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	tail[TEMP_RANDOM] = '\0';
	int w = snprintf(out, cap, "%.*s.%.*s" TEMP_MARK "%s", (int)dirlen, remote, (int)baselen,
	                 base, tail);
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

/* Saves and restores the first error around cleanup calls. */
struct saved_error {
	char msg[512];
	int status, err;
};

static void save_error(const struct sftp_client *c, struct saved_error *s)
{
	snprintf(s->msg, sizeof(s->msg), "%s", sftp_client_error(c));
	s->status = sftp_client_status(c);
	s->err = errno;
}

static int restore_error(struct sftp_client *c, const struct saved_error *s)
{
	return sftpc_fail(c, s->err, s->status, "%s", s->msg);
}

int sftp_upload_atomic(struct sftp_client *c, int local_fd, const char *remote_path,
                       const struct sftp_attrs *final, const struct sftp_xfer_opts *o)
{
	char tmp[4096 + 64];
	struct sftp_file *f = NULL;
	struct sftp_attrs create = {.flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0600};
	for (int tries = 0; tries < 5 && !f; tries++) {
		if (sftp_temp_name(remote_path, tmp, sizeof(tmp)) < 0)
			return sftpc_fail(c, EINVAL, -1, "upload %s: not a file path", remote_path);
		f = sftp_open(c, tmp, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_EXCL, &create);
		if (!f && (c->broken || c->last_status != SSH_FX_FAILURE))
			break; /* only a name clash (FAILURE: File exists) is worth a retry */
	}
	if (!f)
		return -1;
	int rc = sftp_write_from_fd(c, f, local_fd, o, NULL);
	if (rc == 0 && final) {
		struct sftp_attrs a = *final;
		a.flags &= SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME |
		           SSH_FILEXFER_ATTR_UIDGID;
		if (a.flags)
			rc = sftp_fsetstat(c, f, &a);
	}
	if (rc == 0 && sftp_client_has_ext(c, SFTP_EXT_FSYNC))
		rc = sftp_fsync(c, f);
	struct saved_error first;
	if (rc < 0)
		save_error(c, &first);
	int closed = sftp_close(c, f);
	if (rc == 0 && closed < 0) {
		save_error(c, &first);
		rc = -1;
	}
	if (rc == 0 && sftp_rename(c, tmp, remote_path) < 0) {
		save_error(c, &first);
		rc = -1;
	}
	if (rc == 0)
		return 0;
	if (!c->broken)
		sftp_remove(c, tmp); /* best effort; the cleaner catches leftovers */
	return restore_error(c, &first);
}

int sftp_clean_stale_temps(struct sftp_client *c, const char *dir, uint32_t min_age,
                           unsigned *removed)
{
	if (removed)
		*removed = 0;
	struct sftp_dir *d = sftp_opendir(c, dir);
	if (!d)
		return -1;
	struct strbuf names = STRBUF_INIT; /* NUL-separated; removed after listing */
	struct sftp_dirent e;
	time_t now = time(NULL);
	int rc;
	while ((rc = sftp_readdir(c, d, &e)) == 1) {
		if (!sftp_is_temp_name(e.name))
			continue;
		if ((e.attrs.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && !S_ISREG(e.attrs.perm))
			continue;
		if (min_age && (e.attrs.flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
		    (int64_t)now - (int64_t)e.attrs.mtime < (int64_t)min_age)
			continue;
		if (sb_append(&names, e.name, strlen(e.name) + 1) < 0) {
			rc = sftpc_oom(c);
			break;
		}
	}
	struct saved_error first;
	if (rc < 0)
		save_error(c, &first);
	if (sftp_closedir(c, d) < 0 && rc == 0) {
		save_error(c, &first);
		rc = -1;
	}
	int remove_failed = 0; /* the first failure is reported; the rest go on */
	for (size_t at = 0; rc == 0 && at < names.len;) {
		const char *name = names.data + at;
		at += strlen(name) + 1;
		char *path = fs_join(dir, name);
		if (!path) {
			rc = sftpc_oom(c);
			save_error(c, &first);
			break;
		}
		if (sftp_remove(c, path) == 0) {
			if (removed)
				(*removed)++;
		} else {
			if (!remove_failed)
				save_error(c, &first);
			remove_failed = 1;
			if (c->broken)
				rc = -1;
		}
		free(path);
	}
	sb_free(&names);
	return rc < 0 || remove_failed ? restore_error(c, &first) : 0;
}
