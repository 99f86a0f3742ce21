/* Run-time CPU feature checks for the accelerated crypto code
 * (sha256_x86.c, chacha20_avx2.c). Each answers 0 on other
 * architectures and when the CPU or the kernel lacks the feature. The
 * answer is computed once per process. */
#ifndef EGS_CPUFEAT_H
#define EGS_CPUFEAT_H

/* SHA extensions plus the SSSE3/SSE4.1 shuffles the SHA-256 code uses. */
int cpu_has_sha_ni(void);
/* AVX2 and the kernel saving the ymm registers (OSXSAVE, XCR0). */
int cpu_has_avx2(void);

#endif
