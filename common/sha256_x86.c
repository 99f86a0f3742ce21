/* SHA-256 blocks with SHA256RNDS2/SHA256MSG1/SHA256MSG2 (see
 * sha256_x86.h). The instructions keep the working variables as two
 * vectors, ABEF and CDGH (A in the highest dword); one SHA256RNDS2 does
 * two rounds with W[t]+K[t] taken from the low two dwords of its third
 * operand and returns the new ABEF, while the old ABEF becomes the new
 * CDGH. MSG1 adds sigma0 of the next words and MSG2 adds sigma1, so four
 * new schedule words cost MSG1 + one add + MSG2. */
#include "sha256_x86.h"
#include "cpufeat.h"

#if defined(__x86_64__)
#include <immintrin.h>

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

int sha256_x86_available(void)
{
	return cpu_has_sha_ni();
}

__attribute__((target("sha,sse4.1,ssse3")))
void sha256_x86_blocks(uint32_t state[8], const unsigned char *data, size_t nblocks)
{
	/* byte order: message words are big-endian */
	const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
	__m128i lo = _mm_loadu_si128((const __m128i *)state);       /* A B C D */
	__m128i hi = _mm_loadu_si128((const __m128i *)(state + 4)); /* E F G H */
	__m128i badc = _mm_shuffle_epi32(lo, 0xB1);                  /* B A D C */
	__m128i hgfe = _mm_shuffle_epi32(hi, 0x1B);                  /* H G F E */
	__m128i abef = _mm_alignr_epi8(badc, hgfe, 8);               /* F E B A */
	__m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);            /* H G D C */

	while (nblocks--) {
		__m128i save_abef = abef, save_cdgh = cdgh, m[4], wk;
		int g;

		for (g = 0; g < 4; g++) {
			m[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), bswap);
		}
#pragma GCC unroll 16
		for (g = 0; g < 16; g++) {
			if (g >= 4) {
				/* W[4g..4g+3] from the four previous groups */
				__m128i t = _mm_sha256msg1_epu32(m[g % 4], m[(g + 1) % 4]);

				t = _mm_add_epi32(t, _mm_alignr_epi8(m[(g + 3) % 4], m[(g + 2) % 4], 4));
				m[g % 4] = _mm_sha256msg2_epu32(t, m[(g + 3) % 4]);
			}
			wk = _mm_add_epi32(m[g % 4], _mm_loadu_si128((const __m128i *)(sha256_k + 4 * g)));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			wk = _mm_shuffle_epi32(wk, 0x0E);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
		}
		abef = _mm_add_epi32(abef, save_abef);
		cdgh = _mm_add_epi32(cdgh, save_cdgh);
		data += 64;
	}

	{
		__m128i abef_r = _mm_shuffle_epi32(abef, 0x1B); /* A B E F */
		__m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);   /* G H C D */

		_mm_storeu_si128((__m128i *)state, _mm_blend_epi16(abef_r, ghcd, 0xF0));
		_mm_storeu_si128((__m128i *)(state + 4), _mm_alignr_epi8(ghcd, abef_r, 8));
	}
}

#else

int sha256_x86_available(void)
{
	return 0;
}

void sha256_x86_blocks(uint32_t state[8], const unsigned char *data, size_t nblocks)
{
	(void)state;
	(void)data;
	(void)nblocks;
}

#endif
