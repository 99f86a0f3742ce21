#include "kvp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* Fills err (if any) with a printf-style line; keeps errno. */
static void set_err(struct strbuf *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct strbuf *err, const char *fmt, ...)
{
	if (!err)
		return;
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	sb_reset(err);
	sb_vprintf(err, fmt, ap);
	va_end(ap);
	errno = saved;
}

char *kvp_pool_path(const char *dir, int pool)
{
	char name[32];
	snprintf(name, sizeof(name), ".kvp_pool_%d", pool);
	return fs_join(dir, name);
}

/* ---- the in-memory pool ---------------------------------------------- */

static ssize_t find(const struct kvp_pool *p, const char *key)
{
	for (size_t i = 0; i < p->count; i++)
		if (strcmp(p->rec[i].key, key) == 0)
			return (ssize_t)i;
	return -1;
}

const char *kvp_get(const struct kvp_pool *p, const char *key)
{
	ssize_t i = find(p, key);
	return i < 0 ? NULL : p->rec[i].value;
}

/* Takes ownership of key and value (freeing them on failure). */
static int set_owned(struct kvp_pool *p, char *key, char *value)
{
	ssize_t i = find(p, key);
	if (i >= 0) {
		free(key);
		free(p->rec[i].value);
		p->rec[i].value = value;
		return 0;
	}
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct kvp_record *r = realloc(p->rec, cap * sizeof(*r));
		if (!r) {
			free(key);
			free(value);
			errno = ENOMEM;
			return -1;
		}
		p->rec = r;
		p->cap = cap;
	}
	p->rec[p->count].key = key;
	p->rec[p->count].value = value;
	p->count++;
	return 0;
}

int kvp_set(struct kvp_pool *p, const char *key, const char *value)
{
	char *k = strdup(key);
	char *v = strdup(value ? value : "");
	if (!k || !v) {
		free(k);
		free(v);
		errno = ENOMEM;
		return -1;
	}
	return set_owned(p, k, v);
}

void kvp_remove_at(struct kvp_pool *p, size_t i)
{
	if (i >= p->count)
		return;
	free(p->rec[i].key);
	free(p->rec[i].value);
	memmove(&p->rec[i], &p->rec[i + 1], (p->count - i - 1) * sizeof(p->rec[0]));
	p->count--;
}

int kvp_del(struct kvp_pool *p, const char *key)
{
	ssize_t i = find(p, key);
	if (i < 0)
		return 0;
	kvp_remove_at(p, (size_t)i);
	return 1;
}

void kvp_pool_free(struct kvp_pool *p)
{
	for (size_t i = 0; i < p->count; i++) {
		free(p->rec[i].key);
		free(p->rec[i].value);
	}
	free(p->rec);
	p->rec = NULL;
	p->count = p->cap = 0;
}

/* ---- parsing ------------------------------------------------------------ */

int kvp_parse(const void *buf, size_t len, const char *name, struct kvp_pool *out,
              struct strbuf *err)
{
	const unsigned char *b = buf;
	if (len % KVP_RECORD_SIZE) {
		set_err(err, "%s: size %zu is not a multiple of %d (record %zu is cut short)",
		        name, len, KVP_RECORD_SIZE, len / KVP_RECORD_SIZE);
		errno = EINVAL;
		return -1;
	}
	/* Check everything first so that out is untouched on bad data. */
	size_t n = len / KVP_RECORD_SIZE;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *r = b + i * KVP_RECORD_SIZE;
		const char *bad = NULL;
		if (!memchr(r, 0, KVP_KEY_SIZE))
			bad = "key";
		else if (!memchr(r + KVP_KEY_SIZE, 0, KVP_VALUE_SIZE))
			bad = "value";
		if (bad) {
			set_err(err, "%s: record %zu (offset %zu): %s field has no NUL terminator",
			        name, i, i * KVP_RECORD_SIZE, bad);
			errno = EINVAL;
			return -1;
		}
	}
	struct kvp_pool tmp = KVP_POOL_INIT;
	for (size_t i = 0; i < out->count; i++) { /* merge: earlier records first */
		if (kvp_set(&tmp, out->rec[i].key, out->rec[i].value) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		const char *r = (const char *)b + i * KVP_RECORD_SIZE;
		if (kvp_set(&tmp, r, r + KVP_KEY_SIZE) < 0)
			goto nomem;
	}
	kvp_pool_free(out);
	*out = tmp;
	return 0;
nomem:
	kvp_pool_free(&tmp);
	set_err(err, "%s: out of memory", name);
	errno = ENOMEM;
	return -1;
}

/* ---- validation ----------------------------------------------------------- */

/* .NET's char.IsWhiteSpace for one code point. */
static int is_dotnet_space(unsigned cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Counts s as .NET would (UTF-16 code units) and notes whether it is all
 * white space. Returns -1 on invalid UTF-8. */
static long utf16_units(const char *s, int *all_space)
{
	const unsigned char *p = (const unsigned char *)s;
	long units = 0;
	*all_space = 1;
	while (*p) {
		unsigned cp, n, min;
		if (p[0] < 0x80)
			cp = p[0], n = 1, min = 0;
		else if ((p[0] & 0xe0) == 0xc0)
			cp = p[0] & 0x1f, n = 2, min = 0x80;
		else if ((p[0] & 0xf0) == 0xe0)
			cp = p[0] & 0x0f, n = 3, min = 0x800;
		else if ((p[0] & 0xf8) == 0xf0)
			cp = p[0] & 0x07, n = 4, min = 0x10000;
		else
			return -1;
		for (unsigned i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		if (!is_dotnet_space(cp))
			*all_space = 0;
		units += cp >= 0x10000 ? 2 : 1;
		p += n;
	}
	return units;
}

int kvp_validate(const char *key, const char *value, struct strbuf *err)
{
	int blank;
	long units = key ? utf16_units(key, &blank) : 0;
	if (!key || units == 0 || (units > 0 && blank)) {
		set_err(err, "KVP key must not be empty or white space");
		goto bad;
	}
	if (units < 0) {
		set_err(err, "KVP key '%.64s' is not valid UTF-8", key);
		goto bad;
	}
	size_t bytes = strlen(key);
	if (units > KVP_KEY_MAX_UTF16 || bytes > KVP_KEY_MAX_BYTES) {
		set_err(err, "KVP key '%.64s...' is too long (%ld chars, %zu bytes; at most %d and %d)",
		        key, units, bytes, KVP_KEY_MAX_UTF16, KVP_KEY_MAX_BYTES);
		goto bad;
	}
	if (!value)
		return 0;
	units = utf16_units(value, &blank);
	if (units < 0) {
		set_err(err, "KVP value of '%.64s' is not valid UTF-8", key);
		goto bad;
	}
	bytes = strlen(value);
	if (units > KVP_VALUE_MAX_UTF16 || bytes > KVP_VALUE_MAX_BYTES) {
		set_err(err, "KVP value of '%.64s' is too long (%ld chars, %zu bytes; at most %d and %d)",
		        key, units, bytes, KVP_VALUE_MAX_UTF16, KVP_VALUE_MAX_BYTES);
		goto bad;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* ---- file access ---------------------------------------------------------- */

/* Takes the fcntl lock hv_kvp_daemon uses, then the flock cloud-init and
 * .NET use. fcntl first: every writer that takes both takes them in this
 * order, and the others only take one, so there is no lock-order cycle. */
static int lock_pool(int fd, int exclusive)
{
	struct flock fl = {0};
	fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -1;
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Reads the whole file behind fd from offset 0 into out. */
static int read_all(int fd, struct strbuf *out)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if (st.st_size > 0 && sb_reserve(out, (size_t)st.st_size) < 0)
		return -1;
	off_t off = 0;
	for (;;) {
		if (sb_reserve(out, 4096) < 0)
			return -1;
		ssize_t n = pread(fd, out->data + out->len, out->cap - out->len - 1, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = 0;
		off += n;
	}
	return 0;
}

/* Opens path (oflags), takes both locks (exclusive or shared) and reads
 * the whole file into data. Returns the fd (the locks live as long as it),
 * or -1 with err naming the path and the step that failed. */
static int open_locked(const char *path, int oflags, int exclusive, struct strbuf *data,
                       struct strbuf *err)
{
	int fd = open(path, oflags | O_CLOEXEC, 0644);
	if (fd < 0) {
		set_err(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *step = NULL;
	if (lock_pool(fd, exclusive) < 0)
		step = "cannot lock";
	else if (read_all(fd, data) < 0)
		step = "read";
	if (step) {
		int e = errno;
		set_err(err, "%s: %s: %s", path, step, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int kvp_read(const char *dir, int pool, struct kvp_pool *out, struct strbuf *err)
{
	char *path = kvp_pool_path(dir, pool);
	if (!path) {
		set_err(err, "out of memory");
		return -1;
	}
	int rc = -1;
	struct strbuf data = STRBUF_INIT;
	int fd = open_locked(path, O_RDONLY, 0, &data, err);
	if (fd < 0)
		goto out;
	rc = kvp_parse(data.data, data.len, path, out, err);
out:
	if (fd >= 0)
		close(fd); /* drops both locks */
	sb_free(&data);
	free(path);
	return rc;
}

/* Encodes pool into one zero-padded image of count*2560 bytes. */
static int encode(const struct kvp_pool *p, const char *path, unsigned char **img,
                  struct strbuf *err)
{
	*img = NULL;
	for (size_t i = 0; i < p->count; i++) {
		const struct kvp_record *r = &p->rec[i];
		if (strlen(r->key) >= KVP_KEY_SIZE ||
		    strlen(r->value) >= KVP_VALUE_SIZE) {
			set_err(err, "%s: record %zu ('%.64s') does not fit a KVP record", path, i,
			        r->key);
			errno = EINVAL;
			return -1;
		}
	}
	if (!p->count)
		return 0;
	unsigned char *b = calloc(p->count, KVP_RECORD_SIZE);
	if (!b) {
		set_err(err, "%s: out of memory", path);
		return -1;
	}
	for (size_t i = 0; i < p->count; i++) {
		unsigned char *r = b + i * KVP_RECORD_SIZE;
		memcpy(r, p->rec[i].key, strlen(p->rec[i].key));
		memcpy(r + KVP_KEY_SIZE, p->rec[i].value, strlen(p->rec[i].value));
	}
	*img = b;
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n, len -= (size_t)n, off += n;
	}
	return 0;
}

/* Rewrites the file in place: every record that differs from the old
 * image with one pwrite (a reader never sees half a record, and unchanged
 * records are not touched), then the truncation, then fsync. On a write
 * error the old image is put back as far as possible. */
static int rewrite(int fd, const char *path, const unsigned char *img, size_t count,
                   const struct strbuf *old, struct strbuf *err)
{
	size_t newlen = count * KVP_RECORD_SIZE;
	if (newlen == old->len && (!newlen || memcmp(img, old->data, newlen) == 0))
		return 0; /* nothing changed */
	/* Grow first: a 2560-byte pwrite spans page boundaries and a SIGKILL
	 * can cut it at one, which must not leave the file at a length that
	 * is not a whole number of records (the appended area reads as empty
	 * records until its write lands). */
	if (newlen > old->len && ftruncate(fd, (off_t)newlen) < 0)
		goto fail;
	for (size_t i = 0; i < count; i++) {
		size_t off = i * KVP_RECORD_SIZE;
		if (off + KVP_RECORD_SIZE <= old->len &&
		    memcmp(img + off, old->data + off, KVP_RECORD_SIZE) == 0)
			continue;
		if (pwrite_all(fd, img + off, KVP_RECORD_SIZE, (off_t)off) < 0)
			goto fail;
	}
	if (newlen < old->len && ftruncate(fd, (off_t)newlen) < 0)
		goto fail;
	if (fsync(fd) < 0)
		goto fail;
	return 0;
fail:;
	int saved = errno;
	set_err(err, "%s: write: %s", path, strerror(saved));
	if (pwrite_all(fd, old->data, old->len, 0) == 0 && ftruncate(fd, (off_t)old->len) == 0)
		fsync(fd);
	errno = saved;
	return -1;
}

int kvp_transact(const char *dir, int pool, int flags, kvp_edit_fn edit, void *ctx,
                 struct strbuf *err)
{
	char *path = kvp_pool_path(dir, pool);
	if (!path) {
		set_err(err, "out of memory");
		return -1;
	}
	int rc = -1;
	struct strbuf data = STRBUF_INIT;
	struct kvp_pool p = KVP_POOL_INIT;
	unsigned char *img = NULL;
	int fd = open_locked(path, O_RDWR | ((flags & KVP_CREATE) ? O_CREAT : 0), 1, &data, err);
	if (fd < 0)
		goto out;
	if (kvp_parse(data.data, data.len, path, &p, err) < 0) {
		if (err)
			sb_puts(err, "; refusing to rewrite it");
		goto out;
	}
	/* A record with an empty key can only be what a writer killed
	 * mid-append left (the area is grown before it is written, and no
	 * writer may create an empty key): drop it. */
	for (size_t i = p.count; i-- > 0;)
		if (!p.rec[i].key[0])
			kvp_remove_at(&p, i);
	errno = 0;
	int e = edit(&p, ctx, err);
	if (e < 0) {
		if (!errno)
			errno = EINVAL;
		goto out;
	}
	if (e > 0) {
		rc = 0;
		goto out;
	}
	if (encode(&p, path, &img, err) < 0)
		goto out;
	rc = rewrite(fd, path, img, p.count, &data, err);
out:;
	int saved = errno;
	if (fd >= 0)
		close(fd); /* drops both locks, after the fsync */
	free(img);
	kvp_pool_free(&p);
	sb_free(&data);
	free(path);
	errno = saved;
	return rc;
}

struct change_list {
	const struct kvp_change *c;
	size_t n;
};

static int apply_changes(struct kvp_pool *p, void *ctx, struct strbuf *err)
{
	const struct change_list *cl = ctx;
	for (size_t i = 0; i < cl->n; i++) {
		if (!cl->c[i].value) {
			kvp_del(p, cl->c[i].key);
		} else if (kvp_set(p, cl->c[i].key, cl->c[i].value) < 0) {
			set_err(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

int kvp_update(const char *dir, int pool, const struct kvp_change *changes, size_t n,
               int flags, struct strbuf *err)
{
	for (size_t i = 0; i < n; i++)
		if (kvp_validate(changes[i].key, changes[i].value, err) < 0)
			return -1;
	struct change_list cl = {changes, n};
	return kvp_transact(dir, pool, flags, apply_changes, &cl, err);
}
