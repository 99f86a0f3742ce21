/* common/poly1305.c against RFC 8439 (2.5.2 and appendix A.3), a plain
 * big-number reference written here (32-bit words, no radix tricks), and
 * `openssl mac poly1305` run at test time. */
#include "poly1305.h"
#include "random.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return (int)n;
}

static void tohex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sprintf(out + 2 * i, "%02x", b[i]);
	}
}

/* ---- reference: numbers as 10 little-endian 32-bit words ------------- */
enum { W = 10 };

static void ref_add(uint32_t *a, const uint32_t *b)
{
	uint64_t c = 0;
	int i;

	for (i = 0; i < W; i++) {
		c += (uint64_t)a[i] + b[i];
		a[i] = (uint32_t)c;
		c >>= 32;
	}
}

/* a = a mod (2^130 - 5), by folding the bits above 2^130 back times 5
 * and subtracting p at the end while a >= p. */
static void ref_reduce(uint32_t *a)
{
	static const uint32_t p[W] = {0xfffffffb, 0xffffffff, 0xffffffff, 0xffffffff, 3};
	int round, i;

	for (round = 0; round < 4; round++) {
		uint32_t hi[W] = {0}, five_hi[W] = {0};
		uint64_t c = 0;

		for (i = 0; i < W - 4; i++) { /* hi = a >> 130 */
			hi[i] = (a[i + 4] >> 2) | (i + 5 < W ? a[i + 5] << 30 : 0);
		}
		a[4] &= 3;
		for (i = 5; i < W; i++) {
			a[i] = 0;
		}
		for (i = 0; i < W; i++) {
			c += (uint64_t)hi[i] * 5;
			five_hi[i] = (uint32_t)c;
			c >>= 32;
		}
		ref_add(a, five_hi);
	}
	for (;;) { /* while a >= p: a -= p */
		int ge = 1;
		int64_t b = 0;

		for (i = W - 1; i >= 0; i--) {
			if (a[i] != p[i]) {
				ge = a[i] > p[i];
				break;
			}
		}
		if (!ge) {
			return;
		}
		for (i = 0; i < W; i++) {
			b += (int64_t)a[i] - p[i];
			a[i] = (uint32_t)b;
			b >>= 32;
		}
	}
}

static void ref_mul(uint32_t *a, const uint32_t *r)
{
	uint32_t out[2 * W] = {0};
	int i, j;

	for (i = 0; i < 5; i++) {
		uint64_t c = 0;

		for (j = 0; j < 5; j++) {
			c += (uint64_t)a[i] * r[j] + out[i + j];
			out[i + j] = (uint32_t)c;
			c >>= 32;
		}
		out[i + 5] = (uint32_t)c;
	}
	memcpy(a, out, W * sizeof(uint32_t));
	ref_reduce(a);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void ref_mac(unsigned char tag[16], const unsigned char *m, size_t len,
                    const unsigned char key[32])
{
	uint32_t r[W] = {0}, h[W] = {0}, s[W] = {0};
	int i;

	for (i = 0; i < 4; i++) {
		r[i] = le32(key + 4 * i);
		s[i] = le32(key + 16 + 4 * i);
	}
	r[0] &= 0x0fffffff;
	r[1] &= 0x0ffffffc;
	r[2] &= 0x0ffffffc;
	r[3] &= 0x0ffffffc;
	while (len > 0) {
		unsigned char blk[17] = {0};
		size_t n = len < 16 ? len : 16;
		uint32_t t[W] = {0};

		memcpy(blk, m, n);
		blk[n] = 1;
		for (i = 0; i < 4; i++) {
			t[i] = le32(blk + 4 * i);
		}
		t[4] = blk[16];
		ref_add(h, t);
		ref_mul(h, r);
		m += n;
		len -= n;
	}
	ref_add(h, s);
	for (i = 0; i < 16; i++) {
		tag[i] = (unsigned char)(h[i / 4] >> (8 * (i % 4)));
	}
}

/* ---- checks ----------------------------------------------------------- */
static void check_vector(const char *keyhex, const char *msghex, const char *taghex)
{
	unsigned char key[32], msg[512], tag[16];
	char got[33];
	int n;

	CHECK_INT(unhex(keyhex, key, sizeof(key)), 32);
	n = unhex(msghex, msg, sizeof(msg));
	egs_poly1305_mac(tag, msg, (size_t)n, key);
	tohex(tag, 16, got);
	CHECK_STR(got, taghex);
	ref_mac(tag, msg, (size_t)n, key);
	tohex(tag, 16, got);
	CHECK_STR(got, taghex);
}

static void check_openssl(const unsigned char *msg, size_t len, const unsigned char key[32])
{
	char keyhex[65], cmd[256], line[128], path[] = "/tmp/egs-poly-XXXXXX", got[33];
	unsigned char tag[16];
	FILE *f, *p;
	int fd = mkstemp(path), i;

	if (!CHECK(fd >= 0)) {
		return;
	}
	f = fdopen(fd, "wb");
	CHECK(f && fwrite(msg, 1, len, f) == len);
	CHECK(f && fclose(f) == 0);
	tohex(key, 32, keyhex);
	snprintf(cmd, sizeof(cmd), "openssl mac -macopt hexkey:%s -in %s poly1305", keyhex, path);
	p = popen(cmd, "r");
	if (CHECK(p != NULL)) {
		CHECK(fgets(line, sizeof(line), p) != NULL);
		CHECK_INT(pclose(p), 0);
		line[32] = '\0';
		for (i = 0; i < 32; i++) {
			line[i] = (char)(line[i] >= 'A' && line[i] <= 'F' ? line[i] + 32 : line[i]);
		}
		egs_poly1305_mac(tag, msg, len, key);
		tohex(tag, 16, got);
		CHECK_STR(got, line);
	}
	remove(path);
}

int main(void)
{
	static unsigned char msg[70000];
	unsigned char key[32], a[16], b[16];
	size_t len, mism = 0, splitmism = 0;
	int round;

	t_group("RFC 8439 2.5.2");
	check_vector("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
	             "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
	             "a8061dc1305136c6c22b8baf0c0127a9");

	t_group("RFC 8439 A.3");
	/* #1: all zero */
	check_vector("0000000000000000000000000000000000000000000000000000000000000000",
	             "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
	             "000000000000000000000000000000000000000000000000",
	             "00000000000000000000000000000000");
	/* #5: h reaches p exactly (r = 2, message 2^128 - 1) */
	check_vector("0200000000000000000000000000000000000000000000000000000000000000",
	             "ffffffffffffffffffffffffffffffff", "03000000000000000000000000000000");
	/* #6: s = 2^128 - 1 wraps */
	check_vector("02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
	             "02000000000000000000000000000000", "03000000000000000000000000000000");
	/* #7, #8: carries through every limb */
	check_vector("0100000000000000000000000000000000000000000000000000000000000000",
	             "ffffffffffffffffffffffffffffffff" "f0ffffffffffffffffffffffffffffff"
	             "11000000000000000000000000000000", "05000000000000000000000000000000");
	check_vector("0100000000000000000000000000000000000000000000000000000000000000",
	             "ffffffffffffffffffffffffffffffff" "fbfefefefefefefefefefefefefefefe"
	             "01010101010101010101010101010101", "00000000000000000000000000000000");
	/* #9: h = p - 1 + 5 wraps to 0xfa.. */
	check_vector("0200000000000000000000000000000000000000000000000000000000000000",
	             "fdffffffffffffffffffffffffffffff", "faffffffffffffffffffffffffffffff");
	/* #10, #11: the reduction before the final addition */
	check_vector("0100000000000000040000000000000000000000000000000000000000000000",
	             "e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000"
	             "000000000000000001000000000000000000000000000000",
	             "14000000000000005500000000000000");
	check_vector("0100000000000000040000000000000000000000000000000000000000000000",
	             "e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000"
	             "0000000000000000",
	             "13000000000000000000000000000000");

	t_group("random keys and lengths against the reference");
	CHECK_INT(random_bytes(msg, sizeof(msg)), 0);
	for (round = 0; round < 400; round++) {
		CHECK_INT(random_bytes(key, sizeof(key)), 0);
		len = round < 100 ? (size_t)round : (size_t)(key[0] | key[1] << 8) % 4000;
		if (round % 50 == 7) { /* limbs near their maximum */
			memset(key, 0xff, 16);
			memset(msg, 0xff, len);
		}
		egs_poly1305_mac(a, msg, len, key);
		ref_mac(b, msg, len, key);
		mism += memcmp(a, b, 16) != 0;
		if (len > 3) { /* the same through three updates */
			egs_poly1305 st;
			size_t cut1 = key[2] % len, cut2 = cut1 + (len - cut1) / 2;

			egs_poly1305_init(&st, key);
			egs_poly1305_update(&st, msg, cut1);
			egs_poly1305_update(&st, msg + cut1, cut2 - cut1);
			egs_poly1305_update(&st, msg + cut2, len - cut2);
			egs_poly1305_finish(&st, a);
			splitmism += memcmp(a, b, 16) != 0;
		}
		if (round % 50 == 7) {
			CHECK_INT(random_bytes(msg, sizeof(msg)), 0);
		}
	}
	CHECK_INT(mism, 0);
	CHECK_INT(splitmism, 0);

	t_group("against openssl mac poly1305");
	CHECK_INT(random_bytes(key, sizeof(key)), 0);
	check_openssl(msg, 0, key);
	check_openssl(msg, 33, key);
	check_openssl(msg, 32768 + 4, key);
	check_openssl(msg, sizeof(msg), key);
	return t_done();
}
