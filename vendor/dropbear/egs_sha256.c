/* libtomcrypt's SHA-256 on SHA-NI (see egs_sha256.h). */
#include "egs_sha256.h"
#include "sha256_x86.h"

int egs_sha256_compress(uint32_t state[8], const unsigned char *block)
{
	if (!sha256_x86_available()) {
		return 0;
	}
	sha256_x86_blocks(state, block, 1);
	return 1;
}
