/* common/chacha20_avx2.c against RFC 8439 2.4.2, BearSSL's portable
 * br_chacha20_ct_run (random keys, nonces, counters and lengths) and
 * `openssl enc -chacha20` run at test time. */
#include "chacha20_avx2.h"
#include "random.h"
#include "testlib.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tohex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sprintf(out + 2 * i, "%02x", b[i]);
	}
}

/* OpenSSL's chacha20 IV is the 32-bit counter (little-endian), then the
 * 96-bit nonce. */
static void check_openssl(const unsigned char key[32], const unsigned char nonce[12],
                          uint32_t counter, const unsigned char *msg, size_t len)
{
	char path[] = "/tmp/egs-chacha-XXXXXX", cmd[300], keyhex[65], ivhex[33];
	unsigned char iv[16], *want = malloc(len + 1), *got = malloc(len + 1);
	size_t n = 0;
	FILE *f, *p;
	int fd = mkstemp(path);

	if (!CHECK(fd >= 0 && want && got)) {
		free(want);
		free(got);
		return;
	}
	f = fdopen(fd, "wb");
	CHECK(f && fwrite(msg, 1, len, f) == len);
	CHECK(f && fclose(f) == 0);
	iv[0] = (unsigned char)counter;
	iv[1] = (unsigned char)(counter >> 8);
	iv[2] = (unsigned char)(counter >> 16);
	iv[3] = (unsigned char)(counter >> 24);
	memcpy(iv + 4, nonce, 12);
	tohex(key, 32, keyhex);
	tohex(iv, 16, ivhex);
	snprintf(cmd, sizeof(cmd), "openssl enc -chacha20 -K %s -iv %s -in %s", keyhex, ivhex, path);
	p = popen(cmd, "r");
	if (CHECK(p != NULL)) {
		n = fread(want, 1, len + 1, p);
		CHECK_INT(pclose(p), 0);
		CHECK_INT(n, len);
		memcpy(got, msg, len);
		chacha20_avx2_run(key, nonce, counter, got, len);
		CHECK(n == len && memcmp(got, want, len) == 0);
	}
	remove(path);
	free(want);
	free(got);
}

int main(void)
{
	static unsigned char buf[70000], ref[70000];
	static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
	                                "only one tip for the future, sunscreen would be it.";
	unsigned char key[32], nonce[12], msg[sizeof(sunscreen)];
	char got[33];
	size_t len, mism = 0, countmism = 0;
	int i, round;

	if (!chacha20_avx2_available()) {
		printf("no AVX2 on this CPU: skipped\n");
		CHECK(!chacha20_avx2_available());
		return t_done();
	}

	t_group("RFC 8439 2.4.2");
	for (i = 0; i < 32; i++) {
		key[i] = (unsigned char)i;
	}
	memset(nonce, 0, sizeof(nonce));
	nonce[7] = 0x4a;
	memcpy(msg, sunscreen, sizeof(sunscreen) - 1);
	CHECK_INT(chacha20_avx2_run(key, nonce, 1, msg, sizeof(sunscreen) - 1), 3);
	tohex(msg, 16, got);
	CHECK_STR(got, "6e2e359a2568f98041ba0728dd0d6981");
	tohex(msg + sizeof(sunscreen) - 1 - 16, 16, got);
	CHECK_STR(got, "0bbf74a35be6b40b8eedf2785e42874d");

	t_group("against br_chacha20_ct_run");
	CHECK_INT(random_bytes(buf, sizeof(buf)), 0);
	for (round = 0; round < 300; round++) {
		uint32_t counter, c1, c2;

		CHECK_INT(random_bytes(key, sizeof(key)), 0);
		CHECK_INT(random_bytes(nonce, sizeof(nonce)), 0);
		counter = round % 3 == 0 ? 0xfffffffcu : (uint32_t)key[0]; /* wraps in the 8 lanes */
		len = round < 150 ? (size_t)round * 7 : (size_t)(key[1] | key[2] << 8) % sizeof(buf);
		memcpy(ref, buf, len);
		c1 = br_chacha20_ct_run(key, nonce, counter, ref, len);
		c2 = chacha20_avx2_run(key, nonce, counter, buf, len);
		mism += memcmp(ref, buf, len) != 0;
		countmism += c1 != c2;
		memcpy(buf, ref, len); /* next round starts from other data */
	}
	CHECK_INT(mism, 0);
	CHECK_INT(countmism, 0);

	t_group("against openssl enc -chacha20");
	check_openssl(key, nonce, 0, buf, 1);
	check_openssl(key, nonce, 1, buf, 32768 + 4);
	check_openssl(key, nonce, 7, buf, 1000);
	return t_done();
}
