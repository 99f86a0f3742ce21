/* Per-primitive speed of the transport crypto inside the embedded
 * Dropbear, old (libtomcrypt / BearSSL one-block) against new (common/
 * sha256_x86.c, poly1305.c, chacha20_avx2.c), on 32 KiB buffers (one
 * full SSH packet). Built and run by bench/crypto.sh; prints MB per CPU
 * second (CLOCK_PROCESS_CPUTIME_ID), so other load on the machine
 * matters less than for wall-clock rates. */
#include "includes.h"
#include "chacha20_avx2.h"
#include "poly1305.h"
#include "sha256_x86.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PKT = 32768 };

static unsigned char buf[PKT + 64];
static unsigned char key[64];
static int sha_ni_on;
static volatile unsigned char sink;

/* The hook of patch 0010, switchable so the same libtomcrypt runs both
 * the portable and the SHA-NI block function. */
int egs_sha256_compress(uint32_t state[8], const unsigned char *block)
{
	if (!sha_ni_on) {
		return 0;
	}
	sha256_x86_blocks(state, block, 1);
	return 1;
}

/* Dropbear's allocator and wipe, which libtomcrypt calls (the rest of
 * Dropbear is not linked here). */
void *m_malloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p) {
		abort();
	}
	return p;
}

void m_burn(void *data, unsigned int len)
{
	explicit_bzero(data, len);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hmac_ltc(const char *hash)
{
	unsigned char out[64];
	unsigned long outlen = sizeof(out);

	hmac_memory(find_hash(hash), key, 32, buf, PKT, out, &outlen);
	sink ^= out[0];
}

static void hmac256(void) { hmac_ltc("sha256"); }
static void hmac512(void) { hmac_ltc("sha512"); }

static void poly_ltc(void)
{
	unsigned char tag[16];
	unsigned long taglen = sizeof(tag);

	poly1305_memory(key, 32, buf, PKT, tag, &taglen);
	sink ^= tag[0];
}

static void poly_egs(void)
{
	unsigned char tag[16];

	egs_poly1305_mac(tag, buf, PKT, key);
	sink ^= tag[0];
}

static const unsigned char nonce[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};

static void chacha_ltc(void)
{
	chacha_state st;

	chacha_setup(&st, key, 32, 20);
	chacha_ivctr32(&st, nonce, 12, 1);
	chacha_crypt(&st, buf, PKT, buf);
}

static void chacha_sse2(void) { br_chacha20_sse2_run(key, nonce, 1, buf, PKT); }
static void chacha_avx2(void) { chacha20_avx2_run(key, nonce, 1, buf, PKT); }

static void aes128_ctr(void)
{
	br_aes_x86ni_ctrcbc_keys k;
	unsigned char ctr[16] = {0};

	br_aes_x86ni_ctrcbc_init(&k, key, 16);
	br_aes_x86ni_ctrcbc_ctr(&k, ctr, buf, PKT);
}

/* One chacha20-poly1305@openssh.com packet as egs_crypto.c did before
 * (sse2 + libtomcrypt Poly1305) and does now (avx2 + poly1305.c). */
static void packet_old(void)
{
	chacha_sse2();
	poly_ltc();
}

static void packet_new(void)
{
	chacha_avx2();
	poly_egs();
}

static void run(const char *name, void (*fn)(void))
{
	double start = cpu_seconds(), took;
	long n = 0;

	do {
		fn();
		n++;
	} while ((took = cpu_seconds() - start) < 0.5);
	printf("%-34s %8.0f MB/s\n", name, n * (double)PKT / took / 1e6);
}

int main(void)
{
	int i;

	for (i = 0; i < (int)sizeof(buf); i++) {
		buf[i] = (unsigned char)(i * 7);
	}
	for (i = 0; i < (int)sizeof(key); i++) {
		key[i] = (unsigned char)(i + 1);
	}
	if (register_hash(&sha256_desc) < 0 || register_hash(&sha512_desc) < 0) {
		fprintf(stderr, "register_hash failed\n");
		return 1;
	}
	printf("MB per CPU second, %d-byte buffers; SHA-NI %s, AVX2 %s\n", PKT,
	       sha256_x86_available() ? "yes" : "no", chacha20_avx2_available() ? "yes" : "no");
	run("hmac-sha2-256 libtomcrypt portable", hmac256);
	if (sha256_x86_available()) {
		sha_ni_on = 1;
		run("hmac-sha2-256 SHA-NI (0010)", hmac256);
	}
	run("hmac-sha2-512 libtomcrypt", hmac512);
	run("poly1305 libtomcrypt", poly_ltc);
	run("poly1305 common/poly1305.c", poly_egs);
	run("chacha20 libtomcrypt", chacha_ltc);
	run("chacha20 BearSSL sse2", chacha_sse2);
	if (chacha20_avx2_available()) {
		run("chacha20 common/chacha20_avx2.c", chacha_avx2);
		run("chacha20-poly1305 packet, old", packet_old);
		run("chacha20-poly1305 packet, new", packet_new);
	}
	if (br_aes_x86ni_ctrcbc_get_vtable()) {
		run("aes128-ctr BearSSL x86ni", aes128_ctr);
	}
	return 0;
}
