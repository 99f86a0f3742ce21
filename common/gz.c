#include "gz.h"

#include <string.h>
#include <zlib.h>

int gz_is_gzip(const void *data, size_t len)
{
	const unsigned char *p = data;
	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static void set_err(const char **err, const char *msg)
{
	if (err)
		*err = msg;
}

/* Inflates one stream starting at in (windowBits picks gzip or zlib).
 * *used receives the bytes consumed. Returns 0 or -1 with *err. */
static int inflate_one(struct strbuf *out, const unsigned char *in, size_t len,
                       int window_bits, size_t max, size_t base, size_t *used,
                       const char **err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, window_bits) != Z_OK) {
		set_err(err, "cannot initialise zlib");
		return -1;
	}
	size_t pos = 0;
	int rc = Z_OK, ret = -1;
	while (rc != Z_STREAM_END) {
		if (sb_reserve(out, 16384) < 0) {
			set_err(err, "out of memory");
			goto done;
		}
		/* zlib counts in uInt: feed at most 1 GiB at a time */
		size_t chunk = len - pos > (1u << 30) ? (1u << 30) : len - pos;
		zs.next_in = (unsigned char *)in + pos;
		zs.avail_in = (uInt)chunk;
		zs.next_out = (unsigned char *)out->data + out->len;
		zs.avail_out = (uInt)(out->cap - out->len - 1);
		rc = inflate(&zs, Z_NO_FLUSH);
		size_t produced = (size_t)(zs.next_out - (unsigned char *)out->data) - out->len;
		out->len += produced;
		out->data[out->len] = '\0';
		pos += chunk - zs.avail_in;
		if (max && out->len - base > max) {
			set_err(err, "output larger than the limit");
			goto done;
		}
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
			set_err(err, zs.msg ? zs.msg : "invalid compressed data");
			goto done;
		}
		if (rc == Z_BUF_ERROR && pos == len && produced == 0) {
			set_err(err, "truncated compressed data");
			goto done;
		}
	}
	*used = pos;
	ret = 0;
done:
	inflateEnd(&zs);
	return ret;
}

static void restore(struct strbuf *out, size_t base)
{
	out->len = base;
	if (out->data)
		out->data[base] = '\0';
}

int gz_gunzip(struct strbuf *out, const void *data, size_t len, size_t max,
              const char **err)
{
	const unsigned char *p = data;
	size_t base = out->len, pos = 0;
	if (len == 0) /* Python reads an empty file as empty data */
		return 0;
	if (!gz_is_gzip(p, len)) {
		set_err(err, "not a gzip file");
		return -1;
	}
	while (pos < len) {
		size_t used = 0;
		if (inflate_one(out, p + pos, len - pos, 16 + MAX_WBITS, max, base,
		                &used, err) < 0) {
			restore(out, base);
			return -1;
		}
		pos += used;
		while (pos < len && p[pos] == 0) /* padding, as Python allows */
			pos++;
		if (pos < len && !gz_is_gzip(p + pos, len - pos)) {
			set_err(err, "trailing garbage after gzip data");
			restore(out, base);
			return -1;
		}
	}
	return 0;
}

int gz_inflate_zlib(struct strbuf *out, const void *data, size_t len, size_t max,
                    const char **err)
{
	size_t base = out->len, used = 0;
	if (inflate_one(out, data, len, MAX_WBITS, max, base, &used, err) < 0) {
		restore(out, base);
		return -1;
	}
	if (used != len) {
		set_err(err, "trailing bytes after zlib data");
		restore(out, base);
		return -1;
	}
	return 0;
}
