/* SHA-256 compression with the x86 SHA extensions (SHA-NI), used by the
 * embedded Dropbear's libtomcrypt sha256 (patch 0010) for hmac-sha2-256
 * and every other SHA-256 it computes. Callers check
 * sha256_x86_available() first and keep their portable code otherwise. */
#ifndef EGS_SHA256_X86_H
#define EGS_SHA256_X86_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the CPU has SHA-NI (cpu_has_sha_ni()). */
int sha256_x86_available(void);
/* Runs nblocks 64-byte blocks of data through state (H0..H7, FIPS 180-4
 * order). Only call when sha256_x86_available(). */
void sha256_x86_blocks(uint32_t state[8], const unsigned char *data, size_t nblocks);

#endif
