#include "sshwire.h"

#include <string.h>

int sw_put_u32(struct strbuf *out, uint32_t v)
{
	unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
	return sb_append(out, b, 4);
}

int sw_put_string(struct strbuf *out, const void *data, size_t len)
{
	if (len > UINT32_MAX || sb_reserve(out, len + 4) < 0)
		return -1;
	sw_put_u32(out, (uint32_t)len);
	return sb_append(out, data, len);
}

int sw_put_cstring(struct strbuf *out, const char *s)
{
	return sw_put_string(out, s, strlen(s));
}

int sw_put_mpint(struct strbuf *out, const unsigned char *be, size_t len)
{
	while (len && *be == 0)
		be++, len--;
	int pad = len && (be[0] & 0x80);
	if (sw_put_u32(out, (uint32_t)(len + pad)) < 0 || (pad && sb_putc(out, 0) < 0))
		return -1;
	return sb_append(out, be, len);
}

void sw_reader_init(struct sw_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->left = len;
	r->bad = 0;
}

static int take(struct sw_reader *r, size_t n, const unsigned char **at)
{
	if (r->bad || r->left < n) {
		r->bad = 1;
		return -1;
	}
	*at = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

int sw_get_u32(struct sw_reader *r, uint32_t *v)
{
	const unsigned char *b;
	if (take(r, 4, &b) < 0)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int sw_get_u64(struct sw_reader *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (sw_get_u32(r, &hi) < 0 || sw_get_u32(r, &lo) < 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int sw_get_bool(struct sw_reader *r, int *v)
{
	const unsigned char *b;
	if (take(r, 1, &b) < 0)
		return -1;
	*v = b[0] != 0;
	return 0;
}

int sw_get_string(struct sw_reader *r, const unsigned char **data, size_t *len)
{
	uint32_t n;
	if (sw_get_u32(r, &n) < 0 || take(r, n, data) < 0)
		return -1;
	*len = n;
	return 0;
}
