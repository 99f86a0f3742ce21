#include "clientkey.h"
#include "random.h"
#include "errbuf.h"

#include "base64.h"
#include "fsutil.h"

#include <bearssl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pem_begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
static const char pem_end[] = "-----END OPENSSH PRIVATE KEY-----";
static const char magic[] = "openssh-key-v1"; /* followed by a NUL on the wire */

/* The order n of P-256, big-endian. */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

void clientkey_wipe(struct clientkey *k)
{
	/* volatile: the compiler may not drop the stores as dead */
	volatile unsigned char *p = (volatile unsigned char *)k;
	for (size_t i = 0; i < sizeof(*k); i++)
		p[i] = 0;
}

/* Public point for d, or -1 when the curve code refuses. */
static int compute_q(const unsigned char d[32], unsigned char q[65])
{
	br_ec_private_key sk = {BR_EC_secp256r1, (unsigned char *)d, 32};
	unsigned char buf[BR_EC_KBUF_PUB_MAX_SIZE];
	size_t n = br_ec_compute_pub(br_ec_get_default(), NULL, buf, &sk);
	if (n != 65)
		return -1;
	memcpy(q, buf, 65);
	return 0;
}

int clientkey_generate(struct clientkey *k)
{
	unsigned char seed[48];
	if (random_bytes(seed, sizeof(seed)) < 0)
		return -1;
	br_hmac_drbg_context drbg;
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof(seed));
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	br_ec_private_key sk;
	size_t n = br_ec_keygen(&drbg.vtable, br_ec_get_default(), &sk, kbuf, BR_EC_secp256r1);
	int rc = -1;
	if (n == 32) {
		memcpy(k->d, kbuf, 32);
		rc = compute_q(k->d, k->q);
	}
	volatile unsigned char *v = kbuf;
	for (size_t i = 0; i < sizeof(kbuf); i++)
		v[i] = 0;
	v = seed;
	for (size_t i = 0; i < sizeof(seed); i++)
		v[i] = 0;
	memset(&drbg, 0, sizeof(drbg));
	if (rc < 0)
		errno = EIO;
	return rc;
}

/* ---- SSH wire encoding ---------------------------------------------- */

static int put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 8), (unsigned char)v};
	return sb_append(sb, b, 4);
}

static int put_string(struct strbuf *sb, const void *data, size_t len)
{
	if (put_u32(sb, (uint32_t)len) < 0)
		return -1;
	return sb_append(sb, data, len);
}

static int put_cstring(struct strbuf *sb, const char *s)
{
	return put_string(sb, s, strlen(s));
}

/* mpint of a positive big-endian number: no leading zeros, one 0x00 when
 * the top bit is set. */
static int put_mpint(struct strbuf *sb, const unsigned char *num, size_t len)
{
	while (len && *num == 0) {
		num++;
		len--;
	}
	int pad = len && (num[0] & 0x80);
	if (put_u32(sb, (uint32_t)(len + (size_t)pad)) < 0)
		return -1;
	if (pad && sb_putc(sb, 0) < 0)
		return -1;
	return sb_append(sb, num, len);
}

int clientkey_public_blob(const struct clientkey *k, struct strbuf *out)
{
	if (put_cstring(out, CLIENTKEY_TYPE) < 0 || put_cstring(out, CLIENTKEY_CURVE) < 0 ||
	    put_string(out, k->q, sizeof(k->q)) < 0)
		return -1;
	return 0;
}

int clientkey_format_public(const struct clientkey *k, struct strbuf *out)
{
	struct strbuf blob = STRBUF_INIT;
	int rc = -1;
	if (clientkey_public_blob(k, &blob) == 0 && sb_puts(out, CLIENTKEY_TYPE " ") == 0 &&
	    base64_encode(out, blob.data, blob.len) == 0)
		rc = 0;
	sb_free(&blob);
	return rc;
}

static void wipe_sb(struct strbuf *sb)
{
	if (sb->data) {
		volatile char *p = sb->data;
		for (size_t i = 0; i < sb->cap; i++)
			p[i] = 0;
	}
	sb_free(sb);
}

int clientkey_format_private(const struct clientkey *k, uint32_t checkint, struct strbuf *out)
{
	struct strbuf body = STRBUF_INIT, priv = STRBUF_INIT, pub = STRBUF_INIT,
	              text = STRBUF_INIT;
	int rc = -1;
	if (clientkey_public_blob(k, &pub) < 0)
		goto done;
	/* the private section: checkints, key, comment, then padding to the
	 * cipher block size (8 for "none") with bytes 1, 2, 3, ... */
	if (put_u32(&priv, checkint) < 0 || put_u32(&priv, checkint) < 0 ||
	    put_cstring(&priv, CLIENTKEY_TYPE) < 0 || put_cstring(&priv, CLIENTKEY_CURVE) < 0 ||
	    put_string(&priv, k->q, sizeof(k->q)) < 0 || put_mpint(&priv, k->d, 32) < 0 ||
	    put_cstring(&priv, "") < 0)
		goto done;
	for (unsigned char pad = 1; priv.len % 8; pad++)
		if (sb_putc(&priv, (char)pad) < 0)
			goto done;
	if (sb_append(&body, magic, sizeof(magic)) < 0 || /* with its NUL */
	    put_cstring(&body, "none") < 0 || put_cstring(&body, "none") < 0 ||
	    put_cstring(&body, "") < 0 || put_u32(&body, 1) < 0 ||
	    put_string(&body, pub.data, pub.len) < 0 ||
	    put_string(&body, priv.data, priv.len) < 0)
		goto done;
	if (base64_encode(&text, body.data, body.len) < 0)
		goto done;
	if (sb_printf(out, "%s\n", pem_begin) < 0)
		goto done;
	for (size_t i = 0; i < text.len; i += 70) {
		size_t n = text.len - i < 70 ? text.len - i : 70;
		if (sb_append(out, text.data + i, n) < 0 || sb_putc(out, '\n') < 0)
			goto done;
	}
	if (sb_printf(out, "%s\n", pem_end) < 0)
		goto done;
	rc = 0;
done:
	wipe_sb(&priv);
	wipe_sb(&body);
	wipe_sb(&text);
	sb_free(&pub);
	return rc;
}

/* ---- SSH wire decoding ---------------------------------------------- */

struct reader {
	const unsigned char *p;
	size_t left;
};

static int get_u32(struct reader *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_string(struct reader *r, const unsigned char **data, size_t *len)
{
	uint32_t n;
	if (get_u32(r, &n) < 0 || n > r->left)
		return -1;
	*data = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

static int string_is(const unsigned char *data, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(data, want, len) == 0;
}

/* Reads type, curve and Q; checks they are ours. */
static int get_ecdsa_public(struct reader *r, unsigned char q[65])
{
	const unsigned char *s;
	size_t n;
	if (get_string(r, &s, &n) < 0 || !string_is(s, n, CLIENTKEY_TYPE))
		return -1;
	if (get_string(r, &s, &n) < 0 || !string_is(s, n, CLIENTKEY_CURVE))
		return -1;
	if (get_string(r, &s, &n) < 0 || n != 65 || s[0] != 0x04)
		return -1;
	memcpy(q, s, 65);
	return 0;
}

static int in_range(const unsigned char d[32])
{
	int nonzero = 0;
	for (int i = 0; i < 32; i++)
		nonzero |= d[i];
	if (!nonzero)
		return 0;
	return memcmp(d, p256_order, 32) < 0;
}

static int parse_body(const unsigned char *buf, size_t len, struct clientkey *k, char *err,
                      size_t errlen)
{
	struct reader r = {buf, len};
	const unsigned char *s, *pubblob, *privsec;
	size_t n, publen, privlen;
	uint32_t nkeys;
	if (len < sizeof(magic) || memcmp(buf, magic, sizeof(magic)) != 0) {
		errbuf_set(err, errlen, "not an openssh-key-v1 private key");
		return -1;
	}
	r.p += sizeof(magic);
	r.left -= sizeof(magic);
	if (get_string(&r, &s, &n) < 0)
		goto trunc;
	if (!string_is(s, n, "none")) {
		errbuf_set(err, errlen, "the private key is encrypted (passphrase keys are not supported)");
		return -1;
	}
	if (get_string(&r, &s, &n) < 0 || !string_is(s, n, "none") ||
	    get_string(&r, &s, &n) < 0 || n != 0)
		goto trunc;
	if (get_u32(&r, &nkeys) < 0 || nkeys != 1) {
		errbuf_set(err, errlen, "the key file must hold exactly one key");
		return -1;
	}
	if (get_string(&r, &pubblob, &publen) < 0 || get_string(&r, &privsec, &privlen) < 0)
		goto trunc;
	struct reader pr = {pubblob, publen};
	unsigned char q_pub[65];
	if (get_ecdsa_public(&pr, q_pub) < 0 || pr.left) {
		errbuf_set(err, errlen, "not an " CLIENTKEY_TYPE " key");
		return -1;
	}
	struct reader sr = {privsec, privlen};
	uint32_t c1, c2;
	if (privlen % 8 || get_u32(&sr, &c1) < 0 || get_u32(&sr, &c2) < 0 || c1 != c2)
		goto corrupt;
	if (get_ecdsa_public(&sr, k->q) < 0 || memcmp(k->q, q_pub, 65) != 0)
		goto corrupt;
	if (get_string(&sr, &s, &n) < 0 || n > 33 || (n == 33 && s[0] != 0))
		goto corrupt;
	if (n == 33) {
		s++;
		n--;
	}
	memset(k->d, 0, sizeof(k->d));
	memcpy(k->d + 32 - n, s, n);
	if (get_string(&sr, &s, &n) < 0) /* comment */
		goto corrupt;
	for (unsigned char pad = 1; sr.left; pad++, sr.p++, sr.left--)
		if (*sr.p != pad)
			goto corrupt;
	unsigned char q_check[65];
	if (!in_range(k->d) || compute_q(k->d, q_check) < 0 || memcmp(q_check, k->q, 65) != 0) {
		clientkey_wipe(k);
		errbuf_set(err, errlen, "the public key does not match the private key");
		return -1;
	}
	return 0;
trunc:
	errbuf_set(err, errlen, "truncated or malformed openssh-key-v1 header");
	return -1;
corrupt:
	clientkey_wipe(k);
	errbuf_set(err, errlen, "corrupt private key section");
	return -1;
}

int clientkey_parse_private(const char *text, size_t len, struct clientkey *k, char *err,
                            size_t errlen)
{
	const char *b = memmem(text, len, pem_begin, sizeof(pem_begin) - 1);
	if (!b) {
		errbuf_set(err, errlen, "no \"%s\" line", pem_begin);
		return -1;
	}
	b += sizeof(pem_begin) - 1;
	const char *e = memmem(b, len - (size_t)(b - text), pem_end, sizeof(pem_end) - 1);
	if (!e) {
		errbuf_set(err, errlen, "no \"%s\" line", pem_end);
		return -1;
	}
	struct strbuf body = STRBUF_INIT;
	if (base64_decode(&body, b, (size_t)(e - b)) < 0) {
		errbuf_set(err, errlen, "invalid base64 in the private key");
		sb_free(&body);
		return -1;
	}
	int rc = parse_body((const unsigned char *)body.data, body.len, k, err, errlen);
	wipe_sb(&body);
	return rc;
}

int clientkey_load(const char *private_path, struct clientkey *k, char *err, size_t errlen)
{
	struct strbuf text = STRBUF_INIT;
	if (fs_read_file(private_path, &text, 64 * 1024) < 0) {
		int e = errno;
		errbuf_set(err, errlen, "%s: %s", private_path, strerror(e));
		wipe_sb(&text);
		errno = e;
		return -1;
	}
	char why[160];
	int rc = clientkey_parse_private(sb_str(&text), text.len, k, why, sizeof(why));
	wipe_sb(&text);
	if (rc < 0) {
		errbuf_set(err, errlen, "%s: %s", private_path, why);
		errno = EINVAL;
	}
	return rc;
}

int clientkey_save(const char *private_path, const struct clientkey *k)
{
	struct strbuf pub = STRBUF_INIT, priv = STRBUF_INIT;
	char *pub_path = NULL;
	uint32_t checkint;
	int rc = -1, e = ENOMEM;
	if (random_bytes(&checkint, sizeof(checkint)) < 0) {
		e = errno;
		goto done;
	}
	if (clientkey_format_public(k, &pub) < 0 || sb_putc(&pub, '\n') < 0 ||
	    clientkey_format_private(k, checkint, &priv) < 0)
		goto done;
	size_t n = strlen(private_path);
	pub_path = malloc(n + 5);
	if (!pub_path)
		goto done;
	memcpy(pub_path, private_path, n);
	memcpy(pub_path + n, ".pub", 5);
	if (fs_write_atomic(pub_path, pub.data, pub.len, 0644) < 0 ||
	    fs_write_atomic(private_path, priv.data, priv.len, 0600) < 0) {
		e = errno;
		goto done;
	}
	rc = 0;
done:
	wipe_sb(&priv);
	sb_free(&pub);
	free(pub_path);
	if (rc < 0)
		errno = e;
	return rc;
}

/* ---- public keys in text -------------------------------------------- */

/* 1 if b64 (len bytes) decodes to a blob whose first string is type. */
static int blob_has_type(const char *type, size_t tlen, const char *b64, size_t len)
{
	struct strbuf blob = STRBUF_INIT;
	int ok = 0;
	if (base64_decode(&blob, b64, len) == 0) {
		struct reader r = {(const unsigned char *)blob.data, blob.len};
		const unsigned char *s;
		size_t n;
		ok = get_string(&r, &s, &n) == 0 && n == tlen && memcmp(s, type, n) == 0;
	}
	sb_free(&blob);
	return ok;
}

int clientkey_find_public(const char *text, struct strbuf *type, struct strbuf *b64,
                          char *err, size_t errlen)
{
	const char *line = text;
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t linelen = eol ? (size_t)(eol - line) : strlen(line);
		/* split into up to 3 leading tokens */
		const char *tok[3];
		size_t toklen[3];
		int ntok = 0;
		const char *p = line, *end = line + linelen;
		while (ntok < 3 && p < end) {
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
				p++;
			if (p >= end)
				break;
			tok[ntok] = p;
			while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
				p++;
			toklen[ntok] = (size_t)(p - tok[ntok]);
			ntok++;
		}
		if (ntok >= 2 && tok[0][0] != '#') {
			for (int i = 0; i + 1 < ntok; i++) {
				if (blob_has_type(tok[i], toklen[i], tok[i + 1], toklen[i + 1])) {
					if (sb_append(type, tok[i], toklen[i]) < 0 ||
					    sb_append(b64, tok[i + 1], toklen[i + 1]) < 0) {
						errbuf_set(err, errlen, "out of memory");
						return -1;
					}
					return 0;
				}
			}
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	errbuf_set(err, errlen, "no OpenSSH public key (\"TYPE BASE64\") found");
	return -1;
}
