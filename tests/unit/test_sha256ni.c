/* common/sha256_x86.c (SHA-NI blocks) against the FIPS 180-4 example
 * digests, BearSSL's portable br_sha256 for every length 0..200 and a few
 * large ones, and `openssl dgst -sha256` run at test time. The padding
 * below is the test's own, so the block function is checked alone. */
#include "sha256_x86.h"
#include "testlib.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Whole SHA-256 over msg with sha256_x86_blocks, split into calls of
 * at most `chunk` blocks. */
static void sha256_ni(const unsigned char *msg, size_t len, size_t chunk, unsigned char out[32])
{
	uint32_t st[8];
	unsigned char tail[128];
	size_t whole = len / 64, done = 0, rest, tailblocks, i;
	uint64_t bits = (uint64_t)len * 8;

	memcpy(st, sha256_iv, sizeof(st));
	while (done < whole) {
		size_t n = whole - done < chunk ? whole - done : chunk;

		sha256_x86_blocks(st, msg + done * 64, n);
		done += n;
	}
	rest = len - whole * 64;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, msg + whole * 64, rest);
	tail[rest] = 0x80;
	tailblocks = rest + 9 > 64 ? 2 : 1;
	for (i = 0; i < 8; i++) {
		tail[tailblocks * 64 - 1 - i] = (unsigned char)(bits >> (8 * i));
	}
	sha256_x86_blocks(st, tail, tailblocks);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(st[i] >> 24);
		out[4 * i + 1] = (unsigned char)(st[i] >> 16);
		out[4 * i + 2] = (unsigned char)(st[i] >> 8);
		out[4 * i + 3] = (unsigned char)st[i];
	}
}

static void portable(const unsigned char *msg, size_t len, unsigned char out[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, msg, len);
	br_sha256_out(&c, out);
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sprintf(out + 2 * i, "%02x", b[i]);
	}
}

static void check_hex(const unsigned char *msg, size_t len, const char *want)
{
	unsigned char d[32];
	char got[65];

	sha256_ni(msg, len, 1, d);
	hex(d, 32, got);
	CHECK_STR(got, want);
}

/* `openssl dgst -sha256 -r FILE` prints "HEX *FILE". */
static void check_openssl(const unsigned char *msg, size_t len)
{
	char path[] = "/tmp/egs-sha256-XXXXXX", cmd[128], line[256], got[65];
	unsigned char d[32];
	FILE *f, *p;
	int fd = mkstemp(path);

	if (!CHECK(fd >= 0)) {
		return;
	}
	f = fdopen(fd, "wb");
	CHECK(f && fwrite(msg, 1, len, f) == len);
	CHECK(f && fclose(f) == 0);
	snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -r %s", path);
	p = popen(cmd, "r");
	if (CHECK(p != NULL)) {
		CHECK(fgets(line, sizeof(line), p) != NULL);
		CHECK_INT(pclose(p), 0);
		line[64] = '\0';
		sha256_ni(msg, len, 3, d);
		hex(d, 32, got);
		CHECK_STR(got, line);
	}
	unlink(path);
}

int main(void)
{
	static unsigned char big[1000000];
	unsigned char a[32], b[32];
	size_t len, i, mismatches = 0;

	if (!sha256_x86_available()) {
		/* nothing to compare; the portable code stays in use */
		printf("no SHA-NI on this CPU: skipped\n");
		CHECK(!sha256_x86_available());
		return t_done();
	}

	t_group("FIPS 180-4 examples");
	check_hex((const unsigned char *)"abc", 3,
	          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_hex((const unsigned char *)"", 0,
	          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_hex((const unsigned char *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check_hex((const unsigned char *)"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	memset(big, 'a', sizeof(big));
	check_hex(big, sizeof(big), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

	t_group("against br_sha256, lengths 0..200 and large");
	for (i = 0; i < sizeof(big); i++) {
		big[i] = (unsigned char)(i * 131 + (i >> 8) * 7 + 1);
	}
	for (len = 0; len <= 200; len++) {
		sha256_ni(big, len, 1, a);
		portable(big, len, b);
		mismatches += memcmp(a, b, 32) != 0;
	}
	CHECK_INT(mismatches, 0);
	for (len = 1000; len < sizeof(big); len = len * 3 + 17) {
		sha256_ni(big + 1, len, 7, a); /* unaligned input, multi-block calls */
		portable(big + 1, len, b);
		CHECK(memcmp(a, b, 32) == 0);
	}

	t_group("against openssl dgst");
	check_openssl(big, 0);
	check_openssl(big, 55);
	check_openssl(big, 64);
	check_openssl(big, 4097);
	check_openssl(big, 32768 + 4);
	return t_done();
}
