/* SHA-512 crypt: Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"
 * (https://www.akkadia.org/drepper/SHA-crypt.txt), steps numbered as
 * there. */
#include "sha512crypt.h"
#include "random.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#define SALT_MAX 16
#define ROUNDS_MIN 1000
#define ROUNDS_MAX 999999999UL

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Adds the digest-sized block `blk` repeatedly to ctx until len bytes. */
static void add_repeated(br_sha512_context *ctx, const unsigned char *blk, size_t len)
{
	while (len >= 64) {
		br_sha512_update(ctx, blk, 64);
		len -= 64;
	}
	if (len)
		br_sha512_update(ctx, blk, len);
}

/* Appends n crypt-base64 characters of the 24-bit value b2 b1 b0. */
static char *b64_from_24bit(char *p, unsigned b2, unsigned b1, unsigned b0, int n)
{
	uint32_t w = (b2 << 16) | (b1 << 8) | b0;
	while (n-- > 0) {
		*p++ = itoa64[w & 0x3f];
		w >>= 6;
	}
	return p;
}

/* Parses "rounds=N$" at s; sets *rounds and *end past the '$'.
 * Returns 1 if present, 0 if not, -1 if malformed. */
static int parse_rounds(const char *s, unsigned long *rounds, const char **end)
{
	static const char pfx[] = "rounds=";
	if (strncmp(s, pfx, sizeof(pfx) - 1) != 0)
		return 0;
	const char *num = s + sizeof(pfx) - 1;
	if (*num < '0' || *num > '9')
		return -1;
	char *e;
	errno = 0;
	unsigned long long v = strtoull(num, &e, 10);
	if (*e != '$')
		return -1;
	if (errno == ERANGE || v > ROUNDS_MAX)
		v = ROUNDS_MAX;
	if (v < ROUNDS_MIN)
		v = ROUNDS_MIN;
	*rounds = (unsigned long)v;
	*end = e + 1;
	return 1;
}

int sha512crypt(const char *key, const char *setting, char *out, size_t cap)
{
	if (!key || !setting || strncmp(setting, "$6$", 3) != 0 || cap < SHA512CRYPT_MAX) {
		errno = EINVAL;
		return -1;
	}
	const char *s = setting + 3;
	unsigned long rounds = SHA512CRYPT_ROUNDS_DEFAULT;
	int custom = parse_rounds(s, &rounds, &s);
	if (custom < 0) {
		errno = EINVAL;
		return -1;
	}
	size_t slen = strcspn(s, "$");
	if (slen > SALT_MAX)
		slen = SALT_MAX;
	const unsigned char *salt = (const unsigned char *)s;
	size_t klen = strlen(key);

	br_sha512_context ctx;
	unsigned char a[64], b[64], dp[64], ds[64];

	/* Steps 4-8: digest B = sha512(key salt key). */
	br_sha512_init(&ctx);
	br_sha512_update(&ctx, key, klen);
	br_sha512_update(&ctx, salt, slen);
	br_sha512_update(&ctx, key, klen);
	br_sha512_out(&ctx, b);

	/* Steps 1-3, 9-12: digest A. */
	br_sha512_init(&ctx);
	br_sha512_update(&ctx, key, klen);
	br_sha512_update(&ctx, salt, slen);
	add_repeated(&ctx, b, klen);
	for (size_t n = klen; n > 0; n >>= 1) {
		if (n & 1)
			br_sha512_update(&ctx, b, 64);
		else
			br_sha512_update(&ctx, key, klen);
	}
	br_sha512_out(&ctx, a);

	/* Steps 13-16: DP, the key sequence P. */
	br_sha512_init(&ctx);
	for (size_t i = 0; i < klen; i++)
		br_sha512_update(&ctx, key, klen);
	br_sha512_out(&ctx, dp);
	unsigned char *p = malloc(klen ? klen : 1);
	if (!p)
		return -1;
	for (size_t i = 0; i < klen; i += 64)
		memcpy(p + i, dp, klen - i < 64 ? klen - i : 64);

	/* Steps 17-20: DS, the salt sequence S. */
	br_sha512_init(&ctx);
	for (unsigned i = 0; i < 16u + a[0]; i++)
		br_sha512_update(&ctx, salt, slen);
	br_sha512_out(&ctx, ds);
	unsigned char sseq[SALT_MAX];
	memcpy(sseq, ds, slen);

	/* Step 21: the rounds. */
	unsigned char c[64];
	memcpy(c, a, 64);
	for (unsigned long i = 0; i < rounds; i++) {
		br_sha512_init(&ctx);
		if (i & 1)
			br_sha512_update(&ctx, p, klen);
		else
			br_sha512_update(&ctx, c, 64);
		if (i % 3)
			br_sha512_update(&ctx, sseq, slen);
		if (i % 7)
			br_sha512_update(&ctx, p, klen);
		if (i & 1)
			br_sha512_update(&ctx, c, 64);
		else
			br_sha512_update(&ctx, p, klen);
		br_sha512_out(&ctx, c);
	}

	/* Step 22: "$6$[rounds=N$]salt$" + the permuted base64 of C. */
	int n;
	if (custom)
		n = snprintf(out, cap, "$6$rounds=%lu$%.*s$", rounds, (int)slen, (const char *)salt);
	else
		n = snprintf(out, cap, "$6$%.*s$", (int)slen, (const char *)salt);
	char *o = out + n;
	static const unsigned char perm[21][3] = {
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26},
		{6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32},
		{12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16},
		{59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41},
	};
	for (int i = 0; i < 21; i++)
		o = b64_from_24bit(o, c[perm[i][0]], c[perm[i][1]], c[perm[i][2]], 4);
	o = b64_from_24bit(o, 0, 0, c[63], 2);
	*o = '\0';

	/* Do not leave key-derived material around. */
	explicit_bzero(p, klen ? klen : 1);
	free(p);
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	explicit_bzero(c, sizeof(c));
	explicit_bzero(dp, sizeof(dp));
	explicit_bzero(ds, sizeof(ds));
	explicit_bzero(sseq, sizeof(sseq));
	explicit_bzero(&ctx, sizeof(ctx));
	return 0;
}

int sha512crypt_salt(char *out, size_t n)
{
	size_t got = 0;
	unsigned char rnd[64];
	while (got < n) {
		size_t want = n - got < sizeof(rnd) ? n - got : sizeof(rnd);
		if (random_bytes(rnd, want) < 0)
			return -1;
		for (size_t i = 0; i < want; i++)
			out[got++] = itoa64[rnd[i] & 0x3f];
	}
	out[n] = '\0';
	return 0;
}

int sha512crypt_new(const char *key, char *out, size_t cap)
{
	char setting[3 + SALT_MAX + 2] = "$6$";
	if (sha512crypt_salt(setting + 3, SALT_MAX) < 0)
		return -1;
	return sha512crypt(key, setting, out, cap);
}
