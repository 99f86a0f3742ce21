#include "hostkey.h"
#include "random.h"

#include <bearssl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "sshwire.h"

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

/* Fills the SSH wire forms from d and q. */
static int make_wire(struct hostkey *hk)
{
	sb_reset(&hk->wire_pub);
	sb_reset(&hk->wire_priv);
	if (sw_put_cstring(&hk->wire_pub, "ecdsa-sha2-nistp256") < 0 ||
	    sw_put_cstring(&hk->wire_pub, "nistp256") < 0 ||
	    sw_put_string(&hk->wire_pub, hk->q, sizeof(hk->q)) < 0 ||
	    sb_append(&hk->wire_priv, hk->wire_pub.data, hk->wire_pub.len) < 0 ||
	    sw_put_mpint(&hk->wire_priv, hk->d, sizeof(hk->d)) < 0)
		return -1;
	return 0;
}

/* Takes the private scalar, derives the public point, builds the wire
 * forms. Rejects anything but a valid P-256 scalar. */
static int set_private(struct hostkey *hk, const unsigned char *x, size_t xlen)
{
	if (xlen > sizeof(hk->d))
		return -1;
	memset(hk->d, 0, sizeof(hk->d));
	memcpy(hk->d + sizeof(hk->d) - xlen, x, xlen);
	br_ec_private_key sk = {BR_EC_secp256r1, hk->d, sizeof(hk->d)};
	br_ec_public_key pk;
	unsigned char kbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	if (br_ec_compute_pub(br_ec_get_default(), &pk, kbuf, &sk) != sizeof(hk->q))
		return -1;
	memcpy(hk->q, pk.q, sizeof(hk->q));
	return make_wire(hk);
}

static void collect_der(void *ctx, const void *data, size_t len)
{
	sb_append(ctx, data, len);
}

int hostkey_parse_pem(const char *pem, size_t len, struct hostkey *hk)
{
	br_pem_decoder_context pc;
	struct strbuf der = STRBUF_INIT;
	int in_key = 0, done = 0, rc = -1;

	br_pem_decoder_init(&pc);
	while (len > 0 && !done) {
		size_t n = br_pem_decoder_push(&pc, pem, len);
		pem += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ: {
			const char *name = br_pem_decoder_name(&pc);
			in_key = strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0;
			br_pem_decoder_setdest(&pc, in_key ? collect_der : NULL, &der);
			break;
		}
		case BR_PEM_END_OBJ:
			done = in_key;
			break;
		case BR_PEM_ERROR:
			len = 0;
			break;
		}
	}
	if (done) {
		br_skey_decoder_context sd;
		br_skey_decoder_init(&sd);
		br_skey_decoder_push(&sd, der.data, der.len);
		const br_ec_private_key *sk = br_skey_decoder_get_ec(&sd);
		if (br_skey_decoder_last_error(&sd) == 0 && sk && sk->curve == BR_EC_secp256r1)
			rc = set_private(hk, sk->x, sk->xlen);
		wipe(&sd, sizeof(sd));
	}
	if (der.data)
		wipe(der.data, der.len);
	sb_free(&der);
	return rc;
}

int hostkey_generate(struct hostkey *hk)
{
	unsigned char seed[48];
	if (random_bytes(seed, sizeof(seed)) < 0)
		return -1;
	br_hmac_drbg_context rng;
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	wipe(seed, sizeof(seed));
	br_ec_private_key sk;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	size_t n = br_ec_keygen(&rng.vtable, br_ec_get_default(), &sk, kbuf, BR_EC_secp256r1);
	int rc = n ? set_private(hk, sk.x, sk.xlen) : -1;
	wipe(kbuf, sizeof(kbuf));
	wipe(&rng, sizeof(rng));
	return rc;
}

int hostkey_to_pem(const struct hostkey *hk, struct strbuf *out)
{
	br_ec_private_key sk = {BR_EC_secp256r1, (unsigned char *)hk->d, sizeof(hk->d)};
	br_ec_public_key pk = {BR_EC_secp256r1, (unsigned char *)hk->q, sizeof(hk->q)};
	unsigned char der[256];
	size_t dlen = br_encode_ec_pkcs8_der(NULL, &sk, &pk);
	if (dlen == 0 || dlen > sizeof(der))
		return -1;
	br_encode_ec_pkcs8_der(der, &sk, &pk);
	size_t plen = br_pem_encode(NULL, der, dlen, "PRIVATE KEY", BR_PEM_LINE64);
	int rc = -1;
	if (sb_reserve(out, plen + 1) == 0) {
		br_pem_encode(out->data + out->len, der, dlen, "PRIVATE KEY", BR_PEM_LINE64);
		out->len += plen;
		out->data[out->len] = '\0';
		rc = 0;
	}
	wipe(der, sizeof(der));
	return rc;
}

void hostkey_free(struct hostkey *hk)
{
	wipe(hk->d, sizeof(hk->d));
	if (hk->wire_priv.data)
		wipe(hk->wire_priv.data, hk->wire_priv.len);
	sb_free(&hk->wire_priv);
	sb_free(&hk->wire_pub);
}

int hostkey_load_or_create(const char *config_dir, struct hostkey *hk, int *created,
                           struct strbuf *err)
{
	char *dir = fs_join(config_dir, "private");
	char *path = dir ? fs_join(dir, "egs_host_key") : NULL;
	struct strbuf pem = STRBUF_INIT;
	struct stat st;
	int rc = -1;

	*created = 0;
	if (!path) {
		sb_puts(err, "out of memory");
		goto out;
	}
	if (fs_mkdir_p(dir, 0700) < 0) {
		sb_printf(err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &st) < 0) {
		sb_printf(err, "cannot stat %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((st.st_mode & 07777) != 0700) {
		/* as the original: a key that others could read is not trusted */
		if (chmod(dir, 0700) < 0) {
			sb_printf(err, "cannot chmod 0700 %s: %s", dir, strerror(errno));
			goto out;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			sb_printf(err, "cannot delete exposed host key %s: %s", path, strerror(errno));
			goto out;
		}
	}
	if (fs_read_file(path, &pem, 64 * 1024) == 0) {
		if (hostkey_parse_pem(pem.data ? pem.data : "", pem.len, hk) == 0) {
			rc = 0;
			goto out;
		}
		if (unlink(path) < 0) { /* unparseable: the original regenerates */
			sb_printf(err, "cannot delete unparseable host key %s: %s", path, strerror(errno));
			goto out;
		}
	} else if (errno != ENOENT) {
		sb_printf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	sb_reset(&pem);
	if (hostkey_generate(hk) < 0 || hostkey_to_pem(hk, &pem) < 0) {
		sb_puts(err, "cannot generate an ECDSA P-256 host key");
		goto out;
	}
	if (fs_write_atomic(path, pem.data, pem.len, 0600) < 0) {
		sb_printf(err, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	*created = 1;
	rc = 0;
out:
	if (pem.data)
		wipe(pem.data, pem.len);
	sb_free(&pem);
	free(path);
	free(dir);
	return rc;
}
