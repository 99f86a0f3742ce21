/* Poly1305 one-time authenticator (RFC 8439 section 2.5) for the embedded
 * Dropbear's chacha20-poly1305@openssh.com (vendor/dropbear/egs_crypto.c).
 * The accumulator is kept in two 64-bit words and a few bits above them,
 * r in two 64-bit words; the products are unsigned __int128. No branch or
 * index depends on the key or the message (constant time). */
#ifndef EGS_POLY1305_H
#define EGS_POLY1305_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t r[2];      /* clamped key half r, little-endian words */
	uint64_t h[3];      /* accumulator: h[0] + h[1]*2^64 + h[2]*2^128 */
	uint64_t s[2];      /* key half s (added at the end), little-endian */
	unsigned char buf[16]; /* partial block waiting for more input */
	size_t buflen;
} egs_poly1305;

/* key: r (16 bytes, clamped here) then s (16 bytes). */
void egs_poly1305_init(egs_poly1305 *st, const unsigned char key[32]);
void egs_poly1305_update(egs_poly1305 *st, const unsigned char *msg, size_t len);
/* Writes the 16-byte tag and wipes st. */
void egs_poly1305_finish(egs_poly1305 *st, unsigned char tag[16]);
/* init + update + finish. */
void egs_poly1305_mac(unsigned char tag[16], const unsigned char *msg, size_t len,
                      const unsigned char key[32]);

#endif
