/* ChaCha20 (RFC 8439: 32-bit block counter, 96-bit nonce) eight blocks
 * at a time with AVX2, for the payload of the embedded Dropbear's
 * chacha20-poly1305@openssh.com (vendor/dropbear/egs_crypto.c). BearSSL's
 * br_chacha20_sse2 does one block per loop; this keeps each of the 16
 * state words of eight consecutive blocks in one ymm register. Callers
 * check chacha20_avx2_available() and use BearSSL's code otherwise. */
#ifndef EGS_CHACHA20_AVX2_H
#define EGS_CHACHA20_AVX2_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the CPU and kernel support AVX2 (cpu_has_avx2()). */
int chacha20_avx2_available(void);
/* XORs len bytes of data in place with the key stream starting at block
 * `counter`; returns the counter after the last (partial) block, as
 * BearSSL's br_chacha20_run does. Only call when available. */
uint32_t chacha20_avx2_run(const unsigned char key[32], const unsigned char nonce[12],
                           uint32_t counter, unsigned char *data, size_t len);

#endif
