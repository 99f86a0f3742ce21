/* Poly1305 with 64-bit limbs (see poly1305.h). h is kept as
 * h0 + h1*2^64 + h2*2^128 with h2 a few bits only, r as r0 + r1*2^64.
 * Clamping leaves r1 a multiple of 4, so the parts of h*r at weight
 * 2^128 and above fold back exactly: 2^128 * r1 = 2^130 * (r1/4), and
 * 2^130 = 5 (mod 2^130 - 5), so h1*r1*2^128 becomes h1 * s1 with
 * s1 = 5*(r1/4) = r1 + r1/4; likewise h2*r1*2^192 becomes h2*s1*2^64. */
#include "poly1305.h"

#include <string.h>

typedef unsigned __int128 u128;

/* Written out byte by byte so the compiler turns it into one load. */
static uint64_t load64_le(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	       (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static void store64_le(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
	}
}

void egs_poly1305_init(egs_poly1305 *st, const unsigned char key[32])
{
	/* clamp r: the top 4 bits of each 32-bit word and the low 2 bits of
	 * words 1..3 are cleared (RFC 8439 2.5.1) */
	st->r[0] = load64_le(key) & 0x0ffffffc0fffffffULL;
	st->r[1] = load64_le(key + 8) & 0x0ffffffc0ffffffcULL;
	st->h[0] = st->h[1] = st->h[2] = 0;
	st->s[0] = load64_le(key + 16);
	st->s[1] = load64_le(key + 24);
	st->buflen = 0;
}

/* h = (h + block + hibit * 2^128) * r mod p for each 16-byte block;
 * hibit is 1 for whole blocks and 0 for the padded last one. On return
 * h2 <= 4: h is only partly reduced (below 2^131), which is enough for
 * the next block; egs_poly1305_finish() reduces fully. */
static void poly_blocks(egs_poly1305 *st, const unsigned char *m, size_t nblocks,
                        uint64_t hibit)
{
	const uint64_t r0 = st->r[0], r1 = st->r[1], s1 = r1 + (r1 >> 2);
	uint64_t h0 = st->h[0], h1 = st->h[1], h2 = st->h[2];

	while (nblocks--) {
		u128 d0, d1, t;
		uint64_t d2, c;

		/* h += m (+ 2^128) */
		t = (u128)h0 + load64_le(m);
		h0 = (uint64_t)t;
		t = (u128)h1 + load64_le(m + 8) + (uint64_t)(t >> 64);
		h1 = (uint64_t)t;
		h2 += (uint64_t)(t >> 64) + hibit;

		/* h * r, folded: below 2^126 (d0, d1) and 2^63 (d2) */
		d0 = (u128)h0 * r0 + (u128)h1 * s1;
		d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * s1;
		d2 = h2 * r0; /* weight 2^128 */

		h0 = (uint64_t)d0;
		d1 += (uint64_t)(d0 >> 64);
		h1 = (uint64_t)d1;
		d2 += (uint64_t)(d1 >> 64);
		/* bits 130 and up of h: 2^130 * x = 5x, i.e. (x*4) + x */
		h2 = d2 & 3;
		c = (d2 & ~(uint64_t)3) + (d2 >> 2);
		t = (u128)h0 + c;
		h0 = (uint64_t)t;
		t = (u128)h1 + (uint64_t)(t >> 64);
		h1 = (uint64_t)t;
		h2 += (uint64_t)(t >> 64);
		m += 16;
	}
	st->h[0] = h0;
	st->h[1] = h1;
	st->h[2] = h2;
}

void egs_poly1305_update(egs_poly1305 *st, const unsigned char *msg, size_t len)
{
	size_t whole;

	if (st->buflen) {
		size_t take = 16 - st->buflen;

		if (take > len) {
			take = len;
		}
		memcpy(st->buf + st->buflen, msg, take);
		st->buflen += take;
		msg += take;
		len -= take;
		if (st->buflen < 16) {
			return;
		}
		poly_blocks(st, st->buf, 1, 1);
		st->buflen = 0;
	}
	whole = len / 16;
	poly_blocks(st, msg, whole, 1);
	msg += whole * 16;
	len -= whole * 16;
	memcpy(st->buf, msg, len);
	st->buflen = len;
}

void egs_poly1305_finish(egs_poly1305 *st, unsigned char tag[16])
{
	uint64_t h0, h1, h2, g0, g1, g2, c, mask;
	u128 t;

	if (st->buflen) {
		/* the last partial block gets a 1 byte after it, no 2^128 bit */
		st->buf[st->buflen] = 1;
		memset(st->buf + st->buflen + 1, 0, 16 - st->buflen - 1);
		poly_blocks(st, st->buf, 1, 0);
	}
	h0 = st->h[0];
	h1 = st->h[1];
	h2 = st->h[2];

	/* fold bits 130 and up once more: h < 2^130 + 5*4 */
	c = (h2 >> 2) * 5;
	h2 &= 3;
	t = (u128)h0 + c;
	h0 = (uint64_t)t;
	t = (u128)h1 + (uint64_t)(t >> 64);
	h1 = (uint64_t)t;
	h2 += (uint64_t)(t >> 64);

	/* g = h + 5: when it reaches 2^130, h >= p and h - p = g - 2^130
	 * (h < 2p, so one subtraction is enough); chosen without a branch */
	t = (u128)h0 + 5;
	g0 = (uint64_t)t;
	t = (u128)h1 + (uint64_t)(t >> 64);
	g1 = (uint64_t)t;
	g2 = h2 + (uint64_t)(t >> 64);
	mask = 0 - (g2 >> 2); /* all ones when g >= 2^130 */
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);

	/* tag = (h + s) mod 2^128 */
	t = (u128)h0 + st->s[0];
	h0 = (uint64_t)t;
	h1 = h1 + st->s[1] + (uint64_t)(t >> 64);
	store64_le(tag, h0);
	store64_le(tag + 8, h1);

	explicit_bzero(st, sizeof(*st));
}

void egs_poly1305_mac(unsigned char tag[16], const unsigned char *msg, size_t len,
                      const unsigned char key[32])
{
	egs_poly1305 st;

	egs_poly1305_init(&st, key);
	egs_poly1305_update(&st, msg, len);
	egs_poly1305_finish(&st, tag);
}
