/* BearSSL ciphers for Dropbear's transport (issue 8), used by the cipher
 * table in common-algo.c (patch 0005) and kept in Dropbear's per-direction
 * cipher_state union (session.h):
 *   aes128/256-ctr            br_aes_x86ni_ctrcbc (full 128-bit BE counter)
 *   aes128/256-gcm@openssh.com br_gcm + br_aes_x86ni_ctr + br_ghash_pclmul
 *   chacha20-poly1305@openssh.com common/chacha20_avx2.c for the payload
 *                             (br_chacha20_sse2 without AVX2 and for the
 *                             length and Poly1305 key) + common/poly1305.c
 * Each picks the accelerated code at key set-up when the CPU has it and
 * otherwise BearSSL's constant-time portable code (ct64, ctmul64, ct).
 * The states hold no pointers into themselves: Dropbear struct-copies
 * cipher_state when it switches keys. */
#ifndef EGS_CRYPTO_H
#define EGS_CRYPTO_H

#include <bearssl.h>

typedef struct {
	br_aes_gen_ctrcbc_keys keys;
	unsigned char ctr[16];
} egs_ctr_state;

typedef struct {
	br_aes_gen_ctr_keys keys;
	br_ghash ghash;
	unsigned char iv[12]; /* 4 fixed bytes, 8-byte invocation counter */
} egs_gcm_state;

typedef struct {
	unsigned char key[32];    /* payload and Poly1305 key stream */
	unsigned char hdrkey[32]; /* packet length */
	br_chacha20_run run;      /* length, Poly1305 key */
	int payload_avx2;         /* payload via chacha20_avx2_run() */
} egs_chachapoly_state;

struct dropbear_cipher_mode;
extern const struct dropbear_cipher_mode egs_mode_ctr;
extern const struct dropbear_cipher_mode egs_mode_gcm;
extern const struct dropbear_cipher_mode egs_mode_chachapoly;

#endif
