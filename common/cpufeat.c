/* CPUID-based feature checks (see cpufeat.h). */
#include "cpufeat.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

enum { FEAT_SHA_NI = 1, FEAT_AVX2 = 2, FEAT_KNOWN = 0x100 };

static unsigned features;

/* Leaf 1 ECX: SSSE3 bit 9, SSE4.1 bit 19, OSXSAVE bit 27, AVX bit 28.
 * Leaf 7 EBX: AVX2 bit 5, SHA bit 29. */
static unsigned detect(void)
{
	unsigned a, b, c, d, ecx1, ebx7, found = FEAT_KNOWN;

	if (!__get_cpuid(1, &a, &b, &c, &d)) {
		return found;
	}
	ecx1 = c;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		return found;
	}
	ebx7 = b;
	if ((ebx7 & (1u << 29)) && (ecx1 & (1u << 9)) && (ecx1 & (1u << 19))) {
		found |= FEAT_SHA_NI;
	}
	if ((ebx7 & (1u << 5)) && (ecx1 & (1u << 27)) && (ecx1 & (1u << 28))) {
		unsigned lo, hi;

		/* XCR0 bits 1 (SSE) and 2 (AVX): the kernel saves ymm state */
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		if ((lo & 6) == 6) {
			found |= FEAT_AVX2;
		}
	}
	return found;
}

static unsigned get_features(void)
{
	if (!features) {
		features = detect();
	}
	return features;
}

int cpu_has_sha_ni(void)
{
	return (get_features() & FEAT_SHA_NI) != 0;
}

int cpu_has_avx2(void)
{
	return (get_features() & FEAT_AVX2) != 0;
}

#else

int cpu_has_sha_ni(void)
{
	return 0;
}

int cpu_has_avx2(void)
{
	return 0;
}

#endif
