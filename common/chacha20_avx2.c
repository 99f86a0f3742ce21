/* ChaCha20 with AVX2 (see chacha20_avx2.h). Register x[i] holds word i
 * of blocks n..n+7 (lane j = block n+j), so the rounds are the scalar
 * algorithm on vectors; at the end the 16x8 words are transposed back
 * into eight 64-byte blocks. */
#include "chacha20_avx2.h"
#include "cpufeat.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

int chacha20_avx2_available(void)
{
	return cpu_has_avx2();
}

#define TARGET_AVX2 __attribute__((target("avx2")))

static inline TARGET_AVX2 __m256i rotl(__m256i v, int n)
{
	return _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - n));
}

/* Rotations by 16 and 8 are byte moves: one shuffle instead of 3 ops. */
static inline TARGET_AVX2 __m256i rotl_bytes(__m256i v, __m256i pattern)
{
	return _mm256_shuffle_epi8(v, pattern);
}

static inline TARGET_AVX2 __attribute__((always_inline)) void
quarter_round(__m256i *x, int a, int b, int c, int d, __m256i rot16, __m256i rot8)
{
	x[a] = _mm256_add_epi32(x[a], x[b]);
	x[d] = rotl_bytes(_mm256_xor_si256(x[d], x[a]), rot16);
	x[c] = _mm256_add_epi32(x[c], x[d]);
	x[b] = rotl(_mm256_xor_si256(x[b], x[c]), 12);
	x[a] = _mm256_add_epi32(x[a], x[b]);
	x[d] = rotl_bytes(_mm256_xor_si256(x[d], x[a]), rot8);
	x[c] = _mm256_add_epi32(x[c], x[d]);
	x[b] = rotl(_mm256_xor_si256(x[b], x[c]), 7);
}

/* XORs 512 bytes at data with blocks counter..counter+7. */
static TARGET_AVX2 void xor_8_blocks(const uint32_t in[16], uint32_t counter, unsigned char *data)
{
	const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
	                                       2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
	const __m256i rot8 = _mm256_setr_epi8(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
	                                      3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
	__m256i x[16], start[16], y[4][4];
	int i, q, k;

	for (i = 0; i < 16; i++) {
		start[i] = _mm256_set1_epi32((int)in[i]);
	}
	start[12] = _mm256_add_epi32(_mm256_set1_epi32((int)counter),
	                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
	memcpy(x, start, sizeof(x));
	for (i = 0; i < 10; i++) {
		quarter_round(x, 0, 4, 8, 12, rot16, rot8);
		quarter_round(x, 1, 5, 9, 13, rot16, rot8);
		quarter_round(x, 2, 6, 10, 14, rot16, rot8);
		quarter_round(x, 3, 7, 11, 15, rot16, rot8);
		quarter_round(x, 0, 5, 10, 15, rot16, rot8);
		quarter_round(x, 1, 6, 11, 12, rot16, rot8);
		quarter_round(x, 2, 7, 8, 13, rot16, rot8);
		quarter_round(x, 3, 4, 9, 14, rot16, rot8);
	}
	/* Transpose each group of four words: the unpacks work inside each
	 * 128-bit half, so y[q][k] holds words 4q..4q+3 of block k (low
	 * half) and of block k+4 (high half). */
	for (q = 0; q < 4; q++) {
		__m256i a = _mm256_add_epi32(x[4 * q], start[4 * q]);
		__m256i b = _mm256_add_epi32(x[4 * q + 1], start[4 * q + 1]);
		__m256i c = _mm256_add_epi32(x[4 * q + 2], start[4 * q + 2]);
		__m256i d = _mm256_add_epi32(x[4 * q + 3], start[4 * q + 3]);
		__m256i ab_lo = _mm256_unpacklo_epi32(a, b), cd_lo = _mm256_unpacklo_epi32(c, d);
		__m256i ab_hi = _mm256_unpackhi_epi32(a, b), cd_hi = _mm256_unpackhi_epi32(c, d);

		y[q][0] = _mm256_unpacklo_epi64(ab_lo, cd_lo);
		y[q][1] = _mm256_unpackhi_epi64(ab_lo, cd_lo);
		y[q][2] = _mm256_unpacklo_epi64(ab_hi, cd_hi);
		y[q][3] = _mm256_unpackhi_epi64(ab_hi, cd_hi);
	}
	for (k = 0; k < 4; k++) {
		/* selector 0x20: both low halves, 0x31: both high halves */
		__m256i out[4] = {
			_mm256_permute2x128_si256(y[0][k], y[1][k], 0x20),
			_mm256_permute2x128_si256(y[2][k], y[3][k], 0x20),
			_mm256_permute2x128_si256(y[0][k], y[1][k], 0x31),
			_mm256_permute2x128_si256(y[2][k], y[3][k], 0x31),
		};
		unsigned char *lo = data + 64 * k, *hi = data + 64 * (k + 4);

		_mm256_storeu_si256((__m256i *)lo, _mm256_xor_si256(out[0], _mm256_loadu_si256((const __m256i *)lo)));
		_mm256_storeu_si256((__m256i *)(lo + 32), _mm256_xor_si256(out[1], _mm256_loadu_si256((const __m256i *)(lo + 32))));
		_mm256_storeu_si256((__m256i *)hi, _mm256_xor_si256(out[2], _mm256_loadu_si256((const __m256i *)hi)));
		_mm256_storeu_si256((__m256i *)(hi + 32), _mm256_xor_si256(out[3], _mm256_loadu_si256((const __m256i *)(hi + 32))));
	}
}

static uint32_t load32_le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t chacha20_avx2_run(const unsigned char key[32], const unsigned char nonce[12],
                           uint32_t counter, unsigned char *data, size_t len)
{
	/* "expand 32-byte k", key, counter (set per call), nonce */
	uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
	int i;

	for (i = 0; i < 8; i++) {
		in[4 + i] = load32_le(key + 4 * i);
	}
	for (i = 0; i < 3; i++) {
		in[13 + i] = load32_le(nonce + 4 * i);
	}
	while (len >= 512) {
		xor_8_blocks(in, counter, data);
		counter += 8;
		data += 512;
		len -= 512;
	}
	if (len > 0) {
		/* the last partial run goes through a zeroed buffer */
		unsigned char tail[512];

		memset(tail, 0, sizeof(tail));
		memcpy(tail, data, len);
		xor_8_blocks(in, counter, tail);
		memcpy(data, tail, len);
		counter += (uint32_t)((len + 63) / 64);
		explicit_bzero(tail, sizeof(tail));
	}
	explicit_bzero(in, sizeof(in));
	return counter;
}

#else

int chacha20_avx2_available(void)
{
	return 0;
}

uint32_t chacha20_avx2_run(const unsigned char key[32], const unsigned char nonce[12],
                           uint32_t counter, unsigned char *data, size_t len)
{
	(void)key;
	(void)nonce;
	(void)data;
	return counter + (uint32_t)((len + 63) / 64);
}

#endif
