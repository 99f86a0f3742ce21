/* BearSSL cipher modes for Dropbear (see egs_crypto.h). Dropbear calls
 * them through struct dropbear_cipher_mode: ctr through start/encrypt/
 * decrypt on whole 16-byte blocks, the AEADs through aead_crypt/
 * aead_getlength on a whole packet (4-byte length + body, tag after it). */
#include "includes.h"
#include "algo.h"
#include "dbutil.h"
#include "egs_crypto.h"
#include "chacha20_avx2.h"
#include "poly1305.h"

/* ---- aes-ctr (RFC 4344): the IV is a 128-bit big-endian counter. The
 * ctrcbc API increments all 128 bits; BearSSL's plain ctr API only 32. */
static int egs_ctr_start(int cipher, const unsigned char *iv, const unsigned char *key,
		int keylen, int rounds, void *state)
{
	egs_ctr_state *st = state;
	const br_block_ctrcbc_class *c = br_aes_x86ni_ctrcbc_get_vtable();

	if (!c) {
		c = &br_aes_ct64_ctrcbc_vtable;
	}
	if (keylen != 16 && keylen != 32) {
		return CRYPT_INVALID_KEYSIZE;
	}
	c->init(&st->keys.vtable, key, keylen);
	memcpy(st->ctr, iv, sizeof(st->ctr));
	return CRYPT_OK;
}

static int egs_ctr_crypt(const unsigned char *in, unsigned char *out,
		unsigned long len, void *state)
{
	egs_ctr_state *st = state;

	if (len % 16) {
		return CRYPT_INVALID_ARG;
	}
	if (in != out) {
		memmove(out, in, len);
	}
	st->keys.vtable->ctr(&st->keys.vtable, st->ctr, out, len);
	return CRYPT_OK;
}

const struct dropbear_cipher_mode egs_mode_ctr = {
	egs_ctr_start, egs_ctr_crypt, egs_ctr_crypt, NULL, NULL, NULL
};

/* ---- aes-gcm@openssh.com (RFC 5647): 12-byte nonce = 4 fixed bytes and
 * an 8-byte big-endian invocation counter, the length field as AAD. */
static const struct dropbear_hash egs_gcm_mac = {NULL, 0, 16};

static int egs_gcm_start(int cipher, const unsigned char *iv, const unsigned char *key,
		int keylen, int rounds, void *state)
{
	egs_gcm_state *st = state;
	const br_block_ctr_class *c = br_aes_x86ni_ctr_get_vtable();

	if (!c) {
		c = &br_aes_ct64_ctr_vtable;
	}
	st->ghash = br_ghash_pclmul_get();
	if (!st->ghash) {
		st->ghash = &br_ghash_ctmul64;
	}
	if (keylen != 16 && keylen != 32) {
		return CRYPT_INVALID_KEYSIZE;
	}
	c->init(&st->keys.vtable, key, keylen);
	memcpy(st->iv, iv, sizeof(st->iv));
	return CRYPT_OK;
}

static int egs_gcm_crypt(unsigned int seq, const unsigned char *in, unsigned char *out,
		unsigned long len, unsigned long taglen, void *state, int direction)
{
	egs_gcm_state *st = state;
	br_gcm_context gcm;
	int ok = 1, i;

	if (len < 4 || taglen != 16) {
		return CRYPT_INVALID_ARG;
	}
	if (in != out) {
		memmove(out, in, len);
	}
	/* br_gcm_context points at the keys, so it lives only for this
	 * packet (one AES block to derive H) */
	br_gcm_init(&gcm, &st->keys.vtable, st->ghash);
	br_gcm_reset(&gcm, st->iv, sizeof(st->iv));
	br_gcm_aad_inject(&gcm, out, 4);
	br_gcm_flip(&gcm);
	if (direction == LTC_ENCRYPT) {
		br_gcm_run(&gcm, 1, out + 4, len - 4);
		br_gcm_get_tag(&gcm, out + len);
	} else {
		br_gcm_run(&gcm, 0, out + 4, len - 4);
		ok = br_gcm_check_tag(&gcm, in + len);
	}
	m_burn(&gcm, sizeof(gcm));
	for (i = 11; i >= 4 && ++st->iv[i] == 0; i--)
		;
	return ok ? CRYPT_OK : CRYPT_ERROR;
}

static int egs_gcm_getlength(unsigned int seq, const unsigned char *in,
		unsigned int *outlen, unsigned long len, void *state)
{
	if (len < 4) {
		return CRYPT_INVALID_ARG;
	}
	LOAD32H(*outlen, in);
	return CRYPT_OK;
}

const struct dropbear_cipher_mode egs_mode_gcm = {
	egs_gcm_start, NULL, NULL, egs_gcm_crypt, egs_gcm_getlength, &egs_gcm_mac
};

/* ---- chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305): DJB
 * ChaCha20 with the sequence number as 64-bit nonce and a 64-bit block
 * counter is the RFC 7539 form with the nonce {0,0,0,0, seq (BE64)} as
 * long as the counter stays below 2^32, which a packet (< 256 KiB)
 * always does. The payload (the bulk) goes through the AVX2 eight-block
 * ChaCha20 when the CPU has it, the 4-byte length and the Poly1305 key
 * through BearSSL's one-block code; Poly1305 is common/poly1305.c
 * (BearSSL has it only inside its RFC 7539 AEAD framing, libtomcrypt's
 * was 2-4x slower). */
static const struct dropbear_hash chachapoly_mac = {NULL, 32, 16};

static int cp_start(int cipher, const unsigned char *iv, const unsigned char *key,
		int keylen, int rounds, void *state)
{
	egs_chachapoly_state *st = state;

	if (keylen != 64) {
		return CRYPT_INVALID_KEYSIZE;
	}
	memcpy(st->key, key, 32);
	memcpy(st->hdrkey, key + 32, 32);
	st->run = br_chacha20_sse2_get();
	if (!st->run) {
		st->run = &br_chacha20_ct_run;
	}
	st->payload_avx2 = chacha20_avx2_available();
	return CRYPT_OK;
}

static void cp_nonce(unsigned char nonce[12], unsigned int seq)
{
	memset(nonce, 0, 4);
	STORE64H((ulong64)seq, nonce + 4);
}

static int cp_crypt(unsigned int seq, const unsigned char *in, unsigned char *out,
		unsigned long len, unsigned long taglen, void *state, int direction)
{
	egs_chachapoly_state *st = state;
	unsigned char nonce[12], polykey[32], tag[16];
	int ret = CRYPT_OK;

	if (len < 4 || taglen != 16) {
		return CRYPT_INVALID_ARG;
	}
	cp_nonce(nonce, seq);
	memset(polykey, 0, sizeof(polykey));
	st->run(st->key, nonce, 0, polykey, sizeof(polykey));
	if (direction == LTC_DECRYPT) {
		egs_poly1305_mac(tag, in, len, polykey);
		if (constant_time_memcmp(in + len, tag, sizeof(tag)) != 0) {
			ret = CRYPT_ERROR;
			goto out;
		}
	}
	if (in != out) {
		memmove(out, in, len);
	}
	st->run(st->hdrkey, nonce, 0, out, 4);
	if (st->payload_avx2) {
		chacha20_avx2_run(st->key, nonce, 1, out + 4, len - 4);
	} else {
		st->run(st->key, nonce, 1, out + 4, len - 4);
	}
	if (direction == LTC_ENCRYPT) {
		egs_poly1305_mac(out + len, out, len, polykey);
	}
out:
	m_burn(polykey, sizeof(polykey));
	return ret;
}

static int cp_getlength(unsigned int seq, const unsigned char *in,
		unsigned int *outlen, unsigned long len, void *state)
{
	egs_chachapoly_state *st = state;
	unsigned char nonce[12], buf[4];

	if (len < 4) {
		return CRYPT_INVALID_ARG;
	}
	cp_nonce(nonce, seq);
	memcpy(buf, in, 4);
	st->run(st->hdrkey, nonce, 0, buf, 4);
	LOAD32H(*outlen, buf);
	return CRYPT_OK;
}

const struct dropbear_cipher_mode egs_mode_chachapoly = {
	cp_start, NULL, NULL, cp_crypt, cp_getlength, &chachapoly_mac
};
