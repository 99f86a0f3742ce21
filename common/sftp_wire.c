#include "sftp_wire.h"

#include <string.h>

#include "sftp_proto.h"

void wr_init(struct wire_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->bad = 0;
}

size_t wr_left(const struct wire_reader *r)
{
	return r->len - r->pos;
}

/* Returns the next n bytes, or NULL (and marks the reader bad). */
static const unsigned char *take(struct wire_reader *r, size_t n)
{
	if (r->bad || wr_left(r) < n) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint32_t wire_get_u32(const void *p)
{
	const unsigned char *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void wire_put_u32_at(void *p, uint32_t v)
{
	unsigned char *b = p;
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

uint8_t wr_u8(struct wire_reader *r)
{
	const unsigned char *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t wr_u32(struct wire_reader *r)
{
	const unsigned char *p = take(r, 4);
	return p ? wire_get_u32(p) : 0;
}

uint64_t wr_u64(struct wire_reader *r)
{
	const unsigned char *p = take(r, 8);
	return p ? (uint64_t)wire_get_u32(p) << 32 | wire_get_u32(p + 4) : 0;
}

const char *wr_string(struct wire_reader *r, size_t *n)
{
	uint32_t len = wr_u32(r);
	const unsigned char *p = take(r, len);
	if (!p) {
		*n = 0;
		return "";
	}
	*n = len;
	return (const char *)p;
}

void wr_cstring(struct wire_reader *r, char *buf, size_t cap)
{
	size_t n;
	const char *s = wr_string(r, &n);
	if (n >= cap || memchr(s, '\0', n)) {
		r->bad = 1;
		n = 0;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
}

int ww_u8(struct strbuf *sb, uint8_t v)
{
	return sb_append(sb, &v, 1);
}

int ww_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4];
	wire_put_u32_at(b, v);
	return sb_append(sb, b, 4);
}

int ww_u64(struct strbuf *sb, uint64_t v)
{
	unsigned char b[8];
	wire_put_u32_at(b, (uint32_t)(v >> 32));
	wire_put_u32_at(b + 4, (uint32_t)v);
	return sb_append(sb, b, 8);
}

int ww_string(struct strbuf *sb, const void *s, size_t n)
{
	if (n > UINT32_MAX || sb_reserve(sb, 4 + n) < 0)
		return -1;
	ww_u32(sb, (uint32_t)n); /* cannot fail after the reserve */
	return sb_append(sb, s, n);
}

int ww_cstring(struct strbuf *sb, const char *s)
{
	return ww_string(sb, s, strlen(s));
}

size_t ww_packet_begin(struct strbuf *sb, uint8_t type)
{
	size_t start = sb->len;
	if (sb_reserve(sb, 5) < 0)
		return (size_t)-1;
	ww_u32(sb, 0);
	ww_u8(sb, type);
	return start;
}

void ww_packet_end(struct strbuf *sb, size_t start)
{
	wire_put_u32_at(sb->data + start, (uint32_t)(sb->len - start - 4));
}

void wr_attrs(struct wire_reader *r, struct sftp_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->flags = wr_u32(r);
	if (a->flags & SSH_FILEXFER_ATTR_SIZE)
		a->size = wr_u64(r);
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		a->uid = wr_u32(r);
		a->gid = wr_u32(r);
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
		a->perm = wr_u32(r);
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		a->atime = wr_u32(r);
		a->mtime = wr_u32(r);
	}
	if (a->flags & SSH_FILEXFER_ATTR_EXTENDED) {
		uint32_t count = wr_u32(r);
		/* each pair takes at least 8 bytes: a huge count fails fast */
		for (uint32_t i = 0; i < count && !r->bad; i++) {
			size_t n;
			wr_string(r, &n);
			wr_string(r, &n);
		}
	}
}

int ww_attrs(struct strbuf *sb, const struct sftp_attrs *a)
{
	/* we never send extended attributes */
	uint32_t flags = a->flags & ~(uint32_t)SSH_FILEXFER_ATTR_EXTENDED;
	size_t old = sb->len;
	int r = ww_u32(sb, flags);
	if (!r && (flags & SSH_FILEXFER_ATTR_SIZE))
		r = ww_u64(sb, a->size);
	if (!r && (flags & SSH_FILEXFER_ATTR_UIDGID))
		r = ww_u32(sb, a->uid) || ww_u32(sb, a->gid) ? -1 : 0;
	if (!r && (flags & SSH_FILEXFER_ATTR_PERMISSIONS))
		r = ww_u32(sb, a->perm);
	if (!r && (flags & SSH_FILEXFER_ATTR_ACMODTIME))
		r = ww_u32(sb, a->atime) || ww_u32(sb, a->mtime) ? -1 : 0;
	if (r)
		sb_truncate(sb, old);
	return r;
}

void sftp_attrs_from_stat(struct sftp_attrs *a, const struct stat *st)
{
	a->flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_UIDGID |
	           SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME;
	a->size = (uint64_t)st->st_size;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->perm = st->st_mode;
	a->atime = (uint32_t)st->st_atime;
	a->mtime = (uint32_t)st->st_mtime;
}
