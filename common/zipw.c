/* Zip writer: see zipw.h. Layout per APPNOTE 6.3 sections 4.3.7 (local
 * header), 4.3.12 (central directory header), 4.3.16 (end record) and
 * 4.5.7 / Info-ZIP's "UT" extra field. */
#include "zipw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fsutil.h"

#define LOCAL_SIG 0x04034b50u
#define CENTRAL_SIG 0x02014b50u
#define END_SIG 0x06054b50u
#define LOCAL_FIXED 30
#define CENTRAL_FIXED 46
#define END_FIXED 22
#define UT_EXTRA 9 /* id, size 5, flags 1, mtime */
#define CHUNK 65536
#define MAX_ENTRIES 65535
#define FLAG_UTF8 0x0800
#define METHOD_STORED 0
#define METHOD_DEFLATE 8

struct zentry {
	char *name;
	uint32_t crc, csize, usize, offset, mode, mtime;
	uint16_t method, flags, dtime, ddate;
	int has_ut;
};

struct zipw {
	int fd;
	uint64_t off; /* the end of what is written so far */
	char *path;
	char tmp[PATH_MAX];
	struct zentry *ent;
	size_t count, cap;
	unsigned char in[CHUNK], out[CHUNK];
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, (v >> 16) & 0xffff);
}

static void fail_errno(struct strbuf *err, const char *what, const char *name)
{
	if (err)
		sb_printf(err, "%s %s: %s", what, name, strerror(errno));
}

/* DOS time and date of t in local time, clamped to what DOS can hold. */
static void dos_time(time_t t, uint16_t *dtime, uint16_t *ddate)
{
	struct tm tm;
	if (!localtime_r(&t, &tm) || tm.tm_year < 80) {
		*dtime = 0;
		*ddate = (1 << 5) | 1; /* 1980-01-01 */
		return;
	}
	if (tm.tm_year > 207) {
		tm.tm_year = 207;
		tm.tm_mon = 11;
		tm.tm_mday = 31;
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 58;
	}
	*dtime = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
	*ddate = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

static int write_out(struct zipw *z, const void *buf, size_t len)
{
	if (fs_write_all(z->fd, buf, len) < 0)
		return -1;
	z->off += len;
	return 0;
}

/* The fields local and central headers share, in their order: flags,
 * method, DOS time and date, CRC-32, compressed and uncompressed size. */
static void put_fields(unsigned char *p, const struct zentry *e)
{
	put16(p, e->flags);
	put16(p + 2, e->method);
	put16(p + 4, e->dtime);
	put16(p + 6, e->ddate);
	put32(p + 8, e->crc);
	put32(p + 12, e->csize);
	put32(p + 16, e->usize);
}

/* The "UT" extra field with the modification time (UT_EXTRA bytes). */
static void put_ut(unsigned char *p, const struct zentry *e)
{
	put16(p, 0x5455);
	put16(p + 2, 5);
	p[4] = 1;
	put32(p + 5, e->mtime);
}

/* The local header of e (crc/sizes as known) into buf; returns its length. */
static size_t local_header(const struct zentry *e, unsigned char *buf)
{
	size_t nl = strlen(e->name);
	put32(buf, LOCAL_SIG);
	put16(buf + 4, 20);
	put_fields(buf + 6, e);
	put16(buf + 26, (unsigned)nl);
	put16(buf + 28, e->has_ut ? UT_EXTRA : 0);
	memcpy(buf + LOCAL_FIXED, e->name, nl);
	size_t n = LOCAL_FIXED + nl;
	if (e->has_ut) {
		put_ut(buf + n, e);
		n += UT_EXTRA;
	}
	return n;
}

struct zipw *zipw_open(const char *path, struct strbuf *err)
{
	struct zipw *z = calloc(1, sizeof(*z));
	if (!z || !(z->path = strdup(path))) {
		free(z);
		if (err)
			sb_printf(err, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	z->fd = fs_atomic_begin(path, z->tmp, sizeof(z->tmp));
	if (z->fd < 0) {
		fail_errno(err, "cannot create", path);
		int e = errno;
		free(z->path);
		free(z);
		errno = e;
		return NULL;
	}
	return z;
}

size_t zipw_count(const struct zipw *z)
{
	return z->count;
}

/* Source of an entry's bytes: a file descriptor or memory. */
struct src {
	int fd;
	const unsigned char *data;
	size_t len, pos;
};

static ssize_t src_read(struct src *s, unsigned char *buf, size_t cap)
{
	if (s->fd < 0) {
		size_t n = s->len - s->pos < cap ? s->len - s->pos : cap;
		memcpy(buf, s->data + s->pos, n);
		s->pos += n;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t n = read(s->fd, buf, cap);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* Truncates the archive back to start. Returns 0 or -1. */
static int rollback(struct zipw *z, uint64_t start)
{
	if (ftruncate(z->fd, (off_t)start) < 0 || lseek(z->fd, (off_t)start, SEEK_SET) < 0)
		return -1;
	z->off = start;
	return 0;
}

/* Streams src into the archive as e (name, times, mode filled in).
 * Returns 0, 1 (skipped, rolled back) or -1 (archive write failure). */
static int add_entry(struct zipw *z, struct zentry *e, struct src *s, struct strbuf *err)
{
	size_t nl = strlen(e->name);
	if (nl == 0 || nl > 0xffff || e->name[0] == '/') {
		if (err)
			sb_printf(err, "bad entry name '%s'", e->name);
		return 1;
	}
	if (z->count >= MAX_ENTRIES || z->off + LOCAL_FIXED + nl + UT_EXTRA > ZIPW_MAX_SIZE) {
		if (err)
			sb_printf(err, "%s: archive full (no ZIP64)", e->name);
		return 1;
	}
	if (z->count == z->cap) {
		size_t nc = z->cap ? z->cap * 2 : 32;
		struct zentry *ne = realloc(z->ent, nc * sizeof(*ne));
		if (!ne) {
			if (err)
				sb_printf(err, "out of memory");
			return -1;
		}
		z->ent = ne;
		z->cap = nc;
	}
	for (size_t i = 0; i < nl; i++)
		if ((unsigned char)e->name[i] >= 0x80)
			e->flags |= FLAG_UTF8;
	e->method = METHOD_DEFLATE;
	e->offset = (uint32_t)z->off;
	uint64_t start = z->off;
	unsigned char *hdr = malloc(LOCAL_FIXED + nl + UT_EXTRA);
	if (!hdr) {
		if (err)
			sb_printf(err, "out of memory");
		return -1;
	}
	size_t hl = local_header(e, hdr);
	if (write_out(z, hdr, hl) < 0) {
		fail_errno(err, "cannot write", z->tmp);
		free(hdr);
		return -1;
	}
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		if (err)
			sb_printf(err, "deflateInit2 failed");
		free(hdr);
		return -1;
	}
	uLong crc = crc32(0L, Z_NULL, 0);
	uint64_t usize = 0, csize = 0;
	int rc = 0, eof = 0;
	const char *skip = NULL;
	while (!eof && !skip && rc == 0) {
		ssize_t n = src_read(s, z->in, CHUNK);
		if (n < 0) {
			if (err)
				sb_printf(err, "cannot read %s: %s", e->name, strerror(errno));
			skip = "";
			break;
		}
		eof = n == 0;
		usize += (uint64_t)n;
		if (usize > ZIPW_MAX_SIZE) {
			skip = "larger than 4 GiB (no ZIP64)";
			break;
		}
		crc = crc32(crc, z->in, (uInt)n);
		zs.next_in = z->in;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = z->out;
			zs.avail_out = CHUNK;
			int zr = deflate(&zs, eof ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR) {
				if (err)
					sb_printf(err, "deflate failed");
				rc = -1;
				break;
			}
			size_t have = CHUNK - zs.avail_out;
			csize += have;
			if (csize > ZIPW_MAX_SIZE || z->off + have > ZIPW_MAX_SIZE) {
				skip = "compressed data beyond 4 GiB (no ZIP64)";
				break;
			}
			if (have && write_out(z, z->out, have) < 0) {
				fail_errno(err, "cannot write", z->tmp);
				rc = -1;
				break;
			}
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	if (rc == 0 && skip) {
		if (err && skip[0])
			sb_printf(err, "%s: %s", e->name, skip);
		rc = rollback(z, start) < 0 ? -1 : 1;
		if (rc < 0)
			fail_errno(err, "cannot truncate", z->tmp);
	}
	if (rc == 0 && usize == 0) {
		/* empty: stored, no data */
		if (rollback(z, start + hl) < 0) {
			fail_errno(err, "cannot truncate", z->tmp);
			rc = -1;
		}
		e->method = METHOD_STORED;
		csize = 0;
	}
	if (rc == 0) {
		e->crc = (uint32_t)crc;
		e->csize = (uint32_t)csize;
		e->usize = (uint32_t)usize;
		local_header(e, hdr);
		if (pwrite(z->fd, hdr, hl, (off_t)start) != (ssize_t)hl) {
			fail_errno(err, "cannot write", z->tmp);
			rc = -1;
		}
	}
	free(hdr);
	if (rc == 0) {
		e->name = strdup(e->name);
		if (!e->name) {
			if (err)
				sb_printf(err, "out of memory");
			return -1;
		}
		z->ent[z->count++] = *e;
	}
	return rc;
}

static void entry_init(struct zentry *e, const char *name, time_t mtime, mode_t mode)
{
	memset(e, 0, sizeof(*e));
	e->name = (char *)name;
	dos_time(mtime, &e->dtime, &e->ddate);
	e->has_ut = mtime >= 0 && mtime <= INT32_MAX;
	e->mtime = e->has_ut ? (uint32_t)mtime : 0;
	e->mode = (uint32_t)(S_IFREG | (mode & 07777));
}

int zipw_add_data(struct zipw *z, const char *name, const void *data, size_t len, time_t mtime,
                  mode_t mode, struct strbuf *err)
{
	struct zentry e;
	entry_init(&e, name, mtime, mode);
	struct src s = {-1, data, len, 0};
	return add_entry(z, &e, &s, err);
}

int zipw_add_file(struct zipw *z, const char *name, const char *file, struct strbuf *err)
{
	/* O_NONBLOCK: a FIFO must not hang the bundle; it is refused below */
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fail_errno(err, "cannot open", file);
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		fail_errno(err, "cannot stat", file);
		close(fd);
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		if (err)
			sb_printf(err, "%s: not a regular file", file);
		close(fd);
		return 1;
	}
	if ((uint64_t)st.st_size > ZIPW_MAX_SIZE) {
		if (err)
			sb_printf(err, "%s: larger than 4 GiB (no ZIP64)", file);
		close(fd);
		return 1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct zentry e;
	entry_init(&e, name, st.st_mtime, st.st_mode);
	struct src s = {fd, NULL, 0, 0};
	int rc = add_entry(z, &e, &s, err);
	close(fd);
	return rc;
}

static void free_entries(struct zipw *z)
{
	for (size_t i = 0; i < z->count; i++)
		free(z->ent[i].name);
	free(z->ent);
	free(z->path);
	free(z);
}

void zipw_abort(struct zipw *z)
{
	if (!z)
		return;
	close(z->fd);
	unlink(z->tmp);
	free_entries(z);
}

int zipw_close(struct zipw *z, mode_t mode, struct strbuf *err)
{
	uint64_t cd_start = z->off;
	unsigned char hdr[CENTRAL_FIXED + UT_EXTRA];
	for (size_t i = 0; i < z->count; i++) {
		const struct zentry *e = &z->ent[i];
		size_t nl = strlen(e->name);
		put32(hdr, CENTRAL_SIG);
		put16(hdr + 4, (3 << 8) | 20); /* made by Unix, 2.0 */
		put16(hdr + 6, 20);
		put_fields(hdr + 8, e);
		put16(hdr + 28, (unsigned)nl);
		put16(hdr + 30, e->has_ut ? UT_EXTRA : 0);
		put16(hdr + 32, 0); /* comment */
		put16(hdr + 34, 0); /* disk */
		put16(hdr + 36, 0); /* internal attributes */
		put32(hdr + 38, e->mode << 16);
		put32(hdr + 42, e->offset);
		unsigned char ut[UT_EXTRA];
		put_ut(ut, e);
		if (write_out(z, hdr, CENTRAL_FIXED) < 0 || write_out(z, e->name, nl) < 0 ||
		    (e->has_ut && write_out(z, ut, UT_EXTRA) < 0))
			goto fail;
	}
	unsigned char end[END_FIXED];
	put32(end, END_SIG);
	put16(end + 4, 0);
	put16(end + 6, 0);
	put16(end + 8, (unsigned)z->count);
	put16(end + 10, (unsigned)z->count);
	put32(end + 12, (uint32_t)(z->off - cd_start));
	put32(end + 16, (uint32_t)cd_start);
	put16(end + 20, 0);
	if (write_out(z, end, END_FIXED) < 0)
		goto fail;
	int fd = z->fd;
	z->fd = -1;
	if (fs_atomic_commit(fd, z->tmp, z->path, mode) < 0) {
		fail_errno(err, "cannot write", z->path);
		free_entries(z);
		return -1;
	}
	free_entries(z);
	return 0;
fail:
	fail_errno(err, "cannot write", z->tmp);
	zipw_abort(z);
	return -1;
}
