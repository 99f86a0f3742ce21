/* The service's host key: ECDSA P-256 in the original's file
 * CONFIG_DIR/private/egs_host_key, PKCS#8 PEM ("BEGIN PRIVATE KEY"),
 * so a guest upgraded from the .NET service keeps its host identity. */
#ifndef EGS_HOSTKEY_H
#define EGS_HOSTKEY_H

#include "strbuf.h"

struct hostkey {
	unsigned char d[32];     /* private scalar, big-endian */
	unsigned char q[65];     /* public point, uncompressed (0x04 X Y) */
	struct strbuf wire_priv; /* SSH wire private key for Dropbear */
	struct strbuf wire_pub;  /* SSH wire public key (for fingerprints) */
};

/* The original's rules (egs-compat §8.1): the private/ directory is
 * created 0700; if it has another mode it is chmod'ed to 0700 AND the key
 * in it is deleted (treated as possibly exposed). An unparseable key is
 * deleted and regenerated; a good key is never rewritten. New keys are
 * written atomically with mode 0600 (the original: umask, usually 0644).
 * Returns 0, or -1 with a message in err. *created tells whether a new
 * key was made. */
int hostkey_load_or_create(const char *config_dir, struct hostkey *hk, int *created,
                           struct strbuf *err);
/* Parses a PKCS#8 or SEC1 ("EC PRIVATE KEY") PEM P-256 key. 0 or -1. */
int hostkey_parse_pem(const char *pem, size_t len, struct hostkey *hk);
/* Makes a new random key (getrandom seeds BearSSL's HMAC-DRBG). */
int hostkey_generate(struct hostkey *hk);
/* Appends the PKCS#8 PEM text of the key (64-column lines, LF). */
int hostkey_to_pem(const struct hostkey *hk, struct strbuf *out);
/* Frees the buffers and wipes the private scalar. */
void hostkey_free(struct hostkey *hk);

#endif
