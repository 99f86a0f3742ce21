/* The SHA-NI hook in libtomcrypt's sha256.c (patch 0010), implemented in
 * egs_sha256.c with common/sha256_x86.c. */
#ifndef EGS_SHA256_H
#define EGS_SHA256_H

#include <stdint.h>

/* Compresses one 64-byte block into state (H0..H7) with SHA-NI and
 * returns 1; returns 0 without touching state when the CPU has none. */
int egs_sha256_compress(uint32_t state[8], const unsigned char *block);

#endif
